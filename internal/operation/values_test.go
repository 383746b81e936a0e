package operation_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/state"
)

func TestNewValuesPrecedence(t *testing.T) {
	c := config.New()
	c.Region, c.Cluster, c.S3.Bucket = "eu-west-1", "c", "from-config"
	c.Default()
	out := state.Outputs{Bucket: "from-state", DBHost: "state.host", DBPort: 3310, RDSSecretName: "rds-x",
		SecretsRoleARN: "arn:aws:iam::123456789012:role/state-secrets",
		BackendRoleARN: "arn:aws:iam::123456789012:role/state-backend",
		ProfileRoleARN: "arn:aws:iam::123456789012:role/state-profile"}
	v, err := operation.NewValues(c, out, operation.Overrides{DBHost: "flag.host", Bucket: "from-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if v.DBHost != "flag.host" || v.Bucket != "from-flag" || v.DBPort != 3310 || v.RDSSecretName != "rds-x" ||
		v.BackendRoleARN != out.BackendRoleARN || v.ProfileNamespace != config.DefaultProfileNamespace {
		t.Errorf("precedence wrong: %+v", v)
	}
	v, err = operation.NewValues(c, state.Outputs{}, operation.Overrides{DBHost: "byo.host",
		SecretsRoleARN: "arn:aws:iam::123456789012:role/r", BackendRoleARN: "arn:aws:iam::123456789012:role/b",
		ProfileRoleARN: "arn:aws:iam::123456789012:role/p"})
	if err != nil {
		t.Fatal(err)
	}
	if v.DBPort != 3306 || v.Bucket != "from-config" || v.RDSSecretName != config.DefaultRDSSecretName {
		t.Errorf("defaults wrong: %+v", v)
	}
	if v.ProfileRoleARNs != nil {
		t.Errorf("no roles recorded, yet per-profile roles %v", v.ProfileRoleARNs)
	}
}

// TestNewValuesProfileRoles: every profile role up recorded reaches render, as a copy, and replaces the single
// profile role; a bad entry is named by its state field.
func TestNewValuesProfileRoles(t *testing.T) {
	c := config.New()
	c.Region, c.Cluster, c.S3.Bucket, c.Option = "eu-west-1", "c", "b-artifacts", config.OptionS3Only
	c.Default()
	roles := map[string]string{"team-a": "arn:aws:iam::123456789012:role/a", "team-b": "arn:aws:iam::123456789012:role/b"}
	out := state.Outputs{BackendRoleARN: "arn:aws:iam::123456789012:role/backend", ProfileRoleARNs: roles}
	v, err := operation.NewValues(c, out, operation.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.ProfileRoleARNs, roles) {
		t.Errorf("profile roles %v, want %v", v.ProfileRoleARNs, roles)
	}
	v.ProfileRoleARNs["team-c"] = "x"
	if _, ok := roles["team-c"]; ok {
		t.Errorf("the values share the state's map")
	}
	// --profile-role-arn names the configured profile's role, beside the others up recorded.
	c.IAM.ProfileNamespace = "team-a"
	given := "arn:aws:iam::123456789012:role/given"
	if v, err = operation.NewValues(c, out, operation.Overrides{ProfileRoleARN: given}); err != nil {
		t.Fatal(err)
	}
	if v.ProfileRoleARNs["team-a"] != given || v.ProfileRoleARNs["team-b"] != roles["team-b"] || roles["team-a"] == given {
		t.Errorf("with --profile-role-arn: %v (state's %v)", v.ProfileRoleARNs, roles)
	}
	out.ProfileRoleARNs = map[string]string{"team-a": "not-an-arn"}
	if _, err := operation.NewValues(c, out, operation.Overrides{}); err == nil ||
		!strings.Contains(err.Error(), "state outputs.profileRoleArns[team-a]") {
		t.Errorf("want an error naming state outputs.profileRoleArns[team-a], got %v", err)
	}
}
