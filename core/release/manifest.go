package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// manifest is the release manifest object (gzip-compressed JSON). Its format, version 1:
//
//	{"version":1,
//	 "types":["","text/html; charset=utf-8",…],      string table of Content-Types ("" = unknown)
//	 "caches":["","no-cache",…],                      string table of Cache-Controls
//	 "releases":[{"seq":3,"id":"abc123","digest":"…","createdAt":"…","files":120,"bytes":…},…],
//	 "objects":{"static/js/main.8f3a2b1c.js":{"m":"<md5>","t":2,"c":3,"r":[2,3]},…}}
//
// releases holds the newest KeepReleases+1 releases, oldest first; objects holds every key
// (relative to the prefix) one of them referenced: "r" the release seqs, "m" the MD5 of the
// bytes (only for non-hashed names: a content-hashed name already implies its bytes, and leaving
// the MD5s out keeps the manifest small enough that a 1 % release sends ≈ 1.05× the changed
// bytes), "e" the ETag S3 returned when it is not that MD5 (SSE-KMS), "t"/"c" the headers this
// engine set (indexes into types/caches). Seq 0 stands for objects found in the bucket before the
// first managed release, so they are kept like any previous release.
type manifest struct {
	Version  int                     `json:"version"`
	Types    []string                `json:"types"`
	Caches   []string                `json:"caches"`
	Releases []manifestRelease       `json:"releases"`
	Objects  map[string]*manifestObj `json:"objects"`
}

type manifestRelease struct {
	Seq       int    `json:"seq"`
	ID        string `json:"id"`
	Digest    string `json:"digest"`
	CreatedAt string `json:"createdAt"`
	Files     int    `json:"files"`
	Bytes     int64  `json:"bytes"`
	// RestoredFrom is the seq of the release this entry serves again (a roll-back), 0 otherwise.
	RestoredFrom int `json:"restoredFrom,omitempty"`
}

type manifestObj struct {
	MD5  string `json:"m,omitempty"`
	ETag string `json:"e,omitempty"`
	T    int    `json:"t,omitempty"`
	C    int    `json:"c,omitempty"`
	R    []int  `json:"r"`
}

func newManifest() *manifest {
	return &manifest{Version: 1, Types: []string{""}, Caches: []string{""}, Objects: map[string]*manifestObj{}}
}

func (m *manifest) latest() *manifestRelease {
	if len(m.Releases) == 0 {
		return nil
	}
	return &m.Releases[len(m.Releases)-1]
}

func (m *manifest) typeOf(o *manifestObj) string  { return at(m.Types, o.T) }
func (m *manifest) cacheOf(o *manifestObj) string { return at(m.Caches, o.C) }

func at(tab []string, i int) string {
	if i < 0 || i >= len(tab) {
		return ""
	}
	return tab[i]
}

func intern(tab *[]string, s string) int {
	if s == "" {
		return 0
	}
	for i, v := range *tab {
		if v == s {
			return i
		}
	}
	*tab = append(*tab, s)
	return len(*tab) - 1
}

// encode returns the canonical compressed form (stable for equal content: map keys are sorted
// by encoding/json, the gzip header carries no time).
func (m *manifest) encode() ([]byte, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeManifest(b []byte) (*manifest, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	m := newManifest()
	if err := json.Unmarshal(js, m); err != nil {
		return nil, err
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("unknown manifest version %d", m.Version)
	}
	if m.Objects == nil {
		m.Objects = map[string]*manifestObj{}
	}
	if len(m.Types) == 0 {
		m.Types = []string{""}
	}
	if len(m.Caches) == 0 {
		m.Caches = []string{""}
	}
	return m, nil
}

// readManifest fetches and decodes the manifest; (nil, nil, nil) when there is none yet.
func readManifest(ctx context.Context, c *s3.Client, bucket, key string) (*manifest, []byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, func(o *s3.Options) {
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
			return nil, nil, nil
		}
		return nil, nil, s3Error(err, bucket, "read the release manifest "+key+" in")
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("release: read the release manifest s3://%s/%s: %w", bucket, key, err)
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("release: the release manifest s3://%s/%s is unreadable (%v); delete it to start a new history", bucket, key, err)
	}
	canon, err := m.encode()
	if err != nil {
		return nil, nil, err
	}
	return m, canon, nil
}

// retained returns the seqs of the newest n releases, newest first.
func (m *manifest) retainedSeqs(n int) []int {
	var out []int
	for i := len(m.Releases) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, m.Releases[i].Seq)
	}
	return out
}

// prune drops releases beyond keep+1 and objects no remaining release references.
func (m *manifest) prune(keep int) {
	if len(m.Releases) > keep+1 {
		m.Releases = append([]manifestRelease(nil), m.Releases[len(m.Releases)-keep-1:]...)
	}
	live := map[int]bool{}
	for _, r := range m.Releases {
		live[r.Seq] = true
	}
	for k, o := range m.Objects {
		var rs []int
		for _, s := range o.R {
			if live[s] {
				rs = append(rs, s)
			}
		}
		if len(rs) == 0 {
			delete(m.Objects, k)
			continue
		}
		sort.Ints(rs)
		o.R = rs
	}
}

func (m *manifest) clone() *manifest {
	c := &manifest{
		Version:  m.Version,
		Types:    append([]string(nil), m.Types...),
		Caches:   append([]string(nil), m.Caches...),
		Releases: append([]manifestRelease(nil), m.Releases...),
		Objects:  make(map[string]*manifestObj, len(m.Objects)),
	}
	for k, o := range m.Objects {
		oc := *o
		oc.R = append([]int(nil), o.R...)
		c.Objects[k] = &oc
	}
	return c
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
