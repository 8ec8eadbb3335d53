package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ActionRestore is a RestorePlan's change: copy a kept copy back over the served object.
const ActionRestore Action = "restore"

// RestoreInput says which retained release to serve again.
type RestoreInput struct {
	Client *s3.Client
	Bucket string
	Prefix string
	// Seq is the release to restore (Plan.Previous.Seq, or one of History's).
	Seq int
	// Progress receives one line per write during Restore; nil discards.
	Progress io.Writer
}

// RestorePlan is what Restore will do: put the release's non-hashed files back from their kept
// copies (other files first, HTML last) and record it as the newest release in the manifest.
type RestorePlan struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	// Release is the release restored; Current the newest one in the manifest before the restore.
	Release ReleaseRef `json:"release"`
	Current ReleaseRef `json:"current"`
	// Changes are the copies, in Restore's order; files already holding the release's bytes are
	// left out.
	Changes []Change `json:"changes"`
	// ChangedPaths are the paths whose served bytes change: what a CDN must invalidate.
	ChangedPaths []string `json:"changedPaths"`
	// Left are non-hashed paths of the current release that the restored one does not have: they
	// stay in place (they reference only objects that exist), nothing is deleted by a restore.
	Left []string `json:"left,omitempty"`
	// WriteManifest is false when the release is already the newest (a cut-over that never wrote
	// the manifest).
	WriteManifest bool `json:"writeManifest"`

	client   *s3.Client
	progress io.Writer
	manifest *manifest
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	Release         ReleaseRef `json:"release"`
	Restored        Counter    `json:"restored"`
	ManifestWritten bool       `json:"manifestWritten"`
	ChangedPaths    []string   `json:"changedPaths"`
	Left            []string   `json:"left,omitempty"`
}

// History lists the releases the manifest retains, oldest first (nil when there is no manifest).
func History(ctx context.Context, c *s3.Client, bucket, prefix string) ([]ReleaseRef, error) {
	m, _, err := readManifest(ctx, c, bucket, keyFor(cleanPrefix(prefix), ManifestName))
	if err != nil || m == nil {
		return nil, err
	}
	out := make([]ReleaseRef, 0, len(m.Releases))
	for _, r := range m.Releases {
		out = append(out, r.ref())
	}
	return out, nil
}

func (r manifestRelease) ref() ReleaseRef {
	return ReleaseRef{Seq: r.Seq, ID: r.ID, Digest: r.Digest, CreatedAt: r.CreatedAt, RestoredFrom: r.RestoredFrom}
}

// PlanRestore reads the manifest and the bucket and checks that the release can be served again:
// every hashed asset it referenced is still in the bucket and every non-hashed file has its kept
// copy (KeptKey). It never writes.
func PlanRestore(ctx context.Context, in RestoreInput) (*RestorePlan, error) {
	if in.Client == nil || strings.TrimSpace(in.Bucket) == "" {
		return nil, errors.New("release: restore needs an S3 client and a bucket")
	}
	prefix := cleanPrefix(in.Prefix)
	m, _, err := readManifest(ctx, in.Client, in.Bucket, keyFor(prefix, ManifestName))
	if err != nil {
		return nil, err
	}
	if m == nil || m.latest() == nil {
		return nil, fmt.Errorf("release: s3://%s has no release manifest: nothing to restore", in.Bucket)
	}
	var target *manifestRelease
	for i := range m.Releases {
		if m.Releases[i].Seq == in.Seq {
			target = &m.Releases[i]
		}
	}
	if target == nil {
		return nil, fmt.Errorf("release: release #%d is not retained in the manifest of s3://%s (pruned or never cut over)", in.Seq, in.Bucket)
	}
	if target.Digest == "" {
		return nil, fmt.Errorf("release: release #%d (%s) predates the managed releases: it has no kept entry files to restore", target.Seq, target.ID)
	}
	remote, err := listRemote(ctx, in.Client, in.Bucket, prefix)
	if err != nil {
		return nil, err
	}
	kept := splitMeta(remote)
	cur := m.latest()
	p := &RestorePlan{Bucket: in.Bucket, Prefix: prefix, Release: target.ref(), Current: cur.ref(),
		client: in.Client, progress: in.Progress, ChangedPaths: []string{}}
	if p.progress == nil {
		p.progress = io.Discard
	}
	var missing []string
	inTarget := map[string]bool{}
	for path, o := range m.Objects {
		if !containsInt(o.R, target.Seq) {
			continue
		}
		inTarget[path] = true
		live, served := remote[path]
		if classOf(path) == ClassHashed {
			if !served {
				missing = append(missing, path)
			}
			continue
		}
		copyRel := KeptKey(target.Digest, path)
		k, ok := kept[copyRel]
		if !ok {
			missing = append(missing, copyRel)
			continue
		}
		if served && live.ETag == k.ETag && live.Size == k.Size {
			continue // already the release's bytes
		}
		p.Changes = append(p.Changes, Change{Action: ActionRestore, Path: path, Key: keyFor(prefix, path), Class: classOf(path),
			Size: k.Size, MD5: o.MD5, ContentType: m.typeOf(o), CacheControl: m.cacheOf(o),
			Source: keyFor(prefix, copyRel), Reason: fmt.Sprintf("release #%d's bytes", target.Seq)})
		p.ChangedPaths = append(p.ChangedPaths, path)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("release: release #%d (%s) cannot be restored: %d of its objects are gone from s3://%s (first: %s)",
			target.Seq, target.ID, len(missing), in.Bucket, missing[0])
	}
	for path, o := range m.Objects {
		if _, served := remote[path]; served && !inTarget[path] && classOf(path) != ClassHashed && containsInt(o.R, cur.Seq) {
			p.Left = append(p.Left, path)
		}
	}
	sort.Strings(p.Left)
	sort.Strings(p.ChangedPaths)
	sort.Slice(p.Changes, func(i, j int) bool {
		if pi, pj := phaseOf(p.Changes[i].Class), phaseOf(p.Changes[j].Class); pi != pj {
			return pi < pj
		}
		return p.Changes[i].Path < p.Changes[j].Path
	})
	if cur.Seq != target.Seq {
		nm := m.clone()
		seq := cur.Seq + 1
		r := *target
		r.Seq, r.CreatedAt, r.RestoredFrom = seq, time.Now().UTC().Format(time.RFC3339), target.Seq
		nm.Releases = append(nm.Releases, r)
		for _, o := range nm.Objects {
			if containsInt(o.R, target.Seq) {
				o.R = append(o.R, seq)
			}
		}
		p.manifest, p.WriteManifest = nm, true
	}
	return p, nil
}

