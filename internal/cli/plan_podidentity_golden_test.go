package cli

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/kfaws/kfaws/localstack"
)

// The output of `plan` and `down --dry-run` with --identity pod-identity, through the real root command: no OIDC
// provider, the Pod Identity Agent add-on, and one association per service account, created after its role and
// deleted before it.
func TestPlanGoldenPodIdentity(t *testing.T) {
	const name = "golden-pi"
	s := localstack.Shared(t)
	cl, err := s.SeedCluster(context.Background(), name, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-west-2")
	dir := t.TempDir()
	flags := []string{"--cluster", name, "--bucket", name + "-artifacts", "--db-master-username", "goldenpi",
		"--identity", "pod-identity", "--state", dir + "/golden.state.json",
		// Apart from TestPlanGolden's installation, which the same local stack serves in this process.
		"--db-instance-name", name + "-db", "--db-subnet-group", name + "-subnets", "--rds-secret-name", name + "-rds"}
	ids := regexp.MustCompile(`\ba-[0-9a-z]{17}\b`)
	stamp := regexp.MustCompile(`-final-\d{8}-\d{6}`)
	base := masker(cl, dir)
	mask := func(s string) string {
		return stamp.ReplaceAllString(ids.ReplaceAllString(base(s), "a-ASSOCIATION-ID-X"), "-final-YYYYMMDD-HHMMSS")
	}
	show := func(golden_ string, cmd ...string) {
		t.Helper()
		args := append(slices.Clone(cmd), flags...)
		out, errOut, code := run(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", cmd, code, errOut)
		}
		golden(t, golden_, mask(out+"--- stderr\n"+errOut))
		js, errOut, code := run(t, append(args, "-o", "json")...)
		if code != ExitOK {
			t.Fatalf("%v -o json: exit %d\n%s", cmd, code, errOut)
		}
		golden(t, golden_+".json", mask(js))
	}
	show("plan-pod-identity-fresh", "plan")
	if _, errOut, code := run(t, append([]string{"up"}, flags...)...); code != ExitOK {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	show("plan-pod-identity-after-up", "plan")
	show("down-pod-identity", "down", "--dry-run", "--skip-cluster")
}
