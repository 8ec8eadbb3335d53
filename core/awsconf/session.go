package awsconf

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Session is how long a config's credentials can be relied on.
type Session struct {
	// Expires is when the current credentials expire (zero: not known to expire).
	Expires time.Time
	// Renews is true when they are renewed before they expire (web identity, token still valid).
	Renews bool
	// Until is the last moment the credentials, renewed or not, can be relied on (zero: no known end).
	Until time.Time
	// Why explains Until in one line (no secret).
	Why string
}

// SessionOf says how long p's credentials last: a web identity of this package knows when its
// token stops allowing renewals; any other provider's credentials last until their Expires (the
// SDK's), or have no known end.
func SessionOf(ctx context.Context, p aws.CredentialsProvider) (Session, error) {
	if r, ok := p.(*renewing); ok {
		return r.session(ctx)
	}
	if p == nil {
		return Session{}, nil
	}
	c, err := p.Retrieve(ctx)
	if err != nil {
		return Session{}, err
	}
	if !c.CanExpire || c.Expires.IsZero() {
		return Session{Why: "credentials without a known expiry"}, nil
	}
	return Session{Expires: c.Expires, Until: c.Expires,
		Why: "session credentials that expire at " + c.Expires.UTC().Format(time.RFC3339) + " and are not renewed"}, nil
}

// CheckLifetime refuses a run whose time budget (the sum of its waits' bounds) is longer than p's
// credentials last from now: it could be cut off half-way, with no credentials left to clean up.
// Credentials without a known end pass. It changes nothing.
func CheckLifetime(ctx context.Context, p aws.CredentialsProvider, budget time.Duration, now time.Time) error {
	s, err := SessionOf(ctx, p)
	if err != nil {
		return err
	}
	if s.Until.IsZero() {
		return nil
	}
	left := s.Until.Sub(now)
	if left >= budget {
		return nil
	}
	return fmt.Errorf("aws: the credentials last %s more (%s), less than this run's time budget of %s (the sum of its timeouts): "+
		"it could be cut off half-way with no credentials left to roll back and unlock; nothing was changed. "+
		"Use a longer session (the role's MaxSessionDuration and the duration requested), the web-identity form with a token that outlives the first session, or shorter timeouts",
		left.Round(time.Second), s.Why, budget)
}
