package render

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
)

// Values are everything the overlay needs to know about the AWS side. None of them is a secret: credentials
// stay in Secrets Manager and reach the cluster through the Secrets Store CSI driver.
type Values struct {
	Option      config.Option
	Credentials config.CredentialMode
	// Identity binds the roles to the service accounts: irsa ("" too) or pod-identity.
	Identity config.Identity
	Region   string

	// RDS (rds-s3, rds-only).
	DBHost string
	DBPort int32
	// RDSSecretName is the Secrets Manager secret synced to mysql-secret; its database key names Katib's database.
	RDSSecretName string
	// ComponentUsers wires each database client to its own user's secret (rds.componentUsers).
	ComponentUsers bool
	// SecretsRoleARN is assumed by kubeflow/kubeflow-secrets-manager-sa to read the Secrets Manager secrets.
	SecretsRoleARN string

	// S3 (rds-s3, s3-only).
	Bucket       string
	S3SecretName string
	// BackendRoleARN is assumed by ml-pipeline and ml-pipeline-ui, ProfileRoleARN by the profile's default-editor
	// (irsa mode).
	BackendRoleARN   string
	ProfileRoleARN   string
	ProfileNamespace string
	// ProfileRoleARNs maps every profile namespace `kfaws up` gave S3 access to the role its default-editor
	// assumes (irsa mode). Empty when the values name one profile only (render's flags, state files from before
	// per-profile roles): then ProfileNamespace gets ProfileRoleARN.
	ProfileRoleARNs map[string]string
}

// profileRole is the role one profile namespace's default-editor assumes.
type profileRole struct{ Namespace, RoleARN string }

// profileRoles are the profiles whose default-editor gets a role, sorted by namespace: every one up recorded,
// else the configured profile.
func (v Values) profileRoles() []profileRole {
	if len(v.ProfileRoleARNs) == 0 {
		return []profileRole{{v.ProfileNamespace, v.ProfileRoleARN}}
	}
	roles := make([]profileRole, 0, len(v.ProfileRoleARNs))
	for ns, arn := range v.ProfileRoleARNs {
		roles = append(roles, profileRole{ns, arn})
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].Namespace < roles[j].Namespace })
	return roles
}

// podIdentity reports whether the roles are bound through EKS Pod Identity: no ServiceAccount annotation names
// them, and the region must be in each pod's environment.
func (v Values) podIdentity() bool { return v.Identity == config.IdentityPodIdentity }

// usesRoles reports whether KFP reaches S3 with roles (s3.credentials irsa) rather than static keys.
func (v Values) usesRoles() bool { return v.Credentials == config.CredentialsIRSA }

// binding is how the service accounts get their roles.
func (v Values) binding() identity.Binding {
	if v.podIdentity() {
		return identity.PodIdentity{}
	}
	return identity.IRSA{}
}

// FieldError names the flag (and the config or state field) a bad or missing value comes from; Flag is "" for
// a value only the state holds.
type FieldError struct {
	Flag   string
	Source string
	Msg    string
}

func (e FieldError) Error() string {
	if e.Flag == "" {
		return fmt.Sprintf("%s: %s", e.Source, e.Msg)
	}
	return fmt.Sprintf("--%s (%s): %s", e.Flag, e.Source, e.Msg)
}

var (
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// Secrets Manager names: letters, digits and /_+=.@- up to 512 characters.
	smNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// Validate returns every missing or malformed value the option needs, each naming its flag and source.
func (v Values) Validate() error {
	var errs []error
	add := func(flag, source, msg string) { errs = append(errs, FieldError{flag, source, msg}) }
	check := func(ok bool, flag, source, value, what string) {
		switch {
		case value == "":
			add(flag, source, "missing; set it or run `kfaws up` first")
		case !ok:
			add(flag, source, fmt.Sprintf("%q is not %s", value, what))
		}
	}
	switch v.Option {
	case config.OptionRDSS3, config.OptionRDSOnly, config.OptionS3Only:
	default:
		add("option", "config option", fmt.Sprintf("%q is not one of rds-s3, rds-only, s3-only", v.Option))
	}
	if v.Option.UsesRDS() {
		check(hostRE.MatchString(v.DBHost) && len(v.DBHost) <= 253, "db-host", "state outputs.dbHost",
			v.DBHost, "a host name or IPv4 address (no scheme, no port)")
		if v.DBHost != "" && (v.DBPort < 1 || v.DBPort > 65535) {
			add("db-port", "state outputs.dbPort", fmt.Sprintf("%d is not a TCP port", v.DBPort))
		}
		check(smNameRE.MatchString(v.RDSSecretName), "rds-secret-name", "config rds.secretName", v.RDSSecretName,
			"a Secrets Manager secret name")
	}
	switch v.Identity {
	case "", config.IdentityIRSA, config.IdentityPodIdentity:
	default:
		add("identity", "config identity", fmt.Sprintf("%q is not one of irsa, pod-identity", v.Identity))
	}
	// The region goes into the SecretProviderClasses and every S3 reader.
	check(regionRE.MatchString(v.Region), "region", "config region", v.Region, "an AWS region")
	if config.SyncsSecrets(v.Option, v.Credentials) {
		check(roleRE.MatchString(v.SecretsRoleARN), "secrets-role-arn", "state outputs.secretsRoleArn",
			v.SecretsRoleARN, "an IAM role ARN")
	}
	if v.Option.UsesS3() {
		v.validateS3(check, add)
	}
	return errors.Join(errs...)
}

func (v Values) validateS3(check func(bool, string, string, string, string), add func(string, string, string)) {
	check(bucketRE.MatchString(v.Bucket) && !strings.Contains(v.Bucket, ".."), "bucket", "config s3.bucket",
		v.Bucket, "an S3 bucket name")
	check(dnsLabel.MatchString(v.ProfileNamespace), "profile-namespace", "config iam.profileNamespace",
		v.ProfileNamespace, "a Kubernetes namespace name")
	switch v.Credentials {
	case config.CredentialsIRSA:
		check(roleRE.MatchString(v.BackendRoleARN), "backend-role-arn", "state outputs.backendRoleArn",
			v.BackendRoleARN, "an IAM role ARN")
		if len(v.ProfileRoleARNs) == 0 {
			check(roleRE.MatchString(v.ProfileRoleARN), "profile-role-arn", "state outputs.profileRoleArn",
				v.ProfileRoleARN, "an IAM role ARN")
			break
		}
		// Only up records these: no flag sets them.
		for _, p := range v.profileRoles() {
			source := "state outputs.profileRoleArns[" + p.Namespace + "]"
			if !dnsLabel.MatchString(p.Namespace) {
				add("", source, fmt.Sprintf("%q is not a Kubernetes namespace name", p.Namespace))
			}
			check(roleRE.MatchString(p.RoleARN), "", source, p.RoleARN, "an IAM role ARN")
		}
	case config.CredentialsStatic:
		check(smNameRE.MatchString(v.S3SecretName), "s3-secret-name", "config s3.secretName", v.S3SecretName,
			"a Secrets Manager secret name")
	default:
		add("s3-credentials", "config s3.credentials", fmt.Sprintf("%q is not one of irsa, static", v.Credentials))
	}
}
