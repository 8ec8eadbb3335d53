package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ErrNotHeld is returned by Release when the lock object is gone (someone forced it open).
var ErrNotHeld = errors.New("deploy lock: the lock is no longer there (forced open?); nothing released")

// Release deletes the lock if it is still ours: it reads the object, compares its ID with ours,
// and deletes with If-Match on the ETag read, so a lock taken over in between is never removed.
// Call it with a context that is not cancelled by the deploy's failure (context.WithoutCancel).
func (l *Lock) Release(ctx context.Context) error {
	current, etag, found, err := readLock(ctx, l.s3c, l.bucket, l.key)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotHeld
	}
	if current.ID != l.Info.ID {
		return fmt.Errorf("deploy lock %s is now held by %s, not by us; left in place", l.URL, current.Describe(l.Info.Started))
	}
	_, err = l.s3c.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(l.bucket), Key: aws.String(l.key), IfMatch: aws.String(etag),
	})
	if err != nil {
		if errorCode(err) == "PreconditionFailed" {
			return fmt.Errorf("deploy lock %s changed while releasing; left in place, check it with the lock status", l.URL)
		}
		return fmt.Errorf("deploy lock: delete %s: %s", l.URL, errorLine(err))
	}
	return nil
}
