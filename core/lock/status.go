package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Status is a read-only look at the lock, for `plan` and `unlock` without --force.
type Status struct {
	URL    string `json:"url"`
	Held   bool   `json:"held"`
	Holder *Info  `json:"holder,omitempty"`
	// Stale is set when the lock's expiry has passed: its deploy stopped renewing it, and the next
	// deploy takes it over.
	Stale bool `json:"stale,omitempty"`
}

// Inspect reads the lock without changing it.
func Inspect(ctx context.Context, s3c *s3.Client, opts Options) (*Status, error) {
	if opts.Bucket == "" {
		return nil, errors.New("deploy lock: no bucket given (the OpenTofu state bucket)")
	}
	info, _, found, err := readLock(ctx, s3c, opts.Bucket, opts.key())
	if err != nil {
		return nil, err
	}
	st := &Status{URL: opts.url(), Held: found}
	if found {
		st.Holder = &info
		st.Stale = info.Expired(time.Now())
	}
	return st, nil
}

// Text is one line: free, or held by whom since when.
func (s *Status) Text() string {
	if !s.Held {
		return fmt.Sprintf("deploy lock %s: free\n", s.URL)
	}
	now := time.Now()
	line := fmt.Sprintf("deploy lock %s: held by %s, %s", s.URL, s.Holder.Describe(now), s.Holder.describeExpiry(now))
	if s.Stale {
		line += "; stale: the next deploy takes it over"
	}
	return line + "\n"
}