// Text prints what Restore will do.
func (p *RestorePlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore release %s (#%d, digest %s) over %s (#%d) in s3://%s/%s\n", p.Release.ID, p.Release.Seq, p.Release.Digest,
		p.Current.ID, p.Current.Seq, p.Bucket, p.Prefix)
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "  copy            %s → %s\n", c.Source, c.Key)
	}
	if len(p.Changes) == 0 {
		b.WriteString("  every entry file already holds the release's bytes\n")
	}
	if p.WriteManifest {
		fmt.Fprintf(&b, "  record release #%d in %s as the newest release\n", p.Current.Seq+1, keyFor(p.Prefix, ManifestName))
	}
	if len(p.Left) > 0 {
		fmt.Fprintf(&b, "  left in place (not in the restored release): %s\n", pathList(p.Left))
	}
	return b.String()
}

// Restore copies the kept copies back (other files, then HTML), each with the headers the manifest
// recorded, then writes the manifest. A failure stops it before the next phase.
func Restore(ctx context.Context, p *RestorePlan) (*RestoreResult, error) {
	if p == nil || p.client == nil {
		return nil, errors.New("release: Restore needs a plan made by release.PlanRestore")
	}
	res := &RestoreResult{Release: p.Release, ChangedPaths: p.ChangedPaths, Left: p.Left}
	var phases [3][]Change
	for _, c := range p.Changes {
		phases[phaseOf(c.Class)] = append(phases[phaseOf(c.Class)], c)
	}
	for _, phase := range phases {
		for _, c := range phase {
			_, err := p.client.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String(p.Bucket), Key: aws.String(c.Key),
				CopySource:        aws.String(p.Bucket + "/" + escapeKey(c.Source)),
				MetadataDirective: s3types.MetadataDirectiveReplace,
				ContentType:       aws.String(c.ContentType), CacheControl: aws.String(c.CacheControl),
			})
			if err != nil {
				return res, s3Error(err, p.Bucket, "restore "+c.Key+" from "+c.Source+" in")
			}
			res.Restored.add(c.Size)
			fmt.Fprintf(p.progress, "restored %s from %s\n", c.Key, c.Source)
		}
	}
	if p.WriteManifest {
		body, err := p.manifest.encode()
		if err != nil {
			return res, fmt.Errorf("release: encode the release manifest: %w", err)
		}
		if err := putManifest(ctx, p.client, p.Bucket, p.Prefix, body); err != nil {
			return res, err
		}
		res.ManifestWritten = true
		fmt.Fprintf(p.progress, "wrote release manifest %s (release #%d restored as #%d)\n", keyFor(p.Prefix, ManifestName), p.Release.Seq, p.Current.Seq+1)
	}
	return res, nil
}

// Text is the human summary of what Restore did.
func (r *RestoreResult) Text() string {
	return fmt.Sprintf("restored release %s (#%d): %d entry files put back, manifest written %v; changed paths: %s\n",
		r.Release.ID, r.Release.Seq, r.Restored.Count, r.ManifestWritten, pathList(r.ChangedPaths))
}
