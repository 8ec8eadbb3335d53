package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ForceUnlock deletes the lock whoever holds it (`unlock --force`, for a dead deploy) and returns
// what it held; found=false when there was no lock. Say who forced it in the deploy record.
func ForceUnlock(ctx context.Context, s3c *s3.Client, opts Options) (held Info, found bool, err error) {
	if opts.Bucket == "" {
		return Info{}, false, errors.New("deploy lock: no bucket given (the config bucket)")
	}
	held, _, found, err = readLock(ctx, s3c, opts.Bucket, opts.key())
	if err != nil || !found {
		return held, found, err
	}
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(opts.Bucket), Key: aws.String(opts.key())}); err != nil {
		return held, true, fmt.Errorf("deploy lock: delete %s: %s", opts.url(), errorLine(err))
	}
	return held, true, nil
}
