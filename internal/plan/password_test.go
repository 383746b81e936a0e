package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

const givenPassword = "Given-Pa55word"

// An available instance at db.example.internal:3306 with master user "admin", and its secret as mutate leaves it.
func withInstance(secret observe.Secret) (*config.Config, *observe.Snapshot) {
	c, s := testConfig(), freshSnapshot()
	c.RDS.MasterPassword = givenPassword
	s.Instance = observe.Instance{Presence: untagged, Status: "available", Address: "db.example.internal", Port: 3306, MasterUsername: "admin"}
	s.RDSSecret = secret
	return c, s
}

// A given password is tested by a login before it is recorded for an existing instance, and only then: plan
// says where to log in and as whom, and which step stores it.
func TestGivenPasswordForAnExistingInstance(t *testing.T) {
	cases := []struct {
		name      string
		secret    observe.Secret
		recorded  state.State
		want      Action
		detail    string
		storeStep string // the step that writes the given password, "" for none
		login     bool
	}{
		{"no secret: recorded once it logs in", observe.Secret{}, state.State{},
			Create, "once the password logs in", KeyRDSSecret + ":create", true},
		{"kfaws's secret holds another: stored once it logs in", observe.Secret{Presence: owned("prod"), Complete: true, PasswordDiffers: true},
			state.State{}, Update, "store the new password given in " + config.EnvDBMasterPassword + ", once it logs in", KeyRDSSecret + ":password", true},
		{"kfaws's secret holds it: nothing to do", observe.Secret{Presence: owned("prod"), Complete: true},
			state.State{}, Exists, "", "", false},
		{"kfaws's incomplete secret holds another: stored, then the endpoint", observe.Secret{Presence: owned("prod"), PasswordDiffers: true},
			state.State{}, Update, "once it logs in to the instance; add the instance endpoint", KeyRDSSecret + ":password", true},
		{"the user's secret holds another: never changed", observe.Secret{Presence: untagged, Complete: true, PasswordDiffers: true},
			state.State{}, Conflict, "kfaws never changes it", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := withInstance(tc.secret)
			p, err := Build(c, s, tc.recorded)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := p.Resource(KeyRDSSecret)
			if r.Action != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("secret: got %s %q, want %s containing %q", r.Action, r.Detail, tc.want, tc.detail)
			}
			want := &LoginCheck{Instance: c.RDS.InstanceName, Username: "admin", Host: "db.example.internal", Port: 3306, Status: "available"}
			switch {
			case tc.login && (p.LoginCheck == nil || *p.LoginCheck != *want):
				t.Errorf("login check %+v, want %+v", p.LoginCheck, want)
			case !tc.login && p.LoginCheck != nil:
				t.Errorf("login check %+v, want none", p.LoginCheck)
			}
			ids := stepIDs(p)
			if tc.storeStep != "" && !slices.Contains(ids, tc.storeStep) {
				t.Errorf("steps %v lack %s", ids, tc.storeStep)
			}
			if tc.storeStep == "" && slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, KeyRDSSecret) }) {
				t.Errorf("steps %v change the secret", ids)
			}
		})
	}
}

// The endpoint step of an incomplete secret waits for the stored password, so it writes that one.
func TestEndpointWaitsForTheStoredPassword(t *testing.T) {
	c, s := withInstance(observe.Secret{Presence: owned("prod"), PasswordDiffers: true})
	p, err := Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Steps {
		if st.ID == KeyRDSSecret+":endpoint" && !slices.Contains(st.After, KeyRDSSecret+":password") {
			t.Errorf("endpoint step waits for %v, not the stored password", st.After)
		}
		if sp, ok := st.Params.(StoreGivenPassword); ok && sp.Username != "admin" {
			t.Errorf("store step writes user %q, want the instance's master user", sp.Username)
		}
	}
}

// A secret an interrupted run left before the instance existed takes a newly given password without a login
// (there is nothing to log in to), before the instance is created with it.
func TestGivenPasswordReplacesAnInterruptedRunsSecret(t *testing.T) {
	c, s := testConfig(), freshSnapshot()
	c.RDS.MasterPassword = givenPassword
	s.RDSSecret = observe.Secret{Presence: owned("prod"), PasswordDiffers: true}
	p, err := Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyRDSSecret); r.Action != Update || p.LoginCheck != nil || p.ReuseSecretPassword {
		t.Errorf("secret %s %q, login check %+v, reuse %t", r.Action, r.Detail, p.LoginCheck, p.ReuseSecretPassword)
	}
	for _, st := range p.Steps {
		if st.ID == KeyInstance+":create" && !slices.Contains(st.After, KeyRDSSecret+":password") {
			t.Errorf("the instance is created after %v, not after the given password is stored", st.After)
		}
	}
}

// No plan holds the password: not its resources, steps, params or warnings, printed any way.
func TestPlanNeverHoldsTheGivenPassword(t *testing.T) {
	secrets := []observe.Secret{{}, {Presence: owned("prod"), PasswordDiffers: true}, {Presence: untagged, PasswordDiffers: true}}
	for _, sec := range secrets {
		c, s := withInstance(sec)
		p, err := Build(c, s, state.State{})
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("%s %+v %#v %+v", js, *p, p.Steps, p.LoginCheck)
		if strings.Contains(text, givenPassword) {
			t.Errorf("the plan holds the password (secret %+v)", sec)
		}
	}
}

func stepIDs(p *Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}
