package observe

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kfaws/kfaws/internal/arn"
	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/ownership"
)

// Key is a KMS key: the one kms.key names, the one kfaws created under its alias, or the one the state records.
type Key struct {
	// Presence's ARN is the key's ARN; its Installation comes from the key's tags.
	Presence
	// Ref is what the key was looked up by (kms.key, kfaws's alias or the recorded ARN).
	Ref string
	ID  string
	// State is the key state: Enabled, Disabled, PendingDeletion, PendingImport, ...
	State   string
	Spec    string
	Usage   string
	Manager string
	// Aliases are the key's alias names (alias/NAME).
	Aliases []string
}

// Region is the region of the key's ARN.
func (k Key) Region() string { return arn.Region(k.ARN) }

// Is reports whether ref (a key id, key ARN, alias name or alias ARN, as S3, RDS or Secrets Manager report the key
// they use) names this key.
func (k Key) Is(ref string) bool {
	if ref == "" || !k.Exists {
		return false
	}
	if ref == k.ARN || ref == k.ID {
		return true
	}
	if i := strings.Index(ref, ":alias/"); i >= 0 {
		ref = ref[i+1:]
	}
	for _, a := range k.Aliases {
		if ref == a {
			return true
		}
	}
	return false
}

// KMSAlias is the alias kfaws gives the key it creates for installation name.
func KMSAlias(name string) string { return "alias/kfaws-" + name }

// kmsKeyRef is how the key is looked up: kms.key, or kfaws's alias for create, or the ARN the state records for a
// key kfaws created when the configuration no longer names one.
func kmsKeyRef(c *config.Config, recorded string) string {
	switch {
	case c.KMS.CreatesKey():
		return KMSAlias(c.Name)
	case c.KMS.Key != "":
		return c.KMS.Key
	}
	return recorded
}

// kmsKey reads the key ref names, its aliases and, for a key kfaws may have created, its tags. A key that does not
// exist (or an alias that names none) is absent.
func (o *Observer) kmsKey(ctx context.Context, ref, recorded string) (Key, error) {
	k, err := o.describeKey(ctx, ref)
	if err != nil || (!k.Exists && recorded != "" && recorded != ref) {
		if err == nil {
			// kfaws's alias is gone but the state records the key it made: look at that key.
			return o.describeKey(ctx, recorded)
		}
		return Key{}, err
	}
	return k, nil
}

func (o *Observer) describeKey(ctx context.Context, ref string) (Key, error) {
	out, err := o.AWS.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &ref})
	var nf *kmstypes.NotFoundException
	if errors.As(err, &nf) {
		return Key{Ref: ref}, nil
	}
	if err != nil {
		return Key{}, fmt.Errorf("kms:DescribeKey %q: %w", ref, err)
	}
	m := out.KeyMetadata
	k := Key{Presence: Presence{Exists: true, ARN: aws.ToString(m.Arn)}, Ref: ref, ID: aws.ToString(m.KeyId),
		State: string(m.KeyState), Spec: string(m.KeySpec), Usage: string(m.KeyUsage), Manager: string(m.KeyManager)}
	if k.Manager != string(kmstypes.KeyManagerTypeCustomer) {
		return k, nil // AWS's keys carry neither kfaws's tag nor aliases it could give
	}
	aliases, err := o.AWS.KMS.ListAliases(ctx, &kms.ListAliasesInput{KeyId: &k.ID})
	if err != nil {
		return Key{}, fmt.Errorf("kms:ListAliases for key %q: %w", k.ARN, err)
	}
	for _, a := range aliases.Aliases {
		k.Aliases = append(k.Aliases, aws.ToString(a.AliasName))
	}
	tags, err := o.AWS.KMS.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &k.ID})
	switch {
	case kaws.ErrorCode(err) == "AccessDeniedException":
		// A key of another account may keep its tags from this one; such a key is never kfaws's.
	case err != nil:
		return Key{}, fmt.Errorf("kms:ListResourceTags for key %q: %w", k.ARN, err)
	default:
		for _, t := range tags.Tags {
			if aws.ToString(t.TagKey) == ownership.TagInstallation {
				k.Installation = aws.ToString(t.TagValue)
			}
		}
	}
	return k, nil
}

// taggedKey finds the customer managed key tagged as this installation's among the region's keys, one call per key
// (there is no lookup by tag); ref is returned as absent when none is.
func (o *Observer) taggedKey(ctx context.Context, ref string) (Key, error) {
	pages := kms.NewListKeysPaginator(o.AWS.KMS, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return Key{}, fmt.Errorf("kms:ListKeys: %w", err)
		}
		for _, e := range page.Keys {
			k, err := o.describeKey(ctx, aws.ToString(e.KeyId))
			if kaws.ErrorCode(err) == "AccessDeniedException" {
				continue // a key whose policy keeps this caller out is not one kfaws created with it
			}
			if err != nil {
				return Key{}, err
			}
			if k.Exists && k.Installation == o.Config.Name && k.State != string(kmstypes.KeyStatePendingDeletion) {
				k.Ref = ref
				return k, nil
			}
		}
	}
	return Key{Ref: ref}, nil
}
