package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfaws/kfaws/localstack"
)

// Two installations in one account and region, both with the default RDS names. The second is refused: every
// resource it collides with names the first installation, none is called "not created by kfaws", and the
// suggested command (the user's flags plus the renamed fields) works when run.
func TestSecondInstallationWithDefaultNames(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	// A region no other test of this package uses, so the default names are free at the start.
	const region = "eu-west-1"
	id := fmt.Sprintf("%d", time.Now().UnixNano()%1e7)
	first, err := s.SeedCluster(ctx, "first"+id, region)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.SeedCluster(ctx, "second"+id, region)
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", region)
	t.Chdir(t.TempDir())

	if _, errOut, code := run(t, "up", "--cluster", first.Name, "--bucket", first.Name+"-b", "--db-master-username", "u1"+id); code != ExitOK {
		t.Fatalf("first up: exit %d\n%s", code, errOut)
	}
	flags := []string{"--cluster", second.Name, "--bucket", second.Name + "-b", "--db-master-username", "u2" + id}
	out, errOut, code := run(t, append([]string{"up"}, flags...)...)
	if code != ExitConflict {
		t.Fatalf("second up: exit %d, want %d\n%s\n%s", code, ExitConflict, out, errOut)
	}
	t.Logf("the second up's refusal:\n%s%s", out, errOut)
	for _, name := range []string{"kubeflow-db", "kubeflow-db-sg", "kubeflow-db-subnet-group", "kubeflow-db-params", "rds-secret"} {
		if !strings.Contains(errOut, fmt.Sprintf("%q: ", name)) {
			t.Errorf("the refusal does not list %s:\n%s", name, errOut)
		}
	}
	if !strings.Contains(errOut, fmt.Sprintf("kfaws installation %q", first.Name)) || strings.Contains(out+errOut, "not created by kfaws") {
		t.Errorf("the refusal does not name the owning installation, or calls its resources not kfaws's:\n%s\n%s", out, errOut)
	}
	_, command, ok := strings.Cut(errOut, "run:\n  kfaws ")
	command, _, _ = strings.Cut(command, "\n")
	if !ok {
		t.Fatalf("no suggested command:\n%s", errOut)
	}
	args := strings.Fields(command)
	for _, want := range append(flags, "--db-instance-name", second.Name+"-kubeflow-db", "--db-security-group-name", second.Name+"-kubeflow-db-sg",
		"--db-subnet-group", second.Name+"-kubeflow-db-subnet-group", "--db-parameter-group", second.Name+"-kubeflow-db-params",
		"--rds-secret-name", second.Name+"-rds-secret") {
		if !strings.Contains(" "+command+" ", " "+want+" ") {
			t.Errorf("the suggested command lacks %q: kfaws %s", want, command)
		}
	}
	if _, errOut, code := run(t, args...); code != ExitOK {
		t.Fatalf("the suggested command: kfaws %s\nexit %d\n%s", command, code, errOut)
	}
	args[0] = "plan"
	if _, errOut, code := run(t, args...); code != ExitOK || !strings.Contains(errOut, "Everything is in place") {
		t.Errorf("plan after the suggested command: exit %d\n%s", code, errOut)
	}
	// The first installation is as it was.
	if _, errOut, code := run(t, "plan", "--cluster", first.Name, "--bucket", first.Name+"-b", "--db-master-username", "u1"+id); code != ExitOK ||
		!strings.Contains(errOut, "Everything is in place") {
		t.Errorf("the first installation's plan: exit %d\n%s", code, errOut)
	}
}
