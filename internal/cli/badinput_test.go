//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const validHead = "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nregion: us-west-2\ncluster: prod-ml\n"

// Each class of bad input (config file, flag value, environment) is refused with exit 2, a message naming the
// file line, field, flag or variable, and no connection to the AWS endpoint.
func TestBadInputIsRefusedBeforeAnyAWSCall(t *testing.T) {
	trap := newAWSTrap(t)
	isolateAWS(t, trap.url())
	dir := t.TempDir()
	t.Chdir(dir)
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return name // relative, as a user types it: messages must repeat it as given
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--cluster", "prod-ml", "--region", "us-west-2", "--bucket", "prod-ml-artifacts"}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"unknown field", []string{"plan", "--config", file("typo.yaml", validHead+"s3:\n  bukcet: x\n")},
			nil, []string{`typo.yaml line 6: unknown field "bukcet" in s3 (did you mean "bucket"?)`}},
		{"key case", []string{"up", "--config", file("case.yaml", validHead+"s3:\n  bucket: mine\n  BUCKET: theirs\n")},
			nil, []string{`case.yaml line 7: unknown field "BUCKET" in s3`}},
		{"duplicate key", []string{"plan", "--config", file("dup.yaml", validHead+"s3: {bucket: prod-ml-artifacts}\nregion: eu-west-1\n")},
			nil, []string{`dup.yaml line 6: duplicate key "region" (first at line 3)`}},
		{"after end marker", []string{"plan", "--config", file("end.yaml", validHead+"s3: {bucket: prod-ml-artifacts}\n...\nrds: {allocatedStorage: 5}\n")},
			nil, []string{`end.yaml line 7: there is more after the end of the first YAML document`}},
		{"wrong type", []string{"plan", "--config", file("type.yaml", validHead+"s3: {bucket: prod-ml-artifacts}\nrds: {multiAZ: yes}\n")},
			nil, []string{`type.yaml line 6: rds.multiAZ "yes": must be true or false`}},
		{"explicit zero in file", []string{"plan", "--config", file("zero.yaml", validHead+"s3: {bucket: prod-ml-artifacts}\nrds:\n  allocatedStorage: 0\n")},
			nil, []string{`zero.yaml line 7: rds.allocatedStorage "0": must be between 20 and 65536 GiB for storage type gp2`}},
		{"same role names", []string{"plan", "--config", file("roles.yaml", validHead+"s3: {bucket: prod-ml-artifacts}\niam: {backendRoleName: r, secretsRoleName: r}\n")},
			nil, []string{`roles.yaml line 6: iam.secretsRoleName "r": must differ from iam.backendRoleName`}},
		{"config is a device", []string{"plan", "--config", os.DevNull}, nil, []string{`--config "` + os.DevNull + `" is a character device, not a regular file`}},
		{"config is a directory", []string{"plan", "--config", "."}, nil, []string{`--config "." is a directory`}},
		{"config is a FIFO", []string{"plan", "--config", fifo}, nil, []string{`is a named pipe (FIFO), not a regular file`}},
		{"config too large", []string{"plan", "--config", file("big.yaml", validHead+"# "+strings.Repeat("x", 300<<10)+"\n")},
			nil, []string{`--config "big.yaml" is 300 KiB, larger than the 256 KiB kfaws reads`}},
		{"state is a device", append([]string{"plan", "--state", os.DevNull}, flags...), nil, []string{`state file "` + os.DevNull + `" is a device, not a regular file`}},
		{"state is a FIFO", append([]string{"plan", "--state", fifo}, flags...), nil, []string{`is a named pipe (FIFO)`}},
		{"rotate without component users", append([]string{"up", "--rotate-db-passwords"}, flags...), nil,
			[]string{`--rotate-db-passwords rotates the database users kfaws creates per component, and rds.componentUsers is off`}},
		{"zero storage flag", append([]string{"plan", "--db-allocated-storage", "0"}, flags...),
			nil, []string{`rds.allocatedStorage "0" (from --db-allocated-storage): must be between 20 and 65536 GiB`}},
		{"empty name flag", append([]string{"plan", "--name", ""}, flags...), nil, []string{`name (from --name): required`}},
		{"negative timeout", append([]string{"up", "--timeout", "-1s"}, flags...), nil, []string{`invalid argument "-1s" for "--timeout" flag: must be more than zero`}},
		{"zero dial timeout", []string{"verify", "--db-dial-timeout", "0s"}, nil, []string{`"--db-dial-timeout" flag: must be more than zero`}},
		{"short password", append([]string{"up"}, flags...), map[string]string{"KFAWS_DB_MASTER_PASSWORD": "hunter2"},
			[]string{`KFAWS_DB_MASTER_PASSWORD: must be 8 to 41 characters long`}},
		{"password with a slash", append([]string{"plan"}, flags...), map[string]string{"KFAWS_DB_MASTER_PASSWORD": "hunter2/hunter2"},
			[]string{`KFAWS_DB_MASTER_PASSWORD: may hold only printable ASCII characters other than /, @, " and space`}},
		{"empty password", append([]string{"plan"}, flags...), map[string]string{"KFAWS_DB_MASTER_PASSWORD": ""},
			[]string{`KFAWS_DB_MASTER_PASSWORD: is set but empty`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, errOut, code := runTrapped(trap, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, v := range tc.env {
				if v != "" && strings.Contains(errOut, v) {
					t.Errorf("stderr shows the password:\n%s", errOut)
				}
			}
			if n := trap.conns.Load(); n != 0 {
				t.Fatalf("%d connection(s) to the AWS endpoint before the refusal", n)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".kfaws")); err == nil {
		t.Error("a refused command created the state directory")
	}
}

// The trap sees calls: a valid configuration reaches it, so zero connections above means no call was made.
func TestAWSTrapSeesCalls(t *testing.T) {
	trap := newAWSTrap(t)
	isolateAWS(t, trap.url())
	t.Chdir(t.TempDir())
	_, errOut, code := runTrapped(trap, "plan", "--cluster", "prod-ml", "--region", "us-west-2", "--bucket", "prod-ml-artifacts")
	if code == ExitUsage || code == ExitOK || trap.conns.Load() == 0 {
		t.Fatalf("exit %d with %d connection(s); stderr:\n%s", code, trap.conns.Load(), errOut)
	}
}
