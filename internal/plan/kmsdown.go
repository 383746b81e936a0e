package plan

import (
	"fmt"
	"strings"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kfaws/kfaws/internal/observe"
)

// downKMSKey decides the KMS key after every other resource: a key given in kms.key is never deleted; the key
// kfaws created is scheduled for deletion only when nothing the teardown keeps is encrypted with it, since data
// under a deleted key is lost for good.
func (b *builder) downKMSKey(o DownOptions) {
	c, k := b.cfg, b.snap.KMSKey
	alias := observe.KMSAlias(c.Name)
	if !k.Exists {
		if _, ok := b.recorded.Resources[KeyKMSKey]; ok {
			b.p.Forget = append(b.p.Forget, KeyKMSKey)
		}
		return
	}
	r := Resource{Key: KeyKMSKey, Kind: "KMS key", Name: firstOf(aliasOf(k, alias), k.Ref), ARN: k.ARN}
	switch {
	case c.KMS.Key != "" && !c.KMS.CreatesKey():
		r.Action, r.Detail = Keep, "given in kms.key: never deleted"
	case !b.owned(KeyKMSKey, alias, k.Presence):
		r.Action, r.Detail = Keep, "not created by this installation: never deleted"
	case k.State == string(kmstypes.KeyStatePendingDeletion):
		r.Action, r.Owned, r.Detail = Delete, true, "already scheduled for deletion: KMS deletes it when its waiting period ends"
	default:
		r.Owned = true
		if kept := b.keptUnderKey(o); len(kept) > 0 {
			r.Action = Keep
			verb := "is"
			if len(kept) > 1 {
				verb = "are"
			}
			r.Detail = fmt.Sprintf("kept: %s %s encrypted with it; once no longer needed: aws kms schedule-key-deletion --key-id %s",
				strings.Join(kept, " and "), verb, k.ARN)
			break
		}
		r.Action = Delete
		r.Detail = fmt.Sprintf("deleted after KMS's %d-day waiting period; kfaws up within it restores it", KeyDeletionWindow)
		b.step(KeyKMSKey, "delete", DeleteKMSKey{ARN: k.ARN, Alias: r.Name, WindowDays: KeyDeletionWindow},
			fmt.Sprintf("schedule the deletion of KMS key %q in %d days", r.Name, KeyDeletionWindow),
			KeyInstance, KeyBucket, KeyRDSSecret, KeyS3Secret)
	}
	b.add(r)
}

// keptUnderKey names what the teardown keeps that the key encrypts: a bucket it keeps, an instance it keeps, and
// the final snapshot of the instance it deletes.
func (b *builder) keptUnderKey(o DownOptions) []string {
	s, k := b.snap, b.snap.KMSKey
	var kept []string
	for _, r := range b.p.Resources {
		switch {
		case r.Key == KeyBucket && r.Action == Keep && k.Is(s.Bucket.KMSKey):
			kept = append(kept, fmt.Sprintf("bucket %q", r.Name))
		case r.Key == KeyInstance && s.Instance.StorageEncrypted && k.Is(s.Instance.KMSKey) && r.Action == Keep:
			kept = append(kept, fmt.Sprintf("DB instance %q", r.Name))
		case r.Key == KeyInstance && s.Instance.StorageEncrypted && k.Is(s.Instance.KMSKey) && o.FinalSnapshot != "":
			kept = append(kept, fmt.Sprintf("final snapshot %q", o.FinalSnapshot))
		}
	}
	return kept
}
