package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
)

// configFlags are the flags that override fields of kfaws.yaml. Precedence: flag > environment > file > default.
type configFlags struct {
	file    string
	profile string
	c       config.Config // holds only the values given as flags
	maxStor int32
	backup  int32
	option  enumValue[config.Option]
	creds   enumValue[config.CredentialMode]
	csi     enumValue[config.CSIDriver]
	fs      *pflag.FlagSet
}

func addConfigFlags(fs *pflag.FlagSet) *configFlags {
	f := &configFlags{fs: fs}
	f.option = enumValue[config.Option]{allowed: config.Options, p: &f.c.Option}
	f.creds = enumValue[config.CredentialMode]{allowed: config.CredentialModes, p: &f.c.S3.Credentials}
	f.csi = enumValue[config.CSIDriver]{allowed: config.CSIDrivers, p: &f.c.CSIDriver}
	fs.StringVarP(&f.file, "config", "f", "", "config file (kfaws.yaml); flags override its values")
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
	fs.StringVar(&f.c.Name, "name", "", "installation name used in tags and IAM names (default: the cluster name)")
	fs.StringVar(&f.c.Region, "region", "", "AWS region (default: AWS_REGION or the profile's region)")
	fs.StringVar(&f.c.Cluster, "cluster", "", "EKS cluster name")
	fs.Var(&f.option, "option", "what moves out of the cluster: "+strings.Join(enumStrings(config.Options), ", ")+" (default rds-s3)")
	fs.Var(&f.csi, "csi-driver", "how the Secrets Store CSI driver gets onto the cluster: "+
		strings.Join(enumStrings(config.CSIDrivers), ", ")+" (default auto: the EKS add-on, which kfaws up creates, "+
		"where EKS offers it, else kfaws's manifests)")
	fs.StringVar(&f.c.StateFile, "state", "", "state file (default .kfaws/NAME.state.json)")
	fs.StringVar(&f.c.S3.Bucket, "bucket", "", "S3 bucket for pipeline artifacts")
	fs.Var(&f.creds, "s3-credentials", "how KFP authenticates to S3: "+strings.Join(enumStrings(config.CredentialModes), ", ")+" (default irsa); static reads "+config.EnvS3AccessKeyID+" and "+config.EnvS3SecretAccessKey)
	fs.StringVar(&f.c.S3.SecretName, "s3-secret-name", "", "Secrets Manager secret for static S3 keys (default s3-secret)")
	fs.StringVar(&f.c.RDS.InstanceName, "db-instance-name", "", "RDS DB instance identifier (default kubeflow-db)")
	fs.StringVar(&f.c.RDS.DatabaseName, "db-name", "", "initial database, used by Katib (default kubeflow)")
	fs.StringVar(&f.c.RDS.MasterUsername, "db-master-username", "", "RDS master user (default admin); the password comes from "+config.EnvDBMasterPassword+" or is generated")
	fs.StringVar(&f.c.RDS.InstanceClass, "db-instance-class", "", "RDS instance class (default db.m5.large)")
	fs.StringVar(&f.c.RDS.EngineVersion, "db-engine-version", "", "MySQL engine version, 8.4 or 8.0 with optional minor (default 8.4)")
	fs.Int32Var(&f.c.RDS.AllocatedStorage, "db-allocated-storage", 0, "initial storage in GiB (default 50)")
	fs.Int32Var(&f.maxStor, "db-max-allocated-storage", 0, "storage autoscaling ceiling in GiB, 0 for none (default 1000)")
	fs.Int32Var(&f.backup, "db-backup-retention", 0, "automated backup retention in days, 0 for none (default 7)")
	fs.StringVar(&f.c.RDS.StorageType, "db-storage-type", "", "storage type: gp2, gp3, io1, io2, standard (default gp2)")
	fs.StringVar(&f.c.RDS.SubnetGroupName, "db-subnet-group", "", "DB subnet group name (default kubeflow-db-subnet-group)")
	fs.StringVar(&f.c.RDS.ParameterGroupName, "db-parameter-group", "", "DB parameter group kfaws creates (default INSTANCE-params)")
	fs.StringVar(&f.c.RDS.SecurityGroupName, "db-security-group-name", "", "name of the security group kfaws creates for the instance (default INSTANCE-sg)")
	fs.StringVar(&f.c.RDS.SecurityGroupID, "db-security-group", "", "existing security group id for the instance instead of one kfaws creates")
	fs.StringVar(&f.c.RDS.SecretName, "rds-secret-name", "", "Secrets Manager secret for the database credentials (default rds-secret)")
	fs.StringVar(&f.c.IAM.ProfileNamespace, "profile-namespace", "", "profile namespace whose default-editor gets the S3 profile role (default kubeflow-user-example-com)")
	return f
}

