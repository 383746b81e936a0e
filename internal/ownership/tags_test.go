package ownership

import "testing"

func TestOwnsAWS(t *testing.T) {
	const arn = "arn:aws:iam::1:role/r"
	cases := []struct {
		name string
		obs  Observed
		rec  Record
		owns bool
	}{
		{"tagged as ours", Observed{Name: "r", Tag: "prod"}, Record{}, true},
		{"tagged as ours, recorded under another name", Observed{Name: "r", Tag: "prod"}, Record{ID: "old", Owned: true}, true},
		{"tagged by another installation, recorded as ours", Observed{Name: "r", ARN: arn, Tag: "staging"}, Record{ID: "r", ARN: arn, Owned: true}, false},
		{"untagged, recorded: same name and ARN", Observed{Name: "r", ARN: arn}, Record{ID: "r", ARN: arn, Owned: true}, true},
		{"untagged, recorded by name, no ARN recorded", Observed{Name: "r", ARN: arn}, Record{ID: "r", Owned: true}, true},
		{"untagged, recorded, ARN unknown here", Observed{Name: "r"}, Record{ID: "r", ARN: arn, Owned: true}, true},
		{"untagged, the kind recorded under another name", Observed{Name: "users-role", ARN: "arn:aws:iam::1:role/users-role"}, Record{ID: "r", ARN: arn, Owned: true}, false},
		{"untagged, same name, another ARN (made again by someone)", Observed{Name: "r", ARN: "arn:aws:iam::1:role/r-2"}, Record{ID: "r", ARN: arn, Owned: true}, false},
		{"untagged, recorded as reused, not created", Observed{Name: "r", ARN: arn}, Record{ID: "r", ARN: arn}, false},
		{"untagged, record without a name", Observed{Name: "r"}, Record{Owned: true}, false},
		{"untagged, nothing recorded", Observed{Name: "r", ARN: arn}, Record{}, false},
	}
	for _, c := range cases {
		if got := OwnsAWS("prod", c.obs, c.rec); got != c.owns {
			t.Errorf("%s: OwnsAWS = %t, want %t", c.name, got, c.owns)
		}
	}
}

func TestTaggedByAnother(t *testing.T) {
	for tag, want := range map[string]bool{"prod": false, "": false, "staging": true} {
		if got := TaggedByAnother("prod", tag); got != want {
			t.Errorf("TaggedByAnother(prod, %q) = %t", tag, got)
		}
	}
	if tags := Tags("prod"); len(tags) != 2 || tags[0] != (Tag{TagInstallation, "prod"}) || tags[1] != (Tag{TagManagedBy, "kfaws"}) {
		t.Errorf("tags %v", tags)
	}
}
