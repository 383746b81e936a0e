package ownership

import "testing"

func TestOwnsAWS(t *testing.T) {
	cases := []struct {
		tag      string
		recorded bool
		owns     bool
		another  bool
	}{
		{"prod", false, true, false},
		{"prod", true, true, false},
		{"", true, true, false},   // created by an interrupted run before it could tag
		{"", false, false, false}, // someone's untagged resource
		{"staging", true, false, true},
		{"staging", false, false, true},
	}
	for _, c := range cases {
		if got := OwnsAWS("prod", c.tag, c.recorded); got != c.owns {
			t.Errorf("OwnsAWS(prod, %q, %t) = %t", c.tag, c.recorded, got)
		}
		if got := TaggedByAnother("prod", c.tag); got != c.another {
			t.Errorf("TaggedByAnother(prod, %q) = %t", c.tag, got)
		}
	}
	if tags := Tags("prod"); len(tags) != 2 || tags[0] != (Tag{TagInstallation, "prod"}) || tags[1] != (Tag{TagManagedBy, "kfaws"}) {
		t.Errorf("tags %v", tags)
	}
}