// load builds the effective configuration: file, then environment, then flags, then the region from the AWS
// profile when still unset, then defaults. It does not validate.
func (f *configFlags) load(regionFromProfile func(profile string) string) (*config.Config, error) {
	c := config.New()
	if f.file != "" {
		var err error
		if c, err = config.Load(f.file); err != nil {
			return nil, usageError(err)
		}
	}
	c.ApplyEnv(os.LookupEnv)
	f.override(c)
	if c.Region == "" && regionFromProfile != nil {
		c.Region = regionFromProfile(f.profile)
	}
	c.Default()
	return c, nil
}

// open loads the configuration (the region from the AWS profile when unset) for the commands that work from the
// state file and the cluster, without requiring a complete configuration.
func (f *configFlags) open(ctx context.Context, s Streams, g *globalFlags, kube operation.KubeOptions) (*operation.Configuration, error) {
	c, err := f.load(func(profile string) string { return operation.RegionFromProfile(ctx, profile) })
	if err != nil {
		return nil, err
	}
	return operation.OpenConfiguration(ctx, c, operation.Options{Profile: f.profile, Kube: kube, Log: g.logger(s.Err)})
}

// override copies every flag the user set into c.
func (f *configFlags) override(c *config.Config) {
	set := func(name string, dst *string, v string) {
		if f.fs.Changed(name) {
			*dst = v
		}
	}
	set("name", &c.Name, f.c.Name)
	set("region", &c.Region, f.c.Region)
	set("cluster", &c.Cluster, f.c.Cluster)
	set("state", &c.StateFile, f.c.StateFile)
	set("bucket", &c.S3.Bucket, f.c.S3.Bucket)
	set("s3-secret-name", &c.S3.SecretName, f.c.S3.SecretName)
	set("db-instance-name", &c.RDS.InstanceName, f.c.RDS.InstanceName)
	set("db-name", &c.RDS.DatabaseName, f.c.RDS.DatabaseName)
	set("db-master-username", &c.RDS.MasterUsername, f.c.RDS.MasterUsername)
	set("db-instance-class", &c.RDS.InstanceClass, f.c.RDS.InstanceClass)
	set("db-engine-version", &c.RDS.EngineVersion, f.c.RDS.EngineVersion)
	set("db-storage-type", &c.RDS.StorageType, f.c.RDS.StorageType)
	set("db-subnet-group", &c.RDS.SubnetGroupName, f.c.RDS.SubnetGroupName)
	set("db-parameter-group", &c.RDS.ParameterGroupName, f.c.RDS.ParameterGroupName)
	set("db-security-group-name", &c.RDS.SecurityGroupName, f.c.RDS.SecurityGroupName)
	set("db-security-group", &c.RDS.SecurityGroupID, f.c.RDS.SecurityGroupID)
	set("rds-secret-name", &c.RDS.SecretName, f.c.RDS.SecretName)
	set("profile-namespace", &c.IAM.ProfileNamespace, f.c.IAM.ProfileNamespace)
	if f.fs.Changed("option") {
		c.Option = f.c.Option
	}
	if f.fs.Changed("s3-credentials") {
		c.S3.Credentials = f.c.S3.Credentials
	}
	if f.fs.Changed("csi-driver") {
		c.CSIDriver = f.c.CSIDriver
	}
	if f.fs.Changed("db-allocated-storage") {
		c.RDS.AllocatedStorage = f.c.RDS.AllocatedStorage
	}
	if f.fs.Changed("db-max-allocated-storage") {
		c.RDS.MaxAllocatedStorage = &f.maxStor
	}
	if f.fs.Changed("db-backup-retention") {
		c.RDS.BackupRetentionPeriod = &f.backup
	}
}

// enumValue is a flag that accepts only listed values, so a typo fails at parse time.
type enumValue[T ~string] struct {
	allowed []T
	p       *T
}

func (e *enumValue[T]) String() string {
	if e.p == nil {
		return ""
	}
	return string(*e.p)
}

func (e *enumValue[T]) Set(s string) error {
	if !slices.Contains(e.allowed, T(s)) {
		return fmt.Errorf("must be one of %s", strings.Join(enumStrings(e.allowed), ", "))
	}
	*e.p = T(s)
	return nil
}

func (e *enumValue[T]) Type() string { return "string" }

func enumStrings[T ~string](vals []T) []string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	return s
}

// suggestFlags repeats the flags that select the installation, for commands suggested to the user.
func (f *configFlags) suggestFlags() string {
	s := ""
	if f.file != "" {
		s += " --config " + f.file
	}
	for _, name := range []string{"profile", "region", "cluster", "name", "option", "bucket", "s3-credentials", "state"} {
		if fl := f.fs.Lookup(name); fl != nil && fl.Changed {
			s += " --" + name + " " + fl.Value.String()
		}
	}
	return s
}
