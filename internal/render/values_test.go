package render

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/render/detect"
)

func TestValidateNamesEveryProblem(t *testing.T) {
	cases := []struct {
		mut  func(*Values)
		want string
	}{
		{func(v *Values) { v.DBHost = "mysql://x:3306" }, "--db-host"},
		{func(v *Values) { v.DBPort = 70000 }, "--db-port"},
		{func(v *Values) { v.Bucket = "Not_A_Bucket" }, "--bucket"},
		{func(v *Values) { v.Region = "mars" }, "--region"},
		{func(v *Values) { v.BackendRoleARN = "role/x" }, "--backend-role-arn"},
		{func(v *Values) { v.ProfileRoleARN = "" }, "--profile-role-arn"},
		{func(v *Values) { v.SecretsRoleARN = "" }, "--secrets-role-arn"},
		{func(v *Values) { v.RDSSecretName = "a b" }, "--rds-secret-name"},
		{func(v *Values) { v.ProfileNamespace = "Team_A" }, "--profile-namespace"},
		{func(v *Values) { v.Credentials = "keys" }, "--s3-credentials"},
		{func(v *Values) { v.Option = "both" }, "--option"},
	}
	for _, c := range cases {
		v := testValues(config.OptionRDSS3, config.CredentialsIRSA)
		c.mut(&v)
		err := v.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error naming %s, got %v", c.want, err)
		}
	}
	// The roles up recorded per profile: each namespace and role is checked, named by its state field; the single
	// profile role is then not needed.
	v := testValues(config.OptionRDSS3, config.CredentialsIRSA)
	v.ProfileRoleARN = ""
	v.ProfileRoleARNs = map[string]string{"team-a": "arn:aws:iam::123456789012:role/a", "Team_B": "arn:aws:iam::123456789012:role/b",
		"team-c": "role/c", "team-d": ""}
	err := v.Validate()
	for _, want := range []string{`state outputs.profileRoleArns[Team_B]: "Team_B" is not a Kubernetes namespace name`,
		`state outputs.profileRoleArns[team-c]: "role/c" is not an IAM role ARN`,
		"state outputs.profileRoleArns[team-d]: missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error %q, got %v", want, err)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "[team-a]") || strings.Contains(err.Error(), "profile-role-arn")) {
		t.Errorf("a valid entry or the unneeded single role is reported: %v", err)
	}
	// What an option does not use is not required.
	v = testValues(config.OptionS3Only, config.CredentialsIRSA)
	v.DBHost, v.SecretsRoleARN, v.RDSSecretName = "", "", ""
	if err := v.Validate(); err != nil {
		t.Errorf("s3-only with irsa needs no RDS values or secrets role: %v", err)
	}
	v = testValues(config.OptionRDSOnly, config.CredentialsIRSA)
	v.Bucket, v.BackendRoleARN, v.ProfileRoleARN = "", "", ""
	if err := v.Validate(); err != nil {
		t.Errorf("rds-only needs no S3 values: %v", err)
	}
}

// FuzzValues: values either fail validation naming a flag, or reach the overlay unchanged (no value can alter
// the YAML around it).
func FuzzValues(f *testing.F) {
	f.Add("kubeflow-db.abc.us-west-2.rds.amazonaws.com", int32(3306), "kfaws-test-artifacts", "us-west-2",
		"arn:aws:iam::123456789012:role/x", "rds-secret", "kubeflow-user-example-com")
	f.Add("h\nkind: Secret", int32(1), "b: c", "us-east-1\n", "arn:aws:iam::123456789012:role/a\"b", "s:\n x", "ns")
	f.Add("10.0.0.1", int32(65535), "a.b-c", "ap-southeast-2", "arn:aws-cn:iam::123456789012:role/path/to/r", "x/y+z=@.-", "a")
	f.Add("", int32(0), "", "", "", "", "")
	l := &detect.Layout{Release: "26.03", KFPVersion: "2.16.0", ObjectStore: detect.SeaweedFS,
		InstallConfigKeys: []string{"dbHost", "dbPort", "mysqlHost", "mysqlPort"}}
	f.Fuzz(func(t *testing.T, host string, port int32, bucket, region, arn, secret, ns string) {
		v := Values{Option: config.OptionRDSS3, Credentials: config.CredentialsIRSA, Region: region, DBHost: host,
			DBPort: port, RDSSecretName: secret, SecretsRoleARN: arn, Bucket: bucket, BackendRoleARN: arn,
			ProfileRoleARN: arn, ProfileNamespace: ns}
		if err := v.Validate(); err != nil {
			if !strings.Contains(err.Error(), "--") {
				t.Fatalf("error names no flag: %v", err)
			}
			return
		}
		o := wire(l, v, inventory{})
		var cm struct {
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal(o.files["pipeline/rds-install-config.yaml"], &cm); err != nil {
			t.Fatal(err)
		}
		if cm.Data["dbHost"] != host || cm.Data["mysqlHost"] != host {
			t.Fatalf("host changed on its way into the overlay: %q -> %v", host, cm.Data)
		}
		if err := yaml.Unmarshal(o.files["pipeline/s3-install-config.yaml"], &cm); err != nil {
			t.Fatal(err)
		}
		if cm.Data["bucketName"] != bucket || cm.Data["minioServiceRegion"] != region {
			t.Fatalf("bucket/region changed: %v", cm.Data)
		}
		var sa struct {
			Metadata struct {
				Namespace   string            `json:"namespace"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(o.files["profile/default-editor.yaml"], &sa); err != nil {
			t.Fatal(err)
		}
		if sa.Metadata.Namespace != ns || sa.Metadata.Annotations[identity.RoleARNAnnotation] != arn {
			t.Fatalf("profile service account changed: %+v", sa.Metadata)
		}
		var spc struct {
			Spec struct {
				Parameters map[string]string `json:"parameters"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(o.files["aws-secrets/rds-secret.yaml"], &spc); err != nil {
			t.Fatal(err)
		}
		var objects []map[string]any
		if err := yaml.Unmarshal([]byte(spc.Spec.Parameters["objects"]), &objects); err != nil || len(objects) != 1 ||
			objects[0]["objectName"] != secret {
			t.Fatalf("secret name changed: %v %v", objects, err)
		}
	})
}
