package execute

import (
	"path/filepath"
	"testing"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// A record's name and identifier always belong to one resource: the identifier comes from the create call, the
// plan or observe; one recorded earlier is kept only for the very resource it was recorded for, and so is its
// ownership.
func TestRecordKeepsNameIdentifierAndOwnershipTogether(t *testing.T) {
	const (
		oldARN  = "arn:aws:rds:us-west-2:123456789012:subgrp:sng-old"
		userARN = "arn:aws:rds:us-west-2:123456789012:subgrp:user-sng"
		ourARN  = "arn:aws:rds:us-west-2:123456789012:subgrp:sng"
	)
	cases := []struct {
		name     string
		prev     *state.Resource
		planned  plan.Resource
		observed observe.Snapshot
		fromCall string
		want     state.Resource
	}{{
		name:     "the config now names a group someone else made",
		prev:     &state.Resource{ID: "sng-old", ARN: oldARN, Owned: true},
		planned:  plan.Resource{Key: plan.KeySubnetGroup, Name: "user-sng"},
		observed: observe.Snapshot{SubnetGroup: observe.SubnetGroup{Presence: observe.Presence{Exists: true, ARN: userARN}}},
		want:     state.Resource{ID: "user-sng", ARN: userARN},
	}, {
		name:    "another name whose identifier is not known yet",
		prev:    &state.Resource{ID: "sng-old", ARN: oldARN, Owned: true},
		planned: plan.Resource{Key: plan.KeySubnetGroup, Name: "sng", Owned: true},
		want:    state.Resource{ID: "sng", Owned: true},
	}, {
		name:    "this run's create call recorded it",
		prev:    &state.Resource{ID: "sng", ARN: ourARN, Owned: true},
		planned: plan.Resource{Key: plan.KeySubnetGroup, Name: "sng", Owned: true},
		want:    state.Resource{ID: "sng", ARN: ourARN, Owned: true},
	}, {
		name:     "an interrupted run left the intent without identifier",
		prev:     &state.Resource{ID: "sng", Owned: true},
		planned:  plan.Resource{Key: plan.KeySubnetGroup, Name: "sng", Owned: true}, // the plan owns it by that record
		observed: observe.Snapshot{SubnetGroup: observe.SubnetGroup{Presence: observe.Presence{Exists: true, ARN: ourARN}}},
		want:     state.Resource{ID: "sng", ARN: ourARN, Owned: true},
	}, {
		name:     "same name, but another group now",
		prev:     &state.Resource{ID: "kubeflow-db-sg", ARN: "sg-0aaa", Owned: true},
		planned:  plan.Resource{Key: plan.KeySecurityGroup, Name: "kubeflow-db-sg"},
		observed: observe.Snapshot{SecurityGroup: observe.SecurityGroup{Presence: observe.Presence{Exists: true}, ID: "sg-0bbb"}},
		want:     state.Resource{ID: "kubeflow-db-sg", ARN: "sg-0bbb"},
	}, {
		name:     "the call's answer wins",
		planned:  plan.Resource{Key: plan.KeyParameterGroup, Name: "pg", Owned: true},
		observed: observe.Snapshot{ParameterGroup: observe.ParameterGroup{Presence: observe.Presence{ARN: "arn:stale"}}},
		fromCall: "arn:aws:rds:us-west-2:123456789012:pg:pg",
		want:     state.Resource{ID: "pg", ARN: "arn:aws:rds:us-west-2:123456789012:pg:pg", Owned: true},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := state.Open(filepath.Join(t.TempDir(), "s.json"))
			if err != nil {
				t.Fatal(err)
			}
			c.planned.Kind, c.want.Kind = "k", "k"
			if c.prev != nil {
				c.prev.Kind = "k"
				if err := st.SetResource(c.planned.Key, *c.prev); err != nil {
					t.Fatal(err)
				}
			}
			e := &Executor{Plan: &plan.Plan{Resources: []plan.Resource{c.planned}}, Snapshot: &c.observed, State: st}
			if err := e.record(c.planned.Key, c.fromCall); err != nil {
				t.Fatal(err)
			}
			got := st.Snapshot().Resources[c.planned.Key]
			got.UpdatedAt = c.want.UpdatedAt
			if got != c.want {
				t.Errorf("recorded %+v, want %+v", got, c.want)
			}
		})
	}
}
