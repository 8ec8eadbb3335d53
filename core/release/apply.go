package release

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Apply carries out p in the order described in the package documentation: Stage, then CutOver.
// Uploads stream from disk with their Content-MD5, so S3 rejects a file that changed since Plan.
// Transient failures are retried by the SDK's retryer; the first permanent failure stops Apply
// before the next phase (no HTML is written if an asset failed, nothing is deleted if any write
// failed).
func Apply(ctx context.Context, p *Plan) (*Result, error) {
	if res, err := Stage(ctx, p); err != nil {
		return res, err
	}
	return CutOver(ctx, p)
}

// Stage writes what nothing served can reach yet: the new content-hashed assets, then the kept
// copies of this release's non-hashed files (Plan.Entries' uploads). No existing object is
// overwritten or deleted, no HTML entry point and no manifest is written: the bucket serves the
// previous release exactly as before. Staging again after success does nothing.
func Stage(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.client == nil {
		return nil, errors.New("release: Stage needs a plan made by release.PlanRelease")
	}
	if p.staged != nil {
		return p.staged, nil
	}
	start := time.Now()
	res := &Result{
		Bucket: p.Bucket, Prefix: p.Prefix, ReleaseID: p.ReleaseID, Digest: p.Digest, Seq: p.Seq,
		Unchanged: p.Unchanged, ChangedPaths: p.ChangedPaths, Kept: p.Keep,
	}
	phases, _ := p.split()
	err := p.writePhase(ctx, res, phases[0])
	if err == nil {
		err = p.copyEntries(ctx, res, false)
	}
	res.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		return res, err
	}
	p.staged = res
	return res, nil
}

// CutOver makes the staged release the one served: the other non-HTML files, the HTML entry points
// (index.html last), the release manifest, then the deletes of objects (and kept copies) no
// retained release references. It refuses a plan that was not staged. The result continues
// Stage's counts.
func CutOver(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.client == nil {
		return nil, errors.New("release: CutOver needs a plan made by release.PlanRelease")
	}
	if p.staged == nil {
		return nil, errors.New("release: CutOver before Stage: the hashed assets the HTML references are not uploaded yet")
	}
	start := time.Now()
	r := *p.staged
	res := &r
	defer func(staged int64) { res.DurationMS = staged + time.Since(start).Milliseconds() }(res.DurationMS)
	phases, deletes := p.split()
	for _, phase := range phases[1:] {
		if err := p.writePhase(ctx, res, phase); err != nil {
			return res, err
		}
	}
	if err := p.copyEntries(ctx, res, true); err != nil {
		return res, err
	}
	body, err := p.manifest.encode()
	if err != nil {
		return res, fmt.Errorf("release: encode the release manifest: %w", err)
	}
	if !bytes.Equal(body, p.oldJSON) {
		if err := p.writeManifest(ctx, body); err != nil {
			return res, err
		}
		res.ManifestWritten = true
		fmt.Fprintf(p.progress, "wrote release manifest %s (release #%d)\n", keyFor(p.Prefix, ManifestName), p.Seq)
	}
	res.CutOver = true
	if err := p.deleteAll(ctx, deletes, &res.Deleted); err != nil {
		return res, err
	}
	var stale []Change
	for _, c := range p.Entries {
		if c.Action == ActionDelete {
			stale = append(stale, c)
		}
	}
	return res, p.deleteAll(ctx, stale, &res.EntriesDeleted)
}

// copyEntries makes the kept copies of entry files: this release's (own, CutOver) or the served
// release's (Stage).
func (p *Plan) copyEntries(ctx context.Context, res *Result, own bool) error {
	var entries []Change
	for _, c := range p.Entries {
		if c.Action == ActionCopy && strings.HasPrefix(c.Key, keyFor(p.Prefix, KeptKey(p.Digest, ""))) == own {
			entries = append(entries, c)
		}
	}
	return runPool(ctx, p.Concurrency, len(entries), func(ctx context.Context, i int) error {
		c := entries[i]
		_, err := p.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(c.Key),
			CopySource: aws.String(p.Bucket + "/" + escapeKey(c.Source))})
		if err != nil {
			return s3Error(err, p.Bucket, "copy "+c.Source+" to "+c.Key+" in")
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		res.EntriesWritten.add(c.Size)
		fmt.Fprintf(p.progress, "kept a copy of %s as %s\n", c.Source, c.Key)
		return nil
	})
}

// split sorts the plan's writes into the three upload phases and the deletes.
func (p *Plan) split() (phases [3][]Change, deletes []Change) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionUpload, ActionUpdateHeader:
			phases[phaseOf(c.Class)] = append(phases[phaseOf(c.Class)], c)
		case ActionDelete:
			deletes = append(deletes, c)
		}
	}
	return phases, deletes
}

