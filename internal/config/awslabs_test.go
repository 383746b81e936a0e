package config

import (
	"strings"
	"testing"
)

func TestAwslabsMetadataIRSA(t *testing.T) {
	m, err := LoadAwslabsMetadata("testdata/awslabs/metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := New()
	c.SetSource("region", Source{Flag: "--region"})
	c.Region = "eu-west-1" // a flag wins over the metadata
	m.ApplyTo(c)
	c.Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got := []string{c.Region, c.Cluster, c.S3.Bucket, c.S3.SecretName, string(c.S3.Credentials), c.RDS.InstanceName,
		c.RDS.SecretName, c.RDS.SubnetGroupName, c.IAM.BackendRoleName, c.IAM.ProfileRoleName, c.IAM.S3PolicyName}
	want := []string{"eu-west-1", "my-cluster", "my-kfp-artifacts", "s3-secret", "irsa", "kubeflow-db", "rds-secret",
		"kubeflow-db-subnet-group", "kf-pipeline-role-backend-my-cluster-a1b2c", "kf-pipeline-role-profile-my-cluster-g5h6i",
		"kf-pipeline-irsa-s3-policy-d3e4f"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if s := c.SourceOf("iam.s3PolicyName"); s.File != "testdata/awslabs/metadata.yaml" || s.Line != 11 {
		t.Errorf("source of iam.s3PolicyName: %+v", s)
	}
}

func TestAwslabsMetadataStatic(t *testing.T) {
	m, err := ParseAwslabsMetadata("metadata.yaml", []byte("CLUSTER: {name: c, region: us-east-1}\n"+
		"RDS: {instanceName: kubeflow-db, secretName: rds-secret, subnetGroupName: kubeflow-db-subnet-group}\n"+
		"S3: {bucket: b-artifacts, secretName: s3-secret}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := New()
	m.ApplyTo(c)
	if c.S3.Credentials != CredentialsStatic || c.IAM.BackendRoleName != "" {
		t.Errorf("credentials %q, backend role %q", c.S3.Credentials, c.IAM.BackendRoleName)
	}
}

func TestAwslabsMetadataInvalid(t *testing.T) {
	cases := map[string]struct{ yaml, says string }{
		"unknown key":    {"S3:\n  bukcet: x\n", `metadata.yaml line 2: unknown field "bukcet" in S3 (did you mean "bucket"?)`},
		"missing name":   {"CLUSTER: {region: r}\nRDS: {instanceName: i, secretName: s, subnetGroupName: g}\nS3: {bucket: b}\n", "CLUSTER.name: required"},
		"not an ARN":     {"S3: {backEndRoleArn: kf-role, profileRoleArn: arn:aws:iam::1:role/p, policyArn: arn:aws:iam::1:policy/x}\n", "metadata.yaml line 1: S3.backEndRoleArn \"kf-role\": must be an IAM role ARN"},
		"policy as role": {"S3: {backEndRoleArn: arn:aws:iam::1:policy/p, profileRoleArn: arn:aws:iam::1:role/p, policyArn: arn:aws:iam::1:policy/x}\n", "must be an IAM role ARN"},
		"some ARNs":      {"S3: {backEndRoleArn: arn:aws:iam::1:role/b}\n", "the static one none"},
		"duplicate":      {"S3:\n  bucket: a\n  bucket: b\n", "duplicate key"},
		"a list":         {"- S3\n", "metadata"},
		"wrong type":     {"RDS: [a]\n", "RDS"},
	}
	for name, c := range cases {
		_, err := ParseAwslabsMetadata("metadata.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "invalid awslabs metadata") {
			t.Errorf("%s: %v, want %q", name, err, c.says)
		}
	}
}
