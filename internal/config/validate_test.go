package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestValidFileDefaultsAndValidates(t *testing.T) {
	c, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	if c.Name != "prod-ml" || c.RDS.EngineVersion != "8.4" || c.RDS.InstanceName != "kubeflow-db" ||
		Value(c.RDS.MaxAllocatedStorage) != 1000 || !Value(c.RDS.MultiAZ) || !Value(c.S3.RequireTLS) || c.IAM.BackendRoleName != "kfaws-prod-ml-kfp-backend" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if got := c.StatePath(); got != filepath.Join("testdata", ".kfaws", "prod-ml.state.json") && got != filepath.Join(".kfaws", "prod-ml.state.json") {
		t.Errorf("state path %q", got)
	}
}

// Each file in testdata/invalid breaks one rule. Its first line names the field, a fragment of the message and,
// for problems Load finds, the line: "# want: FIELD | FRAGMENT[ | line N]". An optional second line
// "# env: NAME=VALUE" sets a variable kfaws reads from the environment.
func TestInvalidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(data), "\n")
			want := strings.Split(strings.TrimPrefix(lines[0], "# want: "), " | ")
			field, fragment, wantLine := want[0], want[1], 0
			if len(want) > 2 {
				wantLine, _ = strconv.Atoi(strings.TrimPrefix(want[2], "line "))
			}
			env := map[string]string{}
			if name, value, ok := strings.Cut(strings.TrimPrefix(lines[1], "# env: "), "="); ok && strings.HasPrefix(lines[1], "# env: ") {
				env[name] = value
			}
			c, err := ParseFile("kfaws.yaml", data)
			if err == nil {
				c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
				c.Default()
				err = c.Validate()
			} else if wantLine == 0 {
				t.Fatalf("parse: %v", err)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want configuration errors", err)
			}
			for _, fe := range errs {
				if fe.Field == field && strings.Contains(fe.Message, fragment) && (wantLine == 0 || fe.Source.Line == wantLine) {
					if wantLine > 0 && !strings.HasPrefix(fe.Error(), fmt.Sprintf("kfaws.yaml line %d: ", wantLine)) {
						t.Errorf("message does not start with the file and line: %s", fe.Error())
					}
					for _, v := range env {
						if v != "" && strings.Contains(err.Error(), v) {
							t.Errorf("message shows the value of a secret: %v", err)
						}
					}
					return
				}
			}
			t.Errorf("no error on %s containing %q at line %d; got:\n%v", field, fragment, wantLine, err)
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := New()
	c.Region, c.Cluster, c.S3.Bucket = "nowhere", "", "UPPER"
	c.RDS.AllocatedStorage = 1
	c.Default()
	var errs Errors
	if !errors.As(c.Validate(), &errs) || len(errs) < 4 {
		t.Fatalf("want at least 4 problems, got %v", errs)
	}
}

func TestStaticKeysRules(t *testing.T) {
	base := func() *Config {
		c := New()
		c.Region, c.Cluster, c.S3.Bucket = "us-west-2", "prod-ml", "prod-ml-artifacts"
		return c
	}
	c := base()
	c.S3.AccessKeyID = "AKIAEXAMPLE000000001"
	c.Default()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "credentials is irsa") {
		t.Errorf("keys with irsa: %v", err)
	}
	c = base()
	c.S3.Credentials, c.S3.AccessKeyID = CredentialsStatic, "AKIAEXAMPLE000000001"
	c.Default()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "give both") {
		t.Errorf("one key only: %v", err)
	}
	c.S3.SecretAccessKey = "a-secret-that-must-not-show"
	if err := c.Validate(); err != nil {
		t.Errorf("both keys: %v", err)
	}
	c.S3.AccessKeyID = "not-a-key"
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "not-a-key") || strings.Contains(err.Error(), "a-secret-that-must-not-show") {
		t.Errorf("bad key id must be reported without echoing keys: %v", err)
	}
}

func TestParseIsStrict(t *testing.T) {
	cases := map[string]string{
		"unknown field": "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nregoin: us-west-2\n",
		"wrong kind":    "apiVersion: kfaws.dev/v1alpha1\nkind: Cluster\n",
		"wrong version": "apiVersion: kfaws.dev/v1\nkind: Installation\n",
		"two documents": "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\n---\napiVersion: kfaws.dev/v1alpha1\nkind: Installation\n",
		"not yaml":      "apiVersion: [\n",
		"password":      "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nrds: {masterPassword: hunter2}\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(data)); err == nil {
				t.Error("parsed without error")
			} else if strings.Contains(err.Error(), "hunter2") {
				t.Error("error echoes a secret")
			}
		})
	}
}

func TestStarterRoundTrips(t *testing.T) {
	c := New()
	c.Region, c.Cluster, c.S3.Bucket = "eu-central-1", "ml", "ml-artifacts-eu"
	c.Default()
	data, err := Starter(c)
	if err != nil {
		t.Fatalf("starter refused: %v", err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("starter does not parse: %v", err)
	}
	back.Default()
	if err := back.Validate(); err != nil {
		t.Fatalf("starter does not validate: %v", err)
	}
	if back.RDS.InstanceClass != c.RDS.InstanceClass || back.Region != c.Region || Value(back.RDS.BackupRetentionPeriod) != 7 {
		t.Errorf("starter lost values: %+v", back)
	}
}

func TestApplyEnv(t *testing.T) {
	c := New()
	env := map[string]string{EnvS3AccessKeyID: "AK", EnvS3SecretAccessKey: "SK", EnvDBMasterPassword: "PW"}
	c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if c.S3.AccessKeyID != "AK" || c.S3.SecretAccessKey != "SK" || c.RDS.MasterPassword != "PW" {
		t.Errorf("env not applied: %+v", c)
	}
}

// FuzzParse: whatever the file holds, Parse returns a Config or Errors (never a bare error or a panic), each
// problem names the file, and the file init would write for an accepted config reads back.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, p := range append(seeds, "testdata/valid.yaml") {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseFile("kfaws.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 || len(errs) > maxProblems+1 {
				t.Fatalf("not a bounded list of configuration errors: %T %v", err, err)
			}
			for _, fe := range errs {
				if !strings.HasPrefix(fe.Error(), "kfaws.yaml") {
					t.Fatalf("problem does not name the file: %v", fe)
				}
			}
			return
		}
		if data, err := Starter(c); err == nil {
			if _, err := Parse(data); err != nil {
				t.Fatalf("init's file for an accepted config does not read back: %v\n%s", err, data)
			}
		}
		c.Default()
		_ = c.Validate() // must not panic, whatever the file says
		_ = c.StatePath()
	})
}
