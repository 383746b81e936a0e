package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/localstack"
)

// goldenCluster is the fixed name of the plan goldens' cluster; everything else is named after it.
const goldenCluster = "golden"

// The output of `plan`, text and -o json, on a fresh cluster, after `up`, and with the bucket renamed, through
// the real root command.
// What moto makes up (the OIDC issuer's id, VPC, subnet and security group ids) is replaced by placeholders.
func TestPlanGolden(t *testing.T) {
	s := localstack.Shared(t)
	cl, err := s.SeedCluster(context.Background(), goldenCluster, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-west-2")
	// Not t.Chdir: golden reads testdata relative to the package; the state goes to a temporary file instead.
	dir := t.TempDir()
	flags := []string{"--cluster", goldenCluster, "--bucket", goldenCluster + "-artifacts", "--db-master-username", "goldenadmin",
		"--state", dir + "/golden.state.json"}
	mask := masker(cl, dir)

	plan := func(name string, extra ...string) {
		t.Helper()
		flags := append(slices.Clone(flags), extra...)
		out, errOut, code := run(t, append([]string{"plan"}, flags...)...)
		if code != ExitOK {
			t.Fatalf("plan: exit %d\n%s", code, errOut)
		}
		golden(t, name, mask(out+"--- stderr\n"+errOut))
		js, errOut, code := run(t, append([]string{"plan", "-o", "json"}, flags...)...)
		if code != ExitOK {
			t.Fatalf("plan -o json: exit %d\n%s", code, errOut)
		}
		golden(t, name+".json", mask(js))
	}
	plan("plan-fresh")
	// With a KMS key kfaws creates: the key is a resource, the bucket, instance and secrets name it.
	plan("plan-fresh-kms", "--kms-key", "create")
	if _, errOut, code := run(t, append([]string{"up"}, flags...)...); code != ExitOK {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	plan("plan-after-up")
	// A new bucket name: the new bucket is created, the policy follows it, the old bucket is kept as an orphan.
	plan("plan-renamed", "--bucket", goldenCluster+"-artifacts-2")

	// The teardown after up, as down --dry-run shows it: what goes, in which order, and what is kept.
	stamp := regexp.MustCompile(`-final-\d{8}-\d{6}`)
	down := func(name string, extra ...string) {
		t.Helper()
		args := append(append([]string{"down", "--dry-run", "--skip-cluster"}, flags...), extra...)
		out, errOut, code := run(t, args...)
		if code != ExitOK {
			t.Fatalf("down --dry-run: exit %d\n%s", code, errOut)
		}
		golden(t, name, stamp.ReplaceAllString(mask(out+"--- stderr\n"+errOut), "-final-YYYYMMDD-HHMMSS"))
		js, errOut, code := run(t, append(args, "-o", "json")...)
		if code != ExitOK {
			t.Fatalf("down --dry-run -o json: exit %d\n%s", code, errOut)
		}
		golden(t, name+".json", stamp.ReplaceAllString(mask(js), "-final-YYYYMMDD-HHMMSS"))
	}
	down("down-after-up")
	down("down-delete-data", "--delete-data", "--skip-final-snapshot", "--force-delete-secrets")

	// After a real teardown, up from its final snapshot: the secrets come back from their scheduled deletion, and
	// the instance is restored from the snapshot, then given the secret's master password.
	if _, errOut, code := run(t, append([]string{"down", "--yes", "--skip-cluster"}, flags...)...); code != ExitOK {
		t.Fatalf("down: exit %d\n%s", code, errOut)
	}
	data, err := os.ReadFile(dir + "/golden.state.json")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Outputs struct {
			FinalSnapshot string `json:"finalSnapshot"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Outputs.FinalSnapshot == "" {
		t.Fatalf("the state after down names no final snapshot (%v): %s", err, data)
	}
	unstamp := mask
	mask = func(s string) string { return stamp.ReplaceAllString(unstamp(s), "-final-YYYYMMDD-HHMMSS") }
	plan("plan-from-snapshot", "--from-snapshot", st.Outputs.FinalSnapshot)
}

// masker replaces the ids moto chose for cl, and the temporary directory, with stable placeholders.
func masker(cl *localstack.Cluster, dir string) func(string) string {
	pairs := []string{dir, "TMPDIR"}
	issuer := strings.TrimPrefix(cl.OIDCIssuer, "https://")
	if i := strings.LastIndex(issuer, "/"); i >= 0 {
		// As long as the id, so the plan's table keeps its alignment.
		id := issuer[i+1:]
		pairs = append(pairs, id, ("OIDC-ID" + strings.Repeat("X", len(id)))[:len(id)])
	}
	pairs = append(pairs, cl.VPCID, "vpc-ID", cl.SecurityGroupID, "sg-CONTROL-PLANE")
	// Numbered in the order kfaws lists subnets (by id), so the placeholders read in order whatever ids moto chose.
	for i, id := range slices.Sorted(slices.Values(cl.PrivateSubnetIDs)) {
		pairs = append(pairs, id, fmt.Sprintf("subnet-PRIVATE%d", i+1))
	}
	for i, id := range slices.Sorted(slices.Values(cl.PublicSubnetIDs)) {
		pairs = append(pairs, id, fmt.Sprintf("subnet-PUBLIC%d", i+1))
	}
	return strings.NewReplacer(pairs...).Replace
}
