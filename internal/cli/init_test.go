package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/config"
)

// A bare init writes placeholders, not names built from an empty installation name.
func TestInitWithoutClusterWritesNoBrokenNames(t *testing.T) {
	out, errOut, code := run(t, "init")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "kfaws--") {
		t.Errorf("init wrote a name built from an empty installation name:\n%s", out)
	}
	for _, want := range []string{"cluster: CLUSTER_NAME", "region: REGION", "bucket: BUCKET_NAME", "# name: CLUSTER_NAME",
		"# backendRoleName: kfaws-CLUSTER_NAME-kfp-backend"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("init lacks %q:\n%s", want, out)
		}
	}
}

// Derived names are written commented out unless given, so a later --name still renames them; given ones are
// written as values.
func TestInitWritesDerivedNamesOnlyWhenGiven(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kfaws.yaml")
	if _, errOut, code := run(t, "init", "--cluster", "prod-ml", "--region", "us-west-2", "--bucket", "prod-ml-artifacts",
		"--db-parameter-group", "my-params", "--out", path); code != ExitOK {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n# name: prod-ml\n", "\n  # backendRoleName: kfaws-prod-ml-kfp-backend\n",
		"\n  # securityGroupName: kubeflow-db-sg\n", "\n  parameterGroupName: my-params\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("written file lacks %q:\n%s", want, data)
		}
	}
	// The same file under another installation name: the IAM names follow it.
	out, errOut, code := run(t, "init", "--config", path, "--name", "staging")
	if code != ExitOK {
		t.Fatalf("init --config: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"\nname: staging\n", "\n  # backendRoleName: kfaws-staging-kfp-backend\n", "\n  parameterGroupName: my-params\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("re-rendered file lacks %q:\n%s", want, out)
		}
	}
}

// init refuses what cannot be valid, naming the flag, and writes nothing.
func TestInitRefusesInvalidValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kfaws.yaml")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--bucket", "Bad_Bucket"}, []string{`s3.bucket "Bad_Bucket" (from --bucket)`}},
		{[]string{"--cluster", "Prod_ML"}, []string{`name "Prod_ML"`, "defaults to the cluster name"}},
		{[]string{"--db-storage-type", "io1"}, []string{`rds.allocatedStorage "50": must be between 100 and 65536 GiB for storage type io1`}},
		{[]string{"--db-allocated-storage", "0"}, []string{`rds.allocatedStorage "0" (from --db-allocated-storage)`}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := run(t, append([]string{"init", "--out", path}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a refused init wrote the file")
			}
		})
	}
}

// -o is the output format everywhere else; on init it is refused, not taken as a file name.
func TestInitRefusesOutputFlag(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"init", "-o", "json"}, {"init", "--output", "kfaws.yaml"}} {
		_, errOut, code := run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "name the file with --out") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
		if entries, _ := os.ReadDir("."); len(entries) != 0 {
			t.Errorf("%v wrote %v", args, entries)
		}
	}
}

// Every flag that overrides the file names a field of the file format, and every such flag is in the table,
// so Default keeps an explicit value and errors can name the flag.
func TestConfigOverridesCoverEveryConfigFlag(t *testing.T) {
	fields := map[string]bool{}
	for _, f := range config.Fields() {
		fields[f] = true
	}
	overridden := map[string]bool{}
	for _, o := range configOverrides {
		overridden[o.flag] = true
		if !fields[o.field] {
			t.Errorf("--%s sets %q, which is not a field of kfaws.yaml", o.flag, o.field)
		}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addConfigFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "profile" && !overridden[f.Name] {
			t.Errorf("--%s is a config flag missing from configOverrides", f.Name)
		}
	})
}
