package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// remoteObj is one listed object.
type remoteObj struct {
	ETag string
	Size int64
}

// PlanRelease hashes the bundle, reads the bucket and the release manifest, and returns what Apply would
// do. It never writes. Bad input (no client, missing directory, no index.html, unknown bucket,
// access denied, unreadable manifest) is one clear error.
func PlanRelease(ctx context.Context, in Input) (*Plan, error) {
	if in.Client == nil {
		return nil, errors.New("release: no S3 client given")
	}
	if strings.TrimSpace(in.Bucket) == "" {
		return nil, errors.New("release: no bucket given (pass the frontend stack's bucket output)")
	}
	keep := in.KeepReleases
	switch {
	case keep == 0:
		keep = DefaultKeepReleases
	case keep < 0:
		keep = 0
	}
	workers := in.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	progress := in.Progress
	if progress == nil {
		progress = io.Discard
	}
	prefix := cleanPrefix(in.Prefix)
	if err := checkBundle(in.Dir); err != nil {
		return nil, err
	}
	remote, err := listRemote(ctx, in.Client, in.Bucket, prefix)
	if err != nil {
		return nil, err
	}
	files, err := scanBundle(ctx, in.Dir, in.Rules, workers)
	if err != nil {
		return nil, err
	}
	old, oldJSON, err := readManifest(ctx, in.Client, in.Bucket, keyFor(prefix, ManifestName))
	if err != nil {
		return nil, err
	}
	kept := splitMeta(remote)

	digest := bundleDigest(files)
	p := &Plan{
		Bucket: in.Bucket, Prefix: prefix, Dir: in.Dir, ReleaseID: in.ReleaseID, Digest: digest,
		KeepReleases: keep, Concurrency: workers,
		client: in.Client, progress: progress, oldJSON: oldJSON,
	}
	if p.ReleaseID == "" {
		p.ReleaseID = digest
	}
	if old != nil {
		if l := old.latest(); l != nil && l.Digest != digest {
			p.Previous = &ReleaseRef{Seq: l.Seq, ID: l.ID, Digest: l.Digest, CreatedAt: l.CreatedAt}
		}
	}

	// Decide per local file.
	var (
		changes  []Change
		needHead []*localFile
		oldObjs  map[string]*manifestObj
		mOld     = old
	)
	if mOld == nil {
		mOld = newManifest()
	}
	oldObjs = mOld.Objects
	for _, f := range files {
		r, ok := remote[f.Path]
		mo := oldObjs[f.Path]
		switch {
		case !ok:
			changes = append(changes, uploadChange(prefix, f, "new"))
		case r.Size != f.Size:
			changes = append(changes, uploadChange(prefix, f, fmt.Sprintf("content changed (%d → %d bytes)", r.Size, f.Size)))
		case !sameContent(f, r, mo):
			changes = append(changes, uploadChange(prefix, f, "content changed"))
		case !in.VerifyHeaders && mo != nil && mo.T != 0 && mo.C != 0 && (f.Class == ClassHashed || mo.MD5 == f.MD5):
			if c, ok := headerChange(prefix, f, mOld.typeOf(mo), mOld.cacheOf(mo)); ok {
				changes = append(changes, c)
			} else {
				p.Unchanged.add(f.Size)
			}
		default:
			needHead = append(needHead, f)
		}
	}

	// Objects whose headers the manifest does not vouch for: ask S3.
	var mu sync.Mutex
	err = runPool(ctx, workers, len(needHead), func(ctx context.Context, i int) error {
		f := needHead[i]
		out, err := in.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(keyFor(prefix, f.Path))})
		if err != nil {
			return s3Error(err, in.Bucket, "read the headers of "+f.Path+" in")
		}
		c, changed := headerChange(prefix, f, aws.ToString(out.ContentType), aws.ToString(out.CacheControl))
		mu.Lock()
		defer mu.Unlock()
		if changed {
			changes = append(changes, c)
		} else {
			p.Unchanged.add(f.Size)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// The new manifest: this release appended (unless identical to the latest), old ones pruned.
	m := mOld.clone()
	inBundle := make(map[string]bool, len(files))
	for _, f := range files {
		inBundle[f.Path] = true
	}
	if old == nil {
		var pre manifestRelease
		for rel, r := range remote {
			if inBundle[rel] {
				continue
			}
			o := &manifestObj{R: []int{0}}
			if d, parts := ParseETag(r.ETag); parts == 0 && classOf(rel) != ClassHashed {
				o.MD5 = d
			}
			m.Objects[rel] = o
			pre.Files++
			pre.Bytes += r.Size
		}
		if pre.Files > 0 {
			pre.ID, pre.CreatedAt = "pre-existing", time.Now().UTC().Format(time.RFC3339)
			m.Releases = append(m.Releases, pre)
		}
	}
	if l := mOld.latest(); l != nil && l.Digest == digest {
		p.Seq = l.Seq
	} else {
		p.Seq = 1
		if l := m.latest(); l != nil {
			p.Seq = l.Seq + 1
		}
		var total int64
		for _, f := range files {
			total += f.Size
		}
		m.Releases = append(m.Releases, manifestRelease{
			Seq: p.Seq, ID: p.ReleaseID, Digest: digest, CreatedAt: time.Now().UTC().Format(time.RFC3339),
			Files: len(files), Bytes: total,
		})
	}
	uploading := map[string]bool{}
	for _, c := range changes {
		if c.Action == ActionUpload {
			uploading[c.Path] = true
		}
	}
	for _, f := range files {
		o := m.Objects[f.Path]
		if o == nil {
			o = &manifestObj{}
			m.Objects[f.Path] = o
		}
		etag := ""
		if !uploading[f.Path] {
			if r, ok := remote[f.Path]; ok {
				if d, parts := ParseETag(r.ETag); parts != 0 || d != f.MD5 {
					etag = strings.Trim(r.ETag, `"`)
				}
			}
		}
		o.MD5, o.ETag = "", etag
		if f.Class != ClassHashed {
			o.MD5 = f.MD5 // a hashed name implies its content; only the others need the MD5
		}
		o.T, o.C = intern(&m.Types, f.ContentType), intern(&m.Caches, f.CacheControl)
		if !containsInt(o.R, p.Seq) {
			o.R = append(o.R, p.Seq)
		}
	}
	m.prune(keep)
	p.manifest = m

	// Remote objects the release does not contain: keep if a retained release references them.
	ids := map[int]string{}
	for _, r := range m.Releases {
		ids[r.Seq] = r.ID
	}
	var gone []Change
	for rel, r := range remote {
		if inBundle[rel] {
			continue
		}
		c := Change{Path: rel, Key: keyFor(prefix, rel), Class: classOf(rel), Size: r.Size}
		newest := -1
		if o := m.Objects[rel]; o != nil {
			for _, s := range o.R {
				if s != p.Seq && s > newest {
					newest = s
				}
			}
		}
		if newest >= 0 {
			c.Action, c.Reason = ActionKeep, fmt.Sprintf("referenced by release #%d (%s)", newest, ids[newest])
			p.Keep.add(r.Size)
		} else {
			c.Action, c.Reason = ActionDelete, "not in this or the retained releases"
			p.Delete.add(r.Size)
		}
		gone = append(gone, c)
	}
	sort.Slice(changes, func(i, j int) bool {
		if pi, pj := phaseOf(changes[i].Class), phaseOf(changes[j].Class); pi != pj {
			return pi < pj
		}
		return changes[i].Path < changes[j].Path
	})
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].Action != gone[j].Action {
			return gone[i].Action == ActionDelete
		}
		return gone[i].Path < gone[j].Path
	})
	for _, c := range changes {
		if c.Action == ActionUpload {
			p.Upload.add(c.Size)
		} else {
			p.UpdateHeaders.add(c.Size)
		}
	}
	p.Changes = append(changes, gone...)
	p.ChangedPaths = []string{}
	for _, c := range p.Changes {
		switch {
		case c.Class != ClassHashed && c.Action != ActionKeep:
			p.ChangedPaths = append(p.ChangedPaths, c.Path)
		case c.Action == ActionUpload && strings.HasPrefix(c.Reason, "content changed"):
			p.ChangedPaths = append(p.ChangedPaths, c.Path)
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: a hashed name whose bytes changed (%s): invalidated too; the build "+
				"should give new bytes a new name (clients that cached it immutably keep the old bytes)", c.Path, c.Reason))
		}
	}
	sort.Strings(p.ChangedPaths)
	p.Entries = entryChanges(prefix, digest, files, kept, remote, old, m)
	newJSON, err := m.encode()
	if err != nil {
		return nil, fmt.Errorf("release: encode the release manifest: %w", err)
	}
	p.WriteManifest = !bytes.Equal(newJSON, oldJSON)
	return p, nil
}

