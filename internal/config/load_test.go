package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const head = "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nregion: us-west-2\ncluster: prod-ml\n"

// Every problem of a file is reported at once, in file order, each with the file as named, the line and the
// field in YAML terms.
func TestLoadReportsEveryProblemWithItsLine(t *testing.T) {
	path := writeFile(t, "kfaws.yaml", head+`s3:
  bucket: prod-ml-artifacts
  bukcet: other
rds:
  allocatedStorage: fifty
  multiAZ: "true"
  instanceClass: {size: large}
region: eu-west-1
BUCKET: x
`)
	_, err := Load(path)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		path + ` line 7: unknown field "bukcet" in s3 (did you mean "bucket"?)`,
		path + ` line 9: rds.allocatedStorage "fifty": must be a whole number written in decimal, such as 50`,
		path + ` line 10: rds.multiAZ "true": must be true or false`,
		path + ` line 11: rds.instanceClass: must be a single value, not a mapping`,
		path + ` line 12: duplicate key "region" (first at line 3); keep one`,
		path + ` line 13: unknown field "BUCKET" ("bucket" belongs under s3)`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("problem %d:\n got %s\nwant %s", i, errs[i].Error(), w)
		}
	}
	if !strings.HasPrefix(err.Error(), "invalid configuration (6 problems):\n  - "+path+" line 7: ") {
		t.Errorf("summary: %s", err)
	}
}

// Keys match exactly: a key differing in case is unknown, not a second spelling that silently wins.
func TestKeysMatchExactly(t *testing.T) {
	_, err := Parse([]byte(head + "s3:\n  bucket: mine\n  BUCKET: theirs\n"))
	if err == nil || !strings.Contains(err.Error(), `line 7: unknown field "BUCKET" in s3 (did you mean "bucket"?)`) {
		t.Errorf("got %v", err)
	}
}

// Given values are kept and recorded even when zero, so Default does not replace them; null is absent.
func TestExplicitValuesAreKept(t *testing.T) {
	c, err := Parse([]byte(head + "s3: {bucket: prod-ml-artifacts}\nname: \"\"\nrds:\n  allocatedStorage: 0\n  maxAllocatedStorage: 0\n  storageType:\n  instanceName: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Default()
	if c.RDS.AllocatedStorage != 0 || !c.Given("rds.allocatedStorage") || c.SourceOf("rds.allocatedStorage").Line != 8 {
		t.Errorf("allocatedStorage: %d, given %v, source %+v", c.RDS.AllocatedStorage, c.Given("rds.allocatedStorage"), c.SourceOf("rds.allocatedStorage"))
	}
	if c.Name != "" || Value(c.RDS.MaxAllocatedStorage) != 0 {
		t.Errorf("explicit empty name or zero ceiling replaced: %q, %d", c.Name, Value(c.RDS.MaxAllocatedStorage))
	}
	if c.RDS.StorageType != DefaultStorageType || c.RDS.InstanceName != DefaultInstanceName || c.Given("rds.storageType") {
		t.Errorf("null is not absent: %q %q", c.RDS.StorageType, c.RDS.InstanceName)
	}
	err = c.Validate()
	for _, want := range []string{`line 8: rds.allocatedStorage "0": must be between 20 and 65536 GiB for storage type gp2`, `line 6: name: required`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation lacks %q: %v", want, err)
		}
	}
}

func TestParseAcceptsJSONAndPlainYAML(t *testing.T) {
	for name, data := range map[string]string{
		"json":          `{"apiVersion": "kfaws.dev/v1alpha1", "kind": "Installation", "region": "us-west-2", "cluster": "c", "s3": {"bucket": "c-artifacts"}, "rds": {"allocatedStorage": 100, "multiAZ": false}}`,
		"unquoted 8.0":  head + "rds: {engineVersion: 8.0, allocatedStorage: 100, multiAZ: false}\ns3: {bucket: c-artifacts}\n",
		"anchor":        head + "rds: &r {allocatedStorage: 100, multiAZ: false}\ns3: {bucket: c-artifacts}\n",
		"end marker":    head + "rds: {allocatedStorage: 100, multiAZ: false}\ns3: {bucket: c-artifacts}\n...\n# only comments after the end\n",
		"document mark": "---\n" + head + "rds: {allocatedStorage: 100, multiAZ: false}\ns3: {bucket: c-artifacts}\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if c.RDS.AllocatedStorage != 100 || Value(c.RDS.MultiAZ) || c.S3.Bucket != "c-artifacts" {
				t.Errorf("decoded %+v", c.RDS)
			}
			if name == "unquoted 8.0" && c.RDS.EngineVersion != "8.0" {
				t.Errorf("engineVersion %q, want the text as written", c.RDS.EngineVersion)
			}
		})
	}
}

