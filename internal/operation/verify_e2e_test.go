package operation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/verify"
	"github.com/kfaws/kfaws/internal/verify/verifytest"
)

// A whole healthy installation: AWS provisioned by up on the local stack, the components' schemas (KFP, cache
// and MLMD from their DDL, Katib's by its real db-manager with reported metrics), a pipeline's artifact in the
// bucket, and the cluster wiring on a real apiserver whose pipeline-install-config names the databases. Every
// check passes; the only warning is the local MariaDB's lack of TLS.
func TestVerifyHealthyEverything(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	ctx := context.Background()
	v := newVerified(t, true)
	v.exec(t, "DROP TABLE `"+v.db+"`.observation_logs") // Katib creates it
	conn := startKatib(t, v.rdsSecret(ctx))
	reportMetrics(t, conn, "trial-1", 0.9)
	key := "v2/artifacts/demo/run-1/train/model"
	if _, err := v.clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &v.cfg.S3.Bucket, Key: &key, Body: strings.NewReader("m")}); err != nil {
		t.Fatal(err)
	}
	n := v.names()
	verifytest.Install(ctx, t, k, verifytest.Wiring{RDSSecret: v.cfg.RDS.SecretName, S3Secret: v.cfg.S3.SecretName,
		PipelineDB: n.Pipeline, CacheDB: n.Cache, MetadataDB: n.Metadata, SecretsRoleARN: v.configuration().State.Snapshot().Outputs.SecretsRoleARN,
		Profile: v.cfg.IAM.ProfileNamespace, Bucket: v.cfg.S3.Bucket})

	conf := v.configuration()
	conf.Kube = k
	r, err := (&operation.Verify{Configuration: conf}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks {
		if c.Status != verify.OK && c.Name != "connection" && c.Name != "TLS only" {
			t.Errorf("%s/%s: %s: %s", c.Area, c.Name, c.Status, c.Detail)
		}
	}
	if r.Count(verify.Warn) != 2 || len(r.Checks) < 20 {
		t.Errorf("want 2 warnings (no TLS locally: to the database, and s3.requireTLS off) among all checks:\n%s", reportText(r))
	}
	wantCheck(t, r, "database "+n.Pipeline, verify.OK, "10 tables")
	wantCheck(t, r, "artifact prefixes", verify.OK, "v2/")
	wantCheck(t, r, "katib observation_logs", verify.OK, "1 rows")
}
