// Package tofulock finds and removes the state locks OpenTofu's S3 backend leaves behind when it is
// killed (use_lockfile: an object <state key>.tflock next to the state). A deploy killed while
// OpenTofu plans or applies — a cancelled CI job: the runner kills the process tree, the engine drops
// the session, OpenTofu gets no chance to unlock — leaves that object, and every later plan or apply
// of the stack waits -lock-timeout and fails with "Error acquiring the state lock".
//
// Which locks are whose is decided from the deploy lock (core/lock): while a run holds it no other
// deploy runs, so the OpenTofu locks of an environment taken since that run took the deploy lock are
// that run's. Locks taken before it belong to someone else (a person's apply, a pull request's plan)
// and are never touched here.
package tofulock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Suffix is what OpenTofu appends to a state key for its lock object.
const Suffix = ".tflock"

// Lock is one OpenTofu state lock object: OpenTofu's LockInfo (its JSON field names) and where it is.
type Lock struct {
	ID        string    `json:"ID"`
	Operation string    `json:"Operation"`
	Who       string    `json:"Who"`
	Version   string    `json:"Version"`
	Created   time.Time `json:"Created"`
	Path      string    `json:"Path"`

	// Bucket and Key locate the lock object; ETag is the version read (a delete is conditional on it).
	Bucket string `json:"-"`
	Key    string `json:"-"`
	ETag   string `json:"-"`
}

// State is the state object the lock guards (s3://bucket/key without the suffix).
func (l Lock) State() string { return strings.TrimSuffix(l.Key, Suffix) }

// Describe names the lock for a person: state, operation, who and when.
func (l Lock) Describe() string {
	op := strings.TrimPrefix(l.Operation, "OperationType")
	if op == "" {
		op = "unknown operation"
	}
	who := l.Who
	if who == "" {
		who = "unknown holder"
	}
	return fmt.Sprintf("s3://%s/%s (%s by %s, taken %s)", l.Bucket, l.State(), strings.ToLower(op), who, l.Created.UTC().Format(time.RFC3339))
}

// List reads every OpenTofu lock object of an environment's states (<env>/<stack>.tfstate.tflock),
// sorted by key.
func List(ctx context.Context, c *s3.Client, bucket, env string) ([]Lock, error) {
	if bucket == "" || env == "" {
		return nil, errors.New("tofu locks: no state bucket or environment given")
	}
	var locks []Lock
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(env + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("tofu locks: list s3://%s/%s/: %w", bucket, env, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !strings.HasSuffix(key, Suffix) {
				continue
			}
			l, found, err := read(ctx, c, bucket, key)
			if err != nil {
				return nil, err
			}
			if found {
				locks = append(locks, l)
			}
		}
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i].Key < locks[j].Key })
	return locks, nil
}

func read(ctx context.Context, c *s3.Client, bucket, key string) (Lock, bool, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			return Lock{}, false, nil // released between the list and the read
		}
		return Lock{}, false, fmt.Errorf("tofu locks: read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, 64<<10))
	if err != nil {
		return Lock{}, false, fmt.Errorf("tofu locks: read s3://%s/%s: %w", bucket, key, err)
	}
	var l Lock
	if err := json.Unmarshal(body, &l); err != nil {
		l = Lock{} // a lock we cannot read is still a lock; it has no time, so Between never picks it
	}
	l.Bucket, l.Key, l.ETag = bucket, key, aws.ToString(out.ETag)
	return l, true, nil
}

// Between picks the locks created from since to until (both included): a run's own, from when it
// took the deploy lock to when that lock lapses. A lock without a readable creation time is never
// picked.
func Between(locks []Lock, since, until time.Time) []Lock {
	var picked []Lock
	for _, l := range locks {
		if !l.Created.IsZero() && !l.Created.Before(since) && !l.Created.After(until) {
			picked = append(picked, l)
		}
	}
	return picked
}

// Remove deletes the lock object if it is still the version that was read: a lock taken again
// since (another ETag) is left in place. removed=false with no error means it was gone or replaced.
func Remove(ctx context.Context, c *s3.Client, l Lock) (removed bool, err error) {
	in := &s3.DeleteObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(l.Key)}
	if l.ETag != "" {
		in.IfMatch = aws.String(l.ETag)
	}
	_, err = c.DeleteObject(ctx, in)
	var ae smithy.APIError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "NoSuchKey"):
		return false, nil
	}
	return false, fmt.Errorf("tofu locks: delete s3://%s/%s: %w", l.Bucket, l.Key, err)
}
