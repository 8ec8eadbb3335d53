//go:build integration

package emulator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/emulator"
	"bookme-deploy/internal/testenv"
)

// slowStore makes moto's S3 store take 100 ms for each object it writes: moto has checked the
// request's If-Match by then, so the test can reliably send another request into that gap (on a busy
// machine the scheduler opens it now and then).
const slowStore = `
import time as _t
from moto.s3.models import S3Backend as _B
_orig_put = _B.put_object
def _slow_put(self, *a, **k):
    _t.sleep(0.1)
    return _orig_put(self, *a, **k)
_B.put_object = _slow_put
`

// A lock's renewal (PutObject If-Match its ETag) and `unlock --force` (DeleteObject If-Match the same
// ETag) at the same time: on AWS exactly one succeeds, since a condition and its write are one step.
// moto 5.2.1 checks, then writes: the delete can slip in between, both succeed, and the renewal brings
// the lock back after the unlock (what failed TestForceUnlockOfARenewingLock under CI's load). The
// control (no patch) shows the gap; with patch 8 one of the two is refused in every round.
func TestMotoPatchMakesConditionalWritesAtomic(t *testing.T) {
	const bucket, rounds = "atomic-writes", 5
	for _, patched := range []bool{false, true} {
		code := slowStore
		if patched {
			code += "\n" + emulator.MotoPatch
		}
		m := testenv.StartMoto(t, testenv.WithSiteCustomize(code))
		cfg := m.Config(t)
		testenv.CreateBucket(t, cfg, bucket)
		c := testenv.S3(cfg)
		ctx := context.Background()
		both, lockBack := 0, 0
		for r := 0; r < rounds; r++ {
			key := fmt.Sprintf("deploy/lock-%d.json", r)
			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("held")})
			if err != nil {
				t.Fatal(err)
			}
			renewed := make(chan error, 1)
			go func() {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: put.ETag, Body: strings.NewReader("renewed")})
				renewed <- err
			}()
			time.Sleep(30 * time.Millisecond) // the renewal is past its check, storing
			_, delErr := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: put.ETag})
			putErr := <-renewed
			if putErr == nil && delErr == nil {
				both++
				if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
					lockBack++
				}
			}
			if putErr != nil && delErr != nil {
				t.Fatalf("patched=%v round %d: both refused (renewal %v; unlock %v)", patched, r, putErr, delErr)
			}
		}
		t.Logf("patched=%v: renewal and unlock both succeeded in %d of %d rounds (the lock back after the unlock in %d)", patched, both, rounds, lockBack)
		switch {
		case !patched && both == 0:
			t.Fatalf("control: moto without the patch refused one of the two in every round; is the patch still needed?")
		case patched && both != 0:
			t.Fatalf("with the patch, a conditional put and a conditional delete of the same version both succeeded in %d of %d rounds", both, rounds)
		}
	}
}
