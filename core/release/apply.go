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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Apply carries out p in the order described in the package documentation: hashed assets, other
// files, HTML, the manifest, then deletes, each phase on the bounded worker pool and only after
// the previous one fully succeeded. Uploads stream from disk with their Content-MD5, so S3
// rejects a file that changed since Plan. Transient failures are retried by the SDK's retryer;
// the first permanent failure stops Apply before the next phase (no HTML is written if an asset
// failed, nothing is deleted if any write failed).
func Apply(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.client == nil {
		return nil, errors.New("release: Apply needs a plan made by release.PlanRelease")
	}
	start := time.Now()
	res := &Result{
		Bucket: p.Bucket, Prefix: p.Prefix, ReleaseID: p.ReleaseID, Digest: p.Digest, Seq: p.Seq,
		Unchanged: p.Unchanged, ChangedPaths: p.ChangedPaths, Kept: p.Keep,
	}
	var phases [3][]Change
	var deletes []Change
	for _, c := range p.Changes {
		switch c.Action {
		case ActionUpload, ActionUpdateHeader:
			phases[phaseOf(c.Class)] = append(phases[phaseOf(c.Class)], c)
		case ActionDelete:
			deletes = append(deletes, c)
		}
	}
	var mu sync.Mutex
	for _, phase := range phases {
		err := runPool(ctx, p.Concurrency, len(phase), func(ctx context.Context, i int) error {
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
			mu.Lock()
			defer mu.Unlock()
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
		if err != nil {
			res.DurationMS = time.Since(start).Milliseconds()
			return res, err
		}
	}

	body, err := p.manifest.encode()
	if err != nil {
		return res, fmt.Errorf("release: encode the release manifest: %w", err)
	}
	if !bytes.Equal(body, p.oldJSON) {
		key := keyFor(p.Prefix, ManifestName)
		_, err := p.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(p.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/gzip"),
			CacheControl: aws.String("no-store"),
		}, noChecksum)
		if err != nil {
			res.DurationMS = time.Since(start).Milliseconds()
			return res, s3Error(err, p.Bucket, "write the release manifest "+key+" to")
		}
		res.ManifestWritten = true
		fmt.Fprintf(p.progress, "wrote release manifest %s (release #%d)\n", key, p.Seq)
	}

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
			res.DurationMS = time.Since(start).Milliseconds()
			return res, s3Error(err, p.Bucket, "delete stale objects from")
		}
		failed := map[string]string{}
		for _, e := range out.Errors {
			failed[aws.ToString(e.Key)] = aws.ToString(e.Code) + ": " + aws.ToString(e.Message)
		}
		for _, c := range batch {
			if _, bad := failed[c.Key]; bad {
				continue
			}
			res.Deleted.add(c.Size)
			fmt.Fprintf(p.progress, "deleted %s\n", c.Key)
		}
		if len(failed) > 0 {
			for k, why := range failed {
				res.DurationMS = time.Since(start).Milliseconds()
				return res, fmt.Errorf("release: %d stale objects could not be deleted from s3://%s (first: %s: %s); the release itself is complete, re-run to retry", len(failed), p.Bucket, k, why)
			}
		}
	}
	res.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}

// noChecksum sends no flexible checksum (no aws-chunked body): uploads carry Content-MD5 instead,
// which S3 verifies, and the bytes on the wire are exactly the file's.
func noChecksum(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

func (p *Plan) put(ctx context.Context, c Change) (string, error) {
	fh, err := os.Open(filepath.Join(p.Dir, filepath.FromSlash(c.Path)))
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