// s3.requireTLS is on unless the file turns it off; a value that is not a boolean is refused with its line.
func TestRequireTLS(t *testing.T) {
	c, err := Parse([]byte(head + "s3: {bucket: c-artifacts, requireTLS: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Default()
	if Value(c.S3.RequireTLS) || !c.Given("s3.requireTLS") {
		t.Errorf("requireTLS: false read as %v (given %v)", Value(c.S3.RequireTLS), c.Given("s3.requireTLS"))
	}
	_, err = Load(writeFile(t, "kfaws.yaml", head+"s3:\n  bucket: c-artifacts\n  requireTLS: \"no\"\n"))
	if err == nil || !strings.Contains(err.Error(), `line 7: s3.requireTLS "no": must be true or false`) {
		t.Errorf("a string requireTLS: %v", err)
	}
}

func TestAliasesResolve(t *testing.T) {
	c, err := Parse([]byte(head + "s3: &s3 {bucket: c-artifacts}\nrds:\n  instanceName: &db my-db\n  secretName: *db\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.RDS.SecretName != "my-db" || c.S3.Bucket != "c-artifacts" {
		t.Errorf("aliases not resolved: %+v %+v", c.RDS, c.S3)
	}
}

func TestParseRefusesWhatIsNotOneConfig(t *testing.T) {
	cases := map[string]struct{ data, want string }{
		"empty":          {"", "the file is empty"},
		"only comments":  {"# nothing\n", "the file is empty"},
		"scalar":         {"hello\n", "line 1: the file holds a value"},
		"no apiVersion":  {"kind: Installation\n", "apiVersion: required"},
		"apiVersion int": {"apiVersion: 1\nkind: Installation\n", "apiVersion: required"},
		"second doc":     {head + "---\n", "line 5: a second YAML document starts here"},
		"after end":      {head + "...\n\n# why\nregion: x\n", `line 8: there is more after the end of the first YAML document ("..." at line 5)`},
		"syntax":         {head + "s3: [\n", "line 5: not valid YAML"},
		"non-string key": {head + "[a]: 1\n", "line 5: a key is not a plain name"},
		"custom tag":     {head + "name: !secret x\n", `name "x": must be text`},
		"too many":       {head + strings.Repeat("x: 1\n", 500), "stopped after 50 problems"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFile("f.yaml", []byte(tc.data))
			var errs Errors
			if !errors.As(err, &errs) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want Errors with %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "f.yaml") {
				t.Errorf("the message does not name the file: %v", err)
			}
		})
	}
}

func TestNearestField(t *testing.T) {
	fields := yamlFields(reflect.TypeFor[RDS]())
	for name, want := range map[string]string{
		"allocatedstorage": "allocatedStorage", "instanceNmae": "instanceName", "secretNam": "secretName",
		"storage": "", "multiaz": "multiAZ", "x": "",
	} {
		if got := nearest(name, fields); got != want {
			t.Errorf("nearest(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestLoadReadsOnlyRegularFilesWithinTheBound(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(head+"# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(writeFile(t, "target.yaml", head+"s3: {bucket: c-artifacts}\n"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(link); err != nil {
		t.Errorf("a symlink to a regular file: %v", err)
	}
	for path, want := range map[string]string{
		dir:                                `--config "` + dir + `" is a directory, not a regular file`,
		os.DevNull:                         `--config "` + os.DevNull + `" is a character device, not a regular file`,
		big:                                `is 256 KiB, larger than the 256 KiB kfaws reads`,
		filepath.Join(dir, "missing.yaml"): "does not exist; `kfaws init --out",
	} {
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want %q", path, err, want)
		}
	}
}

func TestLoadResolvesStateFileNextToTheConfig(t *testing.T) {
	path := writeFile(t, "kfaws.yaml", head+"stateFile: state/x.json\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "state", "x.json"); c.StateFile != want {
		t.Errorf("stateFile %q, want %q", c.StateFile, want)
	}
}

func TestFieldsListsEveryPath(t *testing.T) {
	fields := strings.Join(Fields(), " ")
	for _, f := range []string{"name", "stateFile", "s3.bucket", "rds.allocatedStorage", "rds.multiAZ", "s3.requireTLS", "iam.secretsRoleName"} {
		if !strings.Contains(" "+fields+" ", " "+f+" ") {
			t.Errorf("Fields lacks %s: %s", f, fields)
		}
	}
	if strings.Contains(fields, "masterPassword") || strings.Contains(fields, "accessKey") {
		t.Errorf("Fields lists a secret: %s", fields)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
