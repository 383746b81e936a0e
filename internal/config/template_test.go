package config

import (
	"strings"
	"testing"
)

// Values YAML would misread if written plain (a leading @, ": ", " #", a number-like string) are quoted, so
// the file reads back as what was given.
func TestStarterQuotesWhatYAMLWouldMisread(t *testing.T) {
	c := New()
	c.Cluster, c.Region, c.S3.Bucket = "prod-ml", "us-west-2", "prod-ml-artifacts"
	c.RDS.SecretName, c.RDS.SecurityGroupName, c.RDS.EngineVersion = "@rds/secret", "db: sg #1", "8.0"
	for _, f := range []string{"cluster", "region", "s3.bucket", "rds.secretName", "rds.securityGroupName", "rds.engineVersion"} {
		c.SetSource(f, Source{Flag: "--test"})
	}
	data, err := Starter(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("starter does not parse: %v\n%s", err, data)
	}
	if back.RDS.SecretName != "@rds/secret" || back.RDS.SecurityGroupName != "db: sg #1" || back.RDS.EngineVersion != "8.0" {
		t.Errorf("read back %+v", back.RDS)
	}
}

// Names derived from other fields are commented out unless given, so they follow those fields when the file is
// loaded under another name; given ones are values.
func TestStarterCommentsDerivedNamesUnlessGiven(t *testing.T) {
	c := New()
	c.Cluster, c.IAM.SecretsRoleName = "prod-ml", "my-reader"
	c.SetSource("cluster", Source{Flag: "--cluster"})
	c.SetSource("iam.secretsRoleName", Source{Line: 3})
	data, err := Starter(c)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"\n# name: prod-ml\n", "\n  # backendRoleName: kfaws-prod-ml-kfp-backend\n", "\n  secretsRoleName: my-reader\n",
		"\n  # parameterGroupName: kubeflow-db-params\n", "\nregion: REGION\n", "\n  bucket: BUCKET_NAME\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("starter lacks %q:\n%s", want, text)
		}
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	back.Name = "staging"
	back.Default()
	if back.IAM.BackendRoleName != "kfaws-staging-kfp-backend" || back.IAM.SecretsRoleName != "my-reader" {
		t.Errorf("derived names do not follow the name: %+v", back.IAM)
	}
}

func TestStarterRefusesWhatCannotBeValid(t *testing.T) {
	c := New()
	c.RDS.StorageType = "io1"
	c.SetSource("rds.storageType", Source{Flag: "--db-storage-type"})
	if _, err := Starter(c); err == nil || !strings.Contains(err.Error(), "rds.allocatedStorage") {
		t.Errorf("io1 with the default 50 GiB: %v", err)
	}
	c = New()
	c.RDS.MasterPassword = "x" // the file never holds it, so init does not judge it
	if _, err := Starter(c); err != nil {
		t.Errorf("a bare starter is refused: %v", err)
	}
}
