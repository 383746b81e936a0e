package config

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
)

// AwslabsMetadata is the metadata.yaml the awslabs setup script (awslabs/kubeflow-manifests
// v1.7.0-aws-b1.0.3:tests/e2e/utils/rds-s3/auto-rds-s3-setup.py) writes for its cleanup script: the names of
// what it created. The role and policy ARNs are there only in IRSA mode; secretName always, though the secret
// exists only in static mode.
type AwslabsMetadata struct {
	S3      awslabsS3      `json:"S3"`
	RDS     awslabsRDS     `json:"RDS"`
	Cluster awslabsCluster `json:"CLUSTER"`

	file    string
	sources map[string]Source
}

type awslabsS3 struct {
	Bucket         string `json:"bucket"`
	SecretName     string `json:"secretName"`
	BackEndRoleArn string `json:"backEndRoleArn"`
	ProfileRoleArn string `json:"profileRoleArn"`
	PolicyArn      string `json:"policyArn"`
}

type awslabsRDS struct {
	InstanceName    string `json:"instanceName"`
	SecretName      string `json:"secretName"`
	SubnetGroupName string `json:"subnetGroupName"`
}

type awslabsCluster struct {
	Region string `json:"region"`
	Name   string `json:"name"`
}

// ParseAwslabsMetadata reads the awslabs metadata.yaml strictly, as config files are read: unknown or duplicate
// keys, wrong types, missing names and ARNs that are not IAM role or policy ARNs are refused, every problem with
// the file, line and field.
func ParseAwslabsMetadata(name string, data []byte) (*AwslabsMetadata, error) {
	d := &document{file: name, sources: map[string]Source{}}
	root := d.single(data)
	if root == nil {
		return nil, MetadataErrors(d.errs)
	}
	m := &AwslabsMetadata{file: name}
	d.decodeStruct(root, reflect.ValueOf(m).Elem(), "")
	m.sources = d.sources
	decoded := len(d.errs) == 0
	for _, f := range []struct{ field, value string }{
		{"CLUSTER.region", m.Cluster.Region}, {"CLUSTER.name", m.Cluster.Name}, {"S3.bucket", m.S3.Bucket},
		{"RDS.instanceName", m.RDS.InstanceName}, {"RDS.secretName", m.RDS.SecretName}, {"RDS.subnetGroupName", m.RDS.SubnetGroupName},
	} {
		if f.value == "" && decoded {
			d.problem(0, f.field, "", "required; the awslabs setup script always writes it")
		}
	}
	arns := []struct{ field, value, kind string }{
		{"S3.backEndRoleArn", m.S3.BackEndRoleArn, "role"}, {"S3.profileRoleArn", m.S3.ProfileRoleArn, "role"},
		{"S3.policyArn", m.S3.PolicyArn, "policy"},
	}
	given := 0
	for _, a := range arns {
		if a.value == "" {
			continue
		}
		given++
		if nameInARN(a.value, a.kind) == "" {
			d.problem(m.sources[a.field].Line, a.field, a.value, fmt.Sprintf("must be an IAM %s ARN, arn:PARTITION:iam::ACCOUNT:%s/NAME", a.kind, a.kind))
		}
	}
	if given != 0 && given != len(arns) {
		d.sentence(0, "S3", "S3 names some of backEndRoleArn, profileRoleArn and policyArn; the IRSA setup writes all three, the static one none")
	}
	if len(d.errs) > 0 {
		return nil, MetadataErrors(d.errs)
	}
	return m, nil
}

// MetadataErrors are the problems of a metadata.yaml.
type MetadataErrors Errors

func (e MetadataErrors) Error() string {
	return strings.Replace(Errors(e).Error(), "invalid configuration", "invalid awslabs metadata", 1)
}

// nameInARN is the name in an IAM ARN of kind (role or policy), without its path; "" when arn is not one.
func nameInARN(arn, kind string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], kind+"/") {
		return ""
	}
	return parts[5][strings.LastIndex(parts[5], "/")+1:]
}

// IRSA reports whether the setup used IAM roles for service accounts (the metadata names the roles).
func (m *AwslabsMetadata) IRSA() bool { return m.S3.BackEndRoleArn != "" }

// ApplyTo sets in c every field the metadata names that c was not given (flags win), each with the metadata's
// file and line as its source: region, cluster, bucket, the RDS names, the S3 secret, the credentials mode from
// whether the roles exist, and the IAM role and policy names from their ARNs.
func (m *AwslabsMetadata) ApplyTo(c *Config) {
	set := func(field, from string, p *string, v string) {
		if v == "" || c.Given(field) {
			return
		}
		*p = v
		src := m.sources[from]
		src.File = m.file
		c.SetSource(field, src)
	}
	set("region", "CLUSTER.region", &c.Region, m.Cluster.Region)
	set("cluster", "CLUSTER.name", &c.Cluster, m.Cluster.Name)
	set("s3.bucket", "S3.bucket", &c.S3.Bucket, m.S3.Bucket)
	set("s3.secretName", "S3.secretName", &c.S3.SecretName, m.S3.SecretName)
	set("rds.instanceName", "RDS.instanceName", &c.RDS.InstanceName, m.RDS.InstanceName)
	set("rds.secretName", "RDS.secretName", &c.RDS.SecretName, m.RDS.SecretName)
	set("rds.subnetGroupName", "RDS.subnetGroupName", &c.RDS.SubnetGroupName, m.RDS.SubnetGroupName)
	mode := string(CredentialsStatic)
	if m.IRSA() {
		mode = string(CredentialsIRSA)
	}
	var cred string
	set("s3.credentials", "S3.backEndRoleArn", &cred, mode)
	if cred != "" {
		c.S3.Credentials = CredentialMode(cred)
	}
	set("iam.backendRoleName", "S3.backEndRoleArn", &c.IAM.BackendRoleName, nameInARN(m.S3.BackEndRoleArn, "role"))
	set("iam.profileRoleName", "S3.profileRoleArn", &c.IAM.ProfileRoleName, nameInARN(m.S3.ProfileRoleArn, "role"))
	set("iam.s3PolicyName", "S3.policyArn", &c.IAM.S3PolicyName, nameInARN(m.S3.PolicyArn, "policy"))
}

// LoadAwslabsMetadata reads and parses the metadata.yaml at path.
func LoadAwslabsMetadata(path string) (*AwslabsMetadata, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the awslabs metadata: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("--from-awslabs-metadata %q is %s, not a regular file; give the path of the setup script's metadata.yaml", path, fileKind(info.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the awslabs metadata: %w", err)
	}
	defer f.Close()
	// The script writes a few hundred bytes; the bound keeps a wrong file from filling memory.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the awslabs metadata: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("--from-awslabs-metadata %q is larger than any metadata.yaml the setup script writes", path)
	}
	return ParseAwslabsMetadata(path, data)
}
