package observe

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/kfaws/kfaws/internal/arn"
	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
)

// Observer reads AWS for one configuration.
type Observer struct {
	AWS    *kaws.Clients
	Config *config.Config
	// Recorded are resources the state file records under names the configuration no longer gives them, read
	// into Snapshot.Recorded so the plan can say what happens to them.
	Recorded []Recorded
	// RecordedKey is the ARN of the KMS key the state records as this installation's, read when the configuration
	// names no key so that kfaws down still finds it; "" for none.
	RecordedKey string
	// FromSnapshot names the DB snapshot up is asked to restore the instance from (kfaws up --from-snapshot),
	// read into Snapshot.SourceSnapshot; "" for none.
	FromSnapshot string
	// FindCreatedKey has observe, when kfaws's alias names no key, look through the region's keys for one tagged
	// as this installation's: set when the state records that up set out to create its key and not which one it
	// got (a run killed between kms:CreateKey and its record).
	FindCreatedKey bool
	// PodIdentity reads the EKS Pod Identity Agent add-on and the cluster's associations into
	// Snapshot.PodIdentity: set when the configuration uses pod-identity or the state records associations.
	PodIdentity bool
	// Profiles are the cluster's profile namespaces as the caller found them, passed through to
	// Snapshot.Profiles; ProfileRoles names the per-profile IAM roles to read into Snapshot.ProfileRoles.
	Profiles     Profiles
	ProfileRoles []string
}

// ErrClusterNotFound is returned when the configured EKS cluster does not exist in the region.
var ErrClusterNotFound = errors.New("EKS cluster not found")

