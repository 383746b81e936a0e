package proxy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// moto 5.2.1's ListObjectVersions has two gaps that break bulk deletes of large buckets. Every call deep-copies
// every version of the bucket, so one page of 1,000 costs time in proportion to the whole bucket (about 2.7 s at
// 16,000 versions here). And a continuation whose version-id-marker names a version deleted since returns an
// empty, final page, so a client that deletes what it has listed while it lists (rclone purge) stops early. The
// proxy therefore serves the pages of a listing itself: the first page (no markers) fetches the whole listing
// from moto once, and continuations are cut from it, positioned by S3's markers, as S3 pages its live index.
// Unlike S3, versions written or deleted after the first page are not seen by the continuations; a client that
// only deletes behind its marker sees no difference.

// maxListKeys is the most entries S3 returns in one page, whatever max-keys asks.
const maxListKeys = 1000

// versionListing is one full ListObjectVersions answer of moto, in S3's order, that pages are cut from.
type versionListing struct {
	head    []byte // moto's <Name> and <Prefix> elements, as written
	entries []listEntry
}

// listEntry is one <Version> or <DeleteMarker> element as moto wrote it.
type listEntry struct {
	key, versionID, modified string
	raw                      []byte
}

// versionListings holds the listing being paged through, per bucket and prefix.
type versionListings struct {
	mu       sync.Mutex
	listings map[string]*versionListing
}

// serveListObjectVersions answers a path-style ListObjectVersions without a delimiter from a listing; it returns
// false, having written nothing, for requests it leaves to moto.
func (p *Proxy) serveListObjectVersions(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	bucket := strings.Trim(r.URL.Path, "/")
	if q.Get("delimiter") != "" || bucket == "" || strings.Contains(bucket, "/") {
		return false
	}
	maxKeys := maxListKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return false // moto's error
		}
		maxKeys = min(n, maxListKeys)
	}
	id := bucket + "\x00" + q.Get("prefix")
	keyMarker, versionMarker := q.Get("key-marker"), q.Get("version-id-marker")
	var l *versionListing
	if keyMarker == "" && versionMarker == "" {
		var err error
		if l, err = p.fetchListing(w, r); err != nil || l == nil {
			if err != nil {
				http.Error(w, "local stack: listing versions: "+err.Error(), http.StatusBadGateway)
			}
			return true
		}
		p.listings.put(id, l)
	} else if l = p.listings.get(id); l == nil {
		return false
	}
	start, ok := l.after(keyMarker, versionMarker)
	if !ok {
		return false // a marker the listing does not hold: moto's answer
	}
	page := l.entries[start:min(start+maxKeys, len(l.entries))]
	truncated := start+len(page) < len(l.entries)
	if !truncated {
		p.listings.drop(id, l)
	}
	writeVersionsPage(w, l, page, keyMarker, versionMarker, maxKeys, truncated)
	return true
}

// fetchListing asks moto for every version under r's prefix in one call. A moto error is written to w as moto
// sent it, and nil returned.
func (p *Proxy) fetchListing(w http.ResponseWriter, r *http.Request) (*versionListing, error) {
	query := []string{"max-keys=" + strconv.Itoa(1<<31-1)}
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if !strings.HasPrefix(part, "max-keys=") {
			query = append(query, part)
		}
	}
	u := *p.upstreamURL
	u.Path, u.RawQuery = r.URL.Path, strings.Join(query, "&")
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Accept-Encoding")
	req.Host = r.Host
	resp, err := p.upstream.Transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return nil, nil
	}
	return parseVersionListing(body)
}

// parseVersionListing reads moto's ListVersionsResult. moto writes every <Version> before every <DeleteMarker>;
// S3 orders them together by key, newest first, which the entries get back as far as moto's timestamps (whole
// seconds) tell.
func parseVersionListing(body []byte) (*versionListing, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	l := &versionListing{}
	depth := 0
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing moto's ListObjectVersions answer: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth != 1 {
				depth++
				continue
			}
			switch t.Name.Local {
			case "Version", "DeleteMarker":
				var e struct {
					Key          string `xml:"Key"`
					VersionID    string `xml:"VersionId"`
					LastModified string `xml:"LastModified"`
				}
				if err := d.DecodeElement(&e, &t); err != nil {
					return nil, fmt.Errorf("parsing moto's ListObjectVersions answer: %w", err)
				}
				l.entries = append(l.entries, listEntry{key: e.Key, versionID: e.VersionID, modified: e.LastModified,
					raw: body[start:d.InputOffset()]})
			case "Name", "Prefix":
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("parsing moto's ListObjectVersions answer: %w", err)
				}
				l.head = append(l.head, body[start:d.InputOffset()]...)
			default:
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("parsing moto's ListObjectVersions answer: %w", err)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	slices.SortStableFunc(l.entries, func(a, b listEntry) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(b.modified, a.modified)
	})
	return l, nil
}

// after is the index of the first entry after S3's markers: the named version of keyMarker, or, without a
// version marker, every version of keyMarker. False when the listing does not hold the named version.
func (l *versionListing) after(keyMarker, versionMarker string) (int, bool) {
	if versionMarker == "" {
		i, _ := slices.BinarySearchFunc(l.entries, keyMarker, func(e listEntry, k string) int {
			if e.key <= k {
				return -1
			}
			return 1
		})
		return i, true
	}
	i, _ := slices.BinarySearchFunc(l.entries, keyMarker, func(e listEntry, k string) int { return strings.Compare(e.key, k) })
	for ; i < len(l.entries) && l.entries[i].key == keyMarker; i++ {
		if l.entries[i].versionID == versionMarker {
			return i + 1, true
		}
	}
	return 0, false
}

func writeVersionsPage(w http.ResponseWriter, l *versionListing, page []listEntry, keyMarker, versionMarker string, maxKeys int, truncated bool) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListVersionsResult xmlns="` + s3Namespace + `">`)
	b.Write(l.head)
	element(&b, "KeyMarker", keyMarker)
	element(&b, "VersionIdMarker", versionMarker)
	if truncated {
		last := page[len(page)-1]
		element(&b, "NextKeyMarker", last.key)
		element(&b, "NextVersionIdMarker", last.versionID)
	}
	element(&b, "MaxKeys", strconv.Itoa(maxKeys))
	element(&b, "IsTruncated", strconv.FormatBool(truncated))
	for _, e := range page {
		b.Write(e.raw)
	}
	b.WriteString("</ListVersionsResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Header().Set("X-Amz-Request-Id", requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func element(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

func (s *versionListings) put(id string, l *versionListing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listings == nil {
		s.listings = map[string]*versionListing{}
	}
	s.listings[id] = l
}

func (s *versionListings) get(id string) *versionListing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listings[id]
}

// drop forgets a listing whose last page was served, unless a newer one replaced it.
func (s *versionListings) drop(id string, l *versionListing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listings[id] == l {
		delete(s.listings, id)
	}
}
