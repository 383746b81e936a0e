package plan

import (
	"fmt"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// CreatedKeyARN stands, in a step's parameters (a key field or a policy document), for the ARN of the KMS key
// this run creates: KMS chooses it, so plan cannot know it, and execute puts it in before the step's call.
const CreatedKeyARN = "${kfaws:created-kms-key}"

// KeyDeletionWindow is the waiting period, in days, of the key deletion kfaws down schedules: KMS's shortest.
const KeyDeletionWindow = 7

// kmsKey decides the key kms.key names and remembers, for the resources it encrypts, its ARN and how plan lines
// name it. A key given that cannot encrypt them is refused before anything changes.
func (b *builder) kmsKey() error {
	c, k := b.cfg, b.snap.KMSKey
	switch {
	case c.KMS.Key == "":
		if k.Exists && b.owned(KeyKMSKey, observe.KMSAlias(c.Name), k.Presence) {
			b.add(Resource{Key: KeyKMSKey, Kind: "KMS key", Name: firstOf(aliasOf(k, observe.KMSAlias(c.Name)), k.ARN), ARN: k.ARN,
				Action: Orphan, Owned: true, Detail: "created by kfaws; kms.key no longer names it; kept (what it encrypts needs it); kfaws down keeps or deletes it"})
		}
		return nil
	case c.KMS.CreatesKey():
		b.createdKey()
		return nil
	}
	if err := usableKey(c.KMS.Key, c.Region, k); err != nil {
		return err
	}
	b.key, b.keyName = k.ARN, c.KMS.Key
	b.add(Resource{Key: KeyKMSKey, Kind: "KMS key", Name: c.KMS.Key, Field: "kms.key", ARN: k.ARN, Action: Exists,
		Detail: "customer managed, symmetric, enabled; given in kms.key: used as is, never deleted"})
	return nil
}

// usableKey refuses a given key that S3, RDS and Secrets Manager cannot encrypt with, naming what to do.
func usableKey(given, region string, k observe.Key) error {
	var why string
	switch {
	case !k.Exists:
		why = fmt.Sprintf("does not exist in region %s (or this account may not describe it); give the ARN, id or alias/NAME of a key in %s, or create", region, region)
	case k.Region() != region:
		why = fmt.Sprintf("is in region %s, the installation in %s; KMS keys are regional: use a key in %s", k.Region(), region, region)
	case k.Manager != string(kmstypes.KeyManagerTypeCustomer):
		why = "is an AWS managed key; give a customer managed key, or create"
	case k.State == string(kmstypes.KeyStatePendingDeletion):
		why = "is scheduled for deletion; cancel it (aws kms cancel-key-deletion, then aws kms enable-key) or give another key"
	case k.State != string(kmstypes.KeyStateEnabled):
		why = fmt.Sprintf("is %s; enable it (aws kms enable-key) or give another key", k.State)
	case k.Spec != string(kmstypes.KeySpecSymmetricDefault) || k.Usage != string(kmstypes.KeyUsageTypeEncryptDecrypt):
		why = fmt.Sprintf("is a %s key for %s; S3, RDS and Secrets Manager need a symmetric key (SYMMETRIC_DEFAULT) for ENCRYPT_DECRYPT",
			k.Spec, firstOf(k.Usage, "no stated usage"))
	default:
		return nil
	}
	return &PreflightError{Reason: fmt.Sprintf("KMS key %q (kms.key) %s", given, why)}
}

// createdKey decides the key kfaws creates under its alias (kms.key: create).
func (b *builder) createdKey() {
	c, k := b.cfg, b.snap.KMSKey
	alias := observe.KMSAlias(c.Name)
	b.keyName = alias
	r := Resource{Key: KeyKMSKey, Kind: "KMS key", Name: alias, Field: "kms.key", ARN: k.ARN}
	switch {
	case !k.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "customer managed, symmetric, tagged as this installation's; deleted by kfaws down once nothing kept needs it"
		b.key = CreatedKeyARN
		b.step(KeyKMSKey, "create", CreateKMSKey{Alias: alias, Description: "Kubeflow data of kfaws installation " + c.Name},
			fmt.Sprintf("create KMS key %q (symmetric, encrypts the bucket, the DB instance and the secrets)", alias))
	case b.foreign(k.Presence):
		r.Action = Conflict
		r.Detail = fmt.Sprintf("alias %s names a key of kfaws installation %q; give that key as kms.key to use it, or choose another name", alias, k.Installation)
	case !b.owned(KeyKMSKey, alias, k.Presence):
		r.Action = Conflict
		r.Detail = fmt.Sprintf("alias %s names a key kfaws did not create; give it as kms.key to use it, or delete the alias", alias)
	case k.State == string(kmstypes.KeyStatePendingDeletion) || k.State == string(kmstypes.KeyStateDisabled):
		r.Action, r.Owned, r.Detail = Update, true, "restored from the deletion kfaws down scheduled, and enabled"
		b.key = k.ARN
		b.step(KeyKMSKey, "restore", RestoreKMSKey{ARN: k.ARN, Alias: alias, CreateAlias: aliasOf(k, alias) == ""},
			fmt.Sprintf("cancel the deletion of KMS key %q and enable it", alias))
	case aliasOf(k, alias) == "":
		// A run killed between kms:CreateKey and kms:CreateAlias: the key is found by its record or its tag.
		r.Action, r.Owned, r.Detail = Update, true, "give it kfaws's alias, which an interrupted run did not"
		b.key = k.ARN
		b.step(KeyKMSKey, "restore", RestoreKMSKey{ARN: k.ARN, Alias: alias, CreateAlias: true},
			fmt.Sprintf("give KMS key %s the alias %q", k.ARN, alias))
	default:
		r.Action, r.Owned = Exists, true
		b.key = k.ARN
	}
	b.add(r)
}

// aliasOf is alias when the key has it, else "".
func aliasOf(k observe.Key, alias string) string {
	for _, a := range k.Aliases {
		if a == alias {
			return a
		}
	}
	return ""
}

// usesKey reports whether ref, the key a resource is encrypted with as AWS reports it, is the configured key.
func (b *builder) usesKey(ref string) bool {
	return b.key != CreatedKeyARN && b.snap.KMSKey.Is(ref)
}

// encryption is how plan lines name the encryption of the bucket and the secrets.
func (b *builder) encryption(aws string) string {
	if b.key == "" {
		return aws
	}
	return "SSE-KMS with " + b.keyName
}

// secretEncryption is what a secret's create line adds about its key.
func (b *builder) secretEncryption() string {
	if b.key == "" {
		return ""
	}
	return ", encrypted with KMS key " + b.keyName
}

// secretKey has an existing secret kfaws created encrypted with the configured key; one it did not create is
// left as it is, with a warning.
func (b *builder) secretKey(r *Resource, s observe.Secret, owned bool) {
	if b.key == "" || b.usesKey(s.KMSKey) || (r.Action != Exists && r.Action != Update) {
		return
	}
	if !owned {
		b.warn("secret %q, which kfaws did not create, is not encrypted with KMS key %s (kms.key); kfaws does not change it: "+
			"aws secretsmanager update-secret --kms-key-id does", r.Name, b.keyName)
		return
	}
	r.Action, r.Detail = Update, joinDetail(r.Detail, r.Detail != "" && r.Action == Update, "encrypt with KMS key "+b.keyName)
	b.step(r.Key, "kms-key", EncryptSecret{Name: r.Name, KMSKey: b.key},
		fmt.Sprintf("encrypt secret %q with KMS key %s", r.Name, b.keyName), KeyKMSKey, r.Key)
}

// instanceKey warns about an existing instance whose storage the configured key does not encrypt: RDS cannot
// change the key of an instance's storage, and kfaws never moves the data itself.
func (b *builder) instanceKey(ir *Resource) {
	in := b.snap.Instance
	if b.key == "" || ir.Action == Conflict {
		return
	}
	if b.restoring() && !in.Exists {
		b.warn("DB instance %q is restored from snapshot %q and keeps that snapshot's encryption; to encrypt it with KMS key %s, "+
			"copy the snapshot with the key first (aws rds copy-db-snapshot --kms-key-id) and restore from the copy",
			b.cfg.RDS.InstanceName, b.snap.SourceSnapshot.Name, b.keyName)
		return
	}
	if !in.Exists || (in.StorageEncrypted && b.usesKey(in.KMSKey)) {
		return
	}
	have := "unencrypted storage"
	if in.StorageEncrypted {
		have = "storage encrypted with " + firstOf(in.KMSKey, "another key")
	}
	ir.Detail = joinDetail(ir.Detail, ir.Detail != "", have+", not KMS key "+b.keyName+" (RDS cannot change it in place)")
	b.warn("DB instance %q has %s, not KMS key %s (kms.key), and RDS cannot change an instance's key in place; kfaws leaves it: "+
		"take a snapshot, copy it with the key (aws rds copy-db-snapshot --kms-key-id), then restore it under a new name "+
		"(kfaws up --from-snapshot with that rds.instanceName)", b.cfg.RDS.InstanceName, have, b.keyName)
}

// RecordsKeyIntent reports whether the state records that up set out to create the KMS key without the ARN it
// got: observe must then look for the key by its tag (observe.Observer.FindCreatedKey).
func RecordsKeyIntent(recorded state.State) bool {
	r, ok := recorded.Resources[KeyKMSKey]
	return ok && r.Owned && r.ARN == ""
}

// RecordedKey is the ARN of the KMS key the state records as this installation's creation, "" for none; observe
// reads it when the configuration no longer names a key.
func RecordedKey(recorded state.State) string {
	if r, ok := recorded.Resources[KeyKMSKey]; ok && r.Owned {
		return r.ARN
	}
	return ""
}
