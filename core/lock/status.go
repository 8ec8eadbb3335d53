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
	}
	return st, nil
}

// Text is one line: free, or held by whom since when.
func (s *Status) Text() string {
	if !s.Held {
		return fmt.Sprintf("deploy lock %s: free\n", s.URL)
	}
	return fmt.Sprintf("deploy lock %s: held by %s\n", s.URL, s.Holder.Describe(time.Now()))
}
