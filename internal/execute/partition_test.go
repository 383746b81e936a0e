package execute_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/verify"
)

// In GovCloud and China (cn-northwest-1: the seeded cluster wants three zones, moto has two in cn-north-1), plan and up form every ARN in the caller's partition: the state records them so, and
// verify's IRSA check, evaluating the policy kfaws wrote against the bucket's ARN in that partition, passes.
func TestUpInGovCloudAndChina(t *testing.T) {
	for _, c := range []struct{ region, partition string }{{"us-gov-west-1", "aws-us-gov"}, {"cn-northwest-1", "aws-cn"}} {
		t.Run(c.partition, func(t *testing.T) {
			ctx := context.Background()
			in := newInstall(t, c.region)
			p, rec, err := in.run(ctx, nil)
			if err != nil {
				t.Fatalf("up in %s: %v\n%s", c.region, err, rec)
			}
			if p.Partition != c.partition {
				t.Fatalf("plan partition %q, want %q (the caller identity's)", p.Partition, c.partition)
			}
			st := in.store.Snapshot()
			prefix := "arn:" + c.partition + ":"
			arns := 0
			for key, r := range st.Resources {
				if strings.HasPrefix(r.ARN, "arn:") {
					arns++
					if !strings.HasPrefix(r.ARN, prefix) {
						t.Errorf("%s recorded with ARN %q, want partition %s", key, r.ARN, c.partition)
					}
				}
			}
			if arns < 9 {
				t.Errorf("only %d resources recorded with an ARN:\n%+v", arns, st.Resources)
			}
			o := st.Outputs
			for name, v := range map[string]string{"backend role": o.BackendRoleARN, "profile role": o.ProfileRoleARN,
				"secrets role": o.SecretsRoleARN, "OIDC provider": o.OIDCProvider} {
				if !strings.HasPrefix(v, prefix) {
					t.Errorf("output %s is %q, want partition %s", name, v, c.partition)
				}
			}

			for _, partition := range []string{p.Partition, ""} { // given, and taken from the role
				r := &verify.Report{}
				verify.CheckS3(ctx, r, verify.S3Input{S3: in.clients.S3, Bucket: in.cfg.S3.Bucket, IAM: in.clients.IAM,
					RoleName: in.cfg.IAM.BackendRoleName, Partition: partition})
				found := false
				for _, ch := range r.Checks {
					if ch.Name == "IRSA role permissions" {
						found = true
						if ch.Status != verify.OK {
							t.Errorf("partition %q: IRSA check %s: %s", partition, ch.Status, ch.Detail)
						}
					}
				}
				if !found {
					t.Errorf("partition %q: no IRSA check in %+v", partition, r.Checks)
				}
			}
		})
	}
}