// splitMeta removes the engine's own objects (under .bookme/) from remote and returns the kept
// entry copies among them (path relative to the prefix → object).
func splitMeta(remote map[string]remoteObj) map[string]remoteObj {
	kept := map[string]remoteObj{}
	for rel, r := range remote {
		if !strings.HasPrefix(rel, metaDir) {
			continue
		}
		if strings.HasPrefix(rel, KeptPrefix) {
			kept[rel] = r
		}
		delete(remote, rel)
	}
	return kept
}

// entryChanges are the kept copies (KeptKey) to write and to delete. All are server-side copies
// of served objects, so no body is sent twice:
//
//   - this release's non-hashed files, copied by CutOver right after the HTML (from the objects it
//     just wrote; a kept key names the bundle digest, which covers every path and MD5, so an
//     existing copy of the same size already holds the bytes);
//   - the served release's files that have no kept copy yet (it was released before copies were
//     kept, or its cut-over stopped before them), copied by Stage while they are still served and
//     only when the bucket still holds the bytes the manifest recorded;
//   - deletes of the copies of releases the new manifest no longer retains (CutOver, last).
func entryChanges(prefix, digest string, files []*localFile, kept, remote map[string]remoteObj, old, m *manifest) []Change {
	var out []Change
	for _, f := range files {
		if f.Class == ClassHashed {
			continue
		}
		rel := KeptKey(digest, f.Path)
		if r, ok := kept[rel]; ok && r.Size == f.Size {
			continue
		}
		c := uploadChange(prefix, f, "kept copy of this release's entry file, after the cut-over (for a roll-back)")
		c.Action, c.Key, c.Source = ActionCopy, keyFor(prefix, rel), keyFor(prefix, f.Path)
		out = append(out, c)
	}
	if old != nil {
		if l := old.latest(); l != nil && l.Digest != "" && l.Digest != digest {
			for path, o := range old.Objects {
				rel := KeptKey(l.Digest, path)
				live, served := remote[path]
				if classOf(path) == ClassHashed || !containsInt(o.R, l.Seq) || !served {
					continue
				}
				if _, ok := kept[rel]; ok {
					continue
				}
				d, parts := ParseETag(live.ETag)
				if !(parts == 0 && d == o.MD5) && !(o.ETag != "" && o.ETag == strings.Trim(live.ETag, `"`)) {
					continue // edited since: not the release's bytes
				}
				out = append(out, Change{Action: ActionCopy, Path: path, Key: keyFor(prefix, rel), Class: classOf(path), Size: live.Size,
					MD5: o.MD5, Source: keyFor(prefix, path), Reason: fmt.Sprintf("kept copy of the served release #%d's entry file (for a roll-back)", l.Seq)})
			}
		}
	}
	retained := map[string]bool{digest: true}
	for _, r := range m.Releases {
		if r.Digest != "" {
			retained[r.Digest] = true
		}
	}
	var gone []Change
	for rel, r := range kept {
		d, path, _ := strings.Cut(strings.TrimPrefix(rel, KeptPrefix), "/")
		if retained[d] {
			continue
		}
		gone = append(gone, Change{Action: ActionDelete, Path: path, Key: keyFor(prefix, rel), Class: classOf(path), Size: r.Size,
			Reason: "kept copy of release " + d + ", no longer retained"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	sort.Slice(gone, func(i, j int) bool { return gone[i].Key < gone[j].Key })
	return append(out, gone...)
}

func classOf(rel string) Class {
	switch {
	case IsHTML(rel):
		return ClassHTML
	case IsHashed(rel):
		return ClassHashed
	}
	return ClassOther
}

func phaseOf(c Class) int {
	switch c {
	case ClassHashed:
		return 0
	case ClassOther:
		return 1
	}
	return 2
}

func uploadChange(prefix string, f *localFile, reason string) Change {
	return Change{
		Action: ActionUpload, Path: f.Path, Key: keyFor(prefix, f.Path), Class: f.Class, Size: f.Size,
		MD5: f.MD5, ContentType: f.ContentType, CacheControl: f.CacheControl, Reason: reason,
	}
}

// headerChange returns the header update f needs when the remote object has contentType and
// cacheControl, and whether one is needed.
func headerChange(prefix string, f *localFile, contentType, cacheControl string) (Change, bool) {
	var why []string
	if contentType != f.ContentType {
		why = append(why, fmt.Sprintf("content-type %q → %q", contentType, f.ContentType))
	}
	if cacheControl != f.CacheControl {
		why = append(why, fmt.Sprintf("cache-control %q → %q", cacheControl, f.CacheControl))
	}
	if len(why) == 0 {
		return Change{}, false
	}
	c := uploadChange(prefix, f, strings.Join(why, ", "))
	c.Action = ActionUpdateHeader
	return c, true
}

// sameContent reports whether the remote object holds f's bytes (sizes already equal).
func sameContent(f *localFile, r remoteObj, mo *manifestObj) bool {
	digest, parts := ParseETag(r.ETag)
	if parts == 0 && digest == f.MD5 {
		return true
	}
	if mo != nil && mo.ETag != "" && mo.ETag == strings.Trim(r.ETag, `"`) && (mo.MD5 == f.MD5 || f.Class == ClassHashed) {
		return true // e.g. SSE-KMS: the ETag S3 gave our upload of these bytes
	}
	if parts > 0 {
		return matchesMultipart(func() (io.ReaderAt, func() error, error) {
			fh, err := os.Open(f.Abs)
			if err != nil {
				return nil, nil, err
			}
			return fh, fh.Close, nil
		}, f.Size, r.ETag)
	}
	return false
}

// listRemote lists every object under the prefix, keyed by path relative to it.
func listRemote(ctx context.Context, c *s3.Client, bucket, prefix string) (map[string]remoteObj, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	strip := ""
	if prefix != "" {
		strip = prefix + "/"
		in.Prefix = aws.String(strip)
	}
	out := map[string]remoteObj{}
	pg := s3.NewListObjectsV2Paginator(c, in)
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, s3Error(err, bucket, "list")
		}
		for _, o := range page.Contents {
			rel := strings.TrimPrefix(aws.ToString(o.Key), strip)
			out[rel] = remoteObj{ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size)}
		}
	}
	return out, nil
}
