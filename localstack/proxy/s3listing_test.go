package proxy

import "testing"

// TestVersionListingOrder: moto writes versions before delete markers; the listing orders them by key, newest
// first, keeping moto's order where the timestamps tie.
func TestVersionListingOrder(t *testing.T) {
	moto := `<?xml version="1.0" ?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<IsTruncated>false</IsTruncated><KeyMarker/>` +
		`<Version><Key>a</Key><VersionId>a2</VersionId><LastModified>2026-01-01T00:00:05.000Z</LastModified></Version>` +
		`<Version><Key>a</Key><VersionId>a1</VersionId><LastModified>2026-01-01T00:00:01.000Z</LastModified></Version>` +
		`<Version><Key>b</Key><VersionId>b1</VersionId><LastModified>2026-01-01T00:00:01.000Z</LastModified></Version>` +
		`<DeleteMarker><Key>a</Key><VersionId>a3</VersionId><LastModified>2026-01-01T00:00:09.000Z</LastModified></DeleteMarker>` +
		`<DeleteMarker><Key>b</Key><VersionId>b2</VersionId><LastModified>2026-01-01T00:00:01.000Z</LastModified></DeleteMarker>` +
		`<Name>bkt</Name><Prefix/><MaxKeys>1000</MaxKeys></ListVersionsResult>`
	l, err := parseVersionListing([]byte(moto))
	if err != nil {
		t.Fatal(err)
	}
	var order string
	for _, e := range l.entries {
		order += e.versionID + " "
	}
	if order != "a3 a2 a1 b1 b2 " {
		t.Errorf("order %q, want a3 a2 a1 b1 b2", order)
	}
	if string(l.head) != "<Name>bkt</Name><Prefix/>" {
		t.Errorf("head %q", l.head)
	}
	for _, tc := range []struct {
		key, version string
		want         int
		ok           bool
	}{{"a", "a2", 2, true}, {"a", "", 3, true}, {"", "", 0, true}, {"a", "gone", 0, false}, {"b", "b2", 5, true}} {
		if got, ok := l.after(tc.key, tc.version); got != tc.want || ok != tc.ok {
			t.Errorf("after(%q, %q) = %d, %v; want %d, %v", tc.key, tc.version, got, ok, tc.want, tc.ok)
		}
	}
}