// writePhase uploads (or updates the headers of) one phase's objects on the worker pool.
func (p *Plan) writePhase(ctx context.Context, res *Result, phase []Change) error {
	return runPool(ctx, p.Concurrency, len(phase), func(ctx context.Context, i int) error {
		c := phase[i]
		var etag string
		var err error
		if c.Action == ActionUpload {
			etag, err = p.put(ctx, c)
		} else {
			etag, err = p.copyHeaders(ctx, c)
		}
		if err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if c.Action == ActionUpload {
			res.Uploaded.add(c.Size)
			fmt.Fprintf(p.progress, "uploaded %s (%s, %s)\n", c.Key, humanBytes(c.Size), c.CacheControl)
		} else {
			res.HeaderUpdated.add(c.Size)
			fmt.Fprintf(p.progress, "updated headers of %s (%s)\n", c.Key, c.Reason)
		}
		if o := p.manifest.Objects[c.Path]; o != nil {
			if d, parts := ParseETag(etag); etag != "" && (parts != 0 || d != c.MD5) {
				o.ETag = strings.Trim(etag, `"`)
			} else {
				o.ETag = ""
			}
		}
		return nil
	})
}

func (p *Plan) writeManifest(ctx context.Context, body []byte) error {
	return putManifest(ctx, p.client, p.Bucket, p.Prefix, body)
}

func putManifest(ctx context.Context, c *s3.Client, bucket, prefix string, body []byte) error {
	key := keyFor(prefix, ManifestName)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/gzip"),
		CacheControl: aws.String("no-store"),
	}, noChecksum)
	if err != nil {
		return s3Error(err, bucket, "write the release manifest "+key+" to")
	}
	return nil
}

// deleteAll deletes the changes' keys in batches of 1000, counting what went into n.
func (p *Plan) deleteAll(ctx context.Context, deletes []Change, n *Counter) error {
	for len(deletes) > 0 {
		batch := deletes
		if len(batch) > 1000 {
			batch = batch[:1000]
		}
		deletes = deletes[len(batch):]
		ids := make([]s3types.ObjectIdentifier, len(batch))
		for i, c := range batch {
			ids[i] = s3types.ObjectIdentifier{Key: aws.String(c.Key)}
		}
		out, err := p.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(p.Bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s3Error(err, p.Bucket, "delete stale objects from")
		}
		failed := map[string]string{}
		for _, e := range out.Errors {
			failed[aws.ToString(e.Key)] = aws.ToString(e.Code) + ": " + aws.ToString(e.Message)
		}
		for _, c := range batch {
			if _, bad := failed[c.Key]; bad {
				continue
			}
			n.add(c.Size)
			fmt.Fprintf(p.progress, "deleted %s\n", c.Key)
		}
		for k, why := range failed {
			return fmt.Errorf("release: %d stale objects could not be deleted from s3://%s (first: %s: %s); the release itself is complete, re-run to retry", len(failed), p.Bucket, k, why)
		}
	}
	return nil
}

// noChecksum sends no flexible checksum (no aws-chunked body): uploads carry Content-MD5 instead,
// which S3 verifies, and the bytes on the wire are exactly the file's.
func noChecksum(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

func (p *Plan) put(ctx context.Context, c Change) (string, error) {
	src := c.Path
	if c.Source != "" {
		src = c.Source
	}
	fh, err := os.Open(filepath.Join(p.Dir, filepath.FromSlash(src)))
	if err != nil {
		return "", fmt.Errorf("release: open %s: %w (the bundle changed since the plan was made)", c.Path, err)
	}
	defer fh.Close()
	sum, err := hex.DecodeString(c.MD5)
	if err != nil {
		return "", fmt.Errorf("release: plan has a bad MD5 for %s", c.Path)
	}
	out, err := p.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.Bucket), Key: aws.String(c.Key), Body: fh, ContentLength: aws.Int64(c.Size),
		ContentType: aws.String(c.ContentType), CacheControl: aws.String(c.CacheControl),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum)),
	}, noChecksum)
	if err != nil {
		return "", s3Error(err, p.Bucket, "upload "+c.Key+" to")
	}
	return aws.ToString(out.ETag), nil
}

func (p *Plan) copyHeaders(ctx context.Context, c Change) (string, error) {
	out, err := p.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(p.Bucket), Key: aws.String(c.Key),
		CopySource:        aws.String(p.Bucket + "/" + escapeKey(c.Key)),
		MetadataDirective: s3types.MetadataDirectiveReplace,
		ContentType:       aws.String(c.ContentType), CacheControl: aws.String(c.CacheControl),
	})
	if err != nil {
		return "", s3Error(err, p.Bucket, "update the headers of "+c.Key+" in")
	}
	if out.CopyObjectResult != nil {
		return aws.ToString(out.CopyObjectResult.ETag), nil
	}
	return "", nil
}

// escapeKey URL-encodes each segment of a key for CopySource.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