// Observe reads every resource the configuration names, concurrently. A resource that does not exist is reported
// as absent; any other error aborts the observation, because a plan on partial knowledge could be wrong.
func (o *Observer) Observe(ctx context.Context) (*Snapshot, error) {
	c := o.Config
	s := &Snapshot{}
	// Credentials first, on their own: a missing or refused identity, or an unreachable endpoint, is then
	// always reported as such, not as whichever concurrent call failed first.
	// Three attempts, not the clients' ten: a first call that cannot connect should say so in seconds.
	id, err := o.AWS.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.RetryMaxAttempts = 3 })
	if err != nil {
		return nil, kaws.AccessError("checking AWS credentials (sts:GetCallerIdentity)", err)
	}
	s.Account = aws.ToString(id.Account)
	s.Partition = arn.Partition(aws.ToString(id.Arn), c.Region)
	if s.Cluster, err = o.cluster(ctx); err != nil {
		return nil, err
	}

	arns := arn.Builder{Partition: s.Partition, Account: s.Account, Region: c.Region}
	g, ctx := errgroup.WithContext(ctx)
	run := func(what string, fn func(context.Context) error) {
		g.Go(func() error {
			if err := fn(ctx); err != nil {
				return fmt.Errorf("observing %s: %w", what, err)
			}
			return nil
		})
	}
	run("IAM OIDC provider", func(ctx context.Context) (err error) {
		s.OIDCProvider, err = o.oidcProvider(ctx, s.Cluster.OIDCIssuer)
		return err
	})
	run("IAM role "+q(c.IAM.SecretsRoleName), func(ctx context.Context) (err error) {
		s.SecretsRole, err = o.role(ctx, c.IAM.SecretsRoleName)
		return err
	})
	if c.Option.UsesS3() {
		o.observeS3(run, s, arns)
	}
	if c.Option.UsesRDS() {
		o.observeRDS(run, s)
	}
	if ref := kmsKeyRef(c, o.RecordedKey); ref != "" {
		run("KMS key "+q(ref), func(ctx context.Context) (err error) {
			if s.KMSKey, err = o.kmsKey(ctx, ref, o.RecordedKey); err == nil && !s.KMSKey.Exists && o.FindCreatedKey {
				s.KMSKey, err = o.taggedKey(ctx, ref)
			}
			return err
		})
	}
	s.Profiles = o.Profiles
	o.observeProfileRoles(run, s)
	recorded := o.observeRecorded(run, s.Cluster.VPCID, arns)
	if config.SyncsSecrets(c.Option, c.S3.Credentials) && c.CSIDriver.UsesAddon() {
		run("EKS add-on "+q(eksaddon.Name), func(ctx context.Context) (err error) {
			s.CSIAddon, err = o.csiAddon(ctx, s.Cluster)
			return err
		})
	}
	if o.PodIdentity {
		run("EKS Pod Identity", func(ctx context.Context) (err error) {
			s.PodIdentity, err = o.podIdentity(ctx, s.Cluster)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.Recorded = recorded()
	return s, nil
}

type runFunc func(what string, fn func(context.Context) error)

func (o *Observer) observeS3(run runFunc, s *Snapshot, arns arn.Builder) {
	c := o.Config
	run("S3 bucket "+q(c.S3.Bucket), func(ctx context.Context) (err error) {
		s.Bucket, err = o.bucket(ctx, c.S3.Bucket, arns.Bucket(c.S3.Bucket))
		return err
	})
	if c.S3.Credentials == config.CredentialsStatic {
		run("secret "+q(c.S3.SecretName), func(ctx context.Context) (err error) {
			s.S3Secret, err = o.secret(ctx, c.S3.SecretName)
			return err
		})
		return
	}
	run("IAM policy "+q(c.IAM.S3PolicyName), func(ctx context.Context) (err error) {
		s.S3Policy, err = o.policy(ctx, arns.Policy(c.IAM.S3PolicyName))
		return err
	})
	run("IAM role "+q(c.IAM.BackendRoleName), func(ctx context.Context) (err error) {
		s.BackendRole, err = o.role(ctx, c.IAM.BackendRoleName)
		return err
	})
	run("IAM role "+q(c.IAM.ProfileRoleName), func(ctx context.Context) (err error) {
		s.ProfileRole, err = o.role(ctx, c.IAM.ProfileRoleName)
		return err
	})
}

// observeProfileRoles reads the roles Observer.ProfileRoles names.
func (o *Observer) observeProfileRoles(run runFunc, s *Snapshot) {
	var mu sync.Mutex
	s.ProfileRoles = make(map[string]Role, len(o.ProfileRoles))
	for _, name := range o.ProfileRoles {
		run("IAM role "+q(name), func(ctx context.Context) error {
			r, err := o.role(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			s.ProfileRoles[name] = r
			return err
		})
	}
}

// observeRDS reads the secret, the instance, then the groups: those the instance uses when it exists (they
// are what matters to it, whatever the configuration names), else those the configuration names.
func (o *Observer) observeRDS(run runFunc, s *Snapshot) {
	r := o.Config.RDS
	run("secret "+q(r.SecretName), func(ctx context.Context) (err error) {
		if s.RDSSecret, err = o.secret(ctx, r.SecretName); err != nil {
			return err
		}
		// A given password is compared with the one the secret holds, so the plan can record a corrected one.
		if sec := &s.RDSSecret; r.MasterPassword != "" && sec.Exists && !sec.Deleted {
			sec.PasswordDiffers, err = o.passwordDiffers(ctx, r.SecretName, r.MasterPassword)
		}
		return err
	})
	run("DB instance "+q(r.InstanceName), func(ctx context.Context) (err error) {
		if s.Instance, err = o.instance(ctx, r.InstanceName); err != nil {
			return err
		}
		subnetGroup, parameterGroup := r.SubnetGroupName, r.ParameterGroupName
		in := s.Instance
		if in.SubnetGroup != "" {
			subnetGroup = in.SubnetGroup
		}
		if len(in.ParameterGroups) > 0 {
			parameterGroup = in.ParameterGroups[0]
		}
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) {
			if s.SubnetGroup, err = o.subnetGroup(ctx, subnetGroup, s.Cluster); err != nil {
				return fmt.Errorf("DB subnet group %q: %w", subnetGroup, err)
			}
			return nil
		})
		g.Go(func() (err error) {
			if s.ParameterGroup, err = o.parameterGroup(ctx, parameterGroup); err != nil {
				return fmt.Errorf("DB parameter group %q: %w", parameterGroup, err)
			}
			return nil
		})
		g.Go(func() (err error) {
			if s.SecurityGroup, err = o.securityGroup(ctx, s.Cluster.VPCID, in.SecurityGroups); err != nil {
				return fmt.Errorf("DB security group: %w", err)
			}
			return nil
		})
		return g.Wait()
	})
	o.observeComponentSecrets(run, s)
	if o.FromSnapshot != "" {
		run("DB snapshot "+q(o.FromSnapshot), func(ctx context.Context) (err error) {
			s.SourceSnapshot, err = o.dbSnapshot(ctx, o.FromSnapshot)
			return err
		})
	}
}

func q(s string) string { return fmt.Sprintf("%q", s) }
