package awsconf

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRenewBefore is how long before a web-identity session ends it is renewed.
const DefaultRenewBefore = 5 * time.Minute

// webIdentity exchanges one OIDC token for the role's temporary credentials (STS
// AssumeRoleWithWebIdentity), again each time the session nears its end, as long as the token is
// valid: a 60-minute session thus carries a 90-minute deploy when the token outlives the first
// session. A token already expired is refused before STS is asked, with a message that says so.
type webIdentity struct {
	sts      *sts.Client
	role     string
	session  string
	token    string
	duration time.Duration // requested session length (0: the role's default, one hour)
	now      func() time.Time

	mu             sync.Mutex
	issued, expiry time.Time // of the last session
	exchanges      int
}

func (w *webIdentity) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if exp, ok := tokenExpiry(w.token); ok && !w.now().Before(exp) {
		return aws.Credentials{}, fmt.Errorf("aws: the web identity token expired at %s, so the role session of %s cannot be renewed: %s",
			exp.UTC().Format(time.RFC3339), w.role, "give a fresh token (a CI job's OIDC token is short-lived: fetch it right before the run), or a longer role session")
	}
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(w.role), RoleSessionName: aws.String(w.session),
		WebIdentityToken: aws.String(w.token)}
	if w.duration > 0 {
		in.DurationSeconds = aws.Int32(int32(w.duration / time.Second))
	}
	issued := w.now()
	out, err := w.sts.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		if _, ok := Expired(err); ok {
			return aws.Credentials{}, fmt.Errorf("aws: STS refused the web identity token as expired, so the role session of %s cannot be renewed: give a fresh token: %w", w.role, err)
		}
		return aws.Credentials{}, fmt.Errorf("aws: assume %s with the web identity token: %w", w.role, err)
	}
	c := out.Credentials
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Source: "WebIdentityRenewed", CanExpire: c.Expiration != nil}
	if c.Expiration != nil {
		creds.Expires = *c.Expiration
	}
	if u := out.AssumedRoleUser; u != nil {
		if a, err := arn.Parse(aws.ToString(u.Arn)); err == nil {
			creds.AccountID = a.AccountID
		}
	}
	w.mu.Lock()
	w.issued, w.expiry = issued, creds.Expires
	w.exchanges++
	w.mu.Unlock()
	return creds, nil
}

// renewing is the web identity's credentials cache: it renews the session DefaultRenewBefore (or
// Credentials.RenewBefore) before it ends, and knows how long it can go on doing so (Session).
type renewing struct {
	*aws.CredentialsCache
	src         *webIdentity
	renewBefore time.Duration
}

func newRenewing(src *webIdentity, renewBefore time.Duration) *renewing {
	if renewBefore <= 0 {
		renewBefore = DefaultRenewBefore
	}
	return &renewing{src: src, renewBefore: renewBefore,
		CredentialsCache: aws.NewCredentialsCache(src, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = renewBefore })}
}

// Exchanges is how many times the token was exchanged (for tests and logs).
func (r *renewing) Exchanges() int {
	r.src.mu.Lock()
	defer r.src.mu.Unlock()
	return r.src.exchanges
}

// sessionEnd is when the current session really ends (the cache's credentials say it earlier).
func (r *renewing) sessionEnd() time.Time {
	r.src.mu.Lock()
	defer r.src.mu.Unlock()
	return r.src.expiry
}

func (r *renewing) session(ctx context.Context) (Session, error) {
	if _, err := r.Retrieve(ctx); err != nil {
		return Session{}, err
	}
	r.src.mu.Lock()
	issued, expiry := r.src.issued, r.src.expiry
	r.src.mu.Unlock()
	s := Session{Expires: expiry, Renews: true}
	if expiry.IsZero() {
		s.Why = "web identity session without an expiry"
		return s, nil
	}
	renewAt := expiry.Add(-r.renewBefore)
	tokenExp, known := tokenExpiry(r.src.token)
	switch {
	case !known:
		s.Why = fmt.Sprintf("web identity session until %s, renewed with the same token (its expiry is not readable)", expiry.UTC().Format(time.RFC3339))
	case !tokenExp.After(renewAt):
		s.Until, s.Renews = expiry, false
		s.Why = fmt.Sprintf("web identity session until %s; it cannot be renewed: the token expires at %s, before the renewal at %s",
			expiry.UTC().Format(time.RFC3339), tokenExp.UTC().Format(time.RFC3339), renewAt.UTC().Format(time.RFC3339))
	default:
		s.Until = tokenExp.Add(expiry.Sub(issued))
		s.Why = fmt.Sprintf("web identity session renewed until the token expires at %s, then one more session (%s)",
			tokenExp.UTC().Format(time.RFC3339), expiry.Sub(issued).Round(time.Minute))
	}
	return s, nil
}

// tokenExpiry reads a JWT's exp claim (unverified: only to know when STS will refuse it).
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(body, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0), true
}
