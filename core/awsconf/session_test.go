package awsconf

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// jwt is an unsigned token with the exp claim (STS would check the signature; we only read exp).
func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"repo:o/r:environment:production","exp":%d}`, exp.Unix()))) + ".c2ln"
}

func TestTokenExpiry(t *testing.T) {
	at := time.Unix(1_900_000_000, 0)
	if got, ok := tokenExpiry(jwt(at)); !ok || !got.Equal(at) {
		t.Errorf("tokenExpiry = %v, %v; want %v", got, ok, at)
	}
	for _, tok := range []string{"", "opaque", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"} {
		if _, ok := tokenExpiry(tok); ok {
			t.Errorf("tokenExpiry(%q) claims an expiry", tok)
		}
	}
}

// An expired token is refused with a message that says so, before STS is asked (the STS client
// here has no endpoint that could answer).
func TestExpiredWebIdentityTokenIsNotExchanged(t *testing.T) {
	w := &webIdentity{role: "arn:aws:iam::123456789012:role/deploy", session: "s", token: jwt(time.Now().Add(-time.Minute)), now: time.Now}
	_, err := w.Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the web identity token expired at") || !strings.Contains(err.Error(), "cannot be renewed") {
		t.Fatalf("err %v", err)
	}
}

func TestCheckLifetime(t *testing.T) {
	now := time.Now()
	ctx := context.Background()
	static := func(expires time.Time) aws.CredentialsProvider {
		return credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SessionToken: "t",
			CanExpire: !expires.IsZero(), Expires: expires}}
	}
	if err := CheckLifetime(ctx, static(now.Add(50*time.Minute)), 90*time.Minute, now); err == nil ||
		!strings.Contains(err.Error(), "last 50m0s more") || !strings.Contains(err.Error(), "budget of 1h30m0s") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("a 50-min session for a 90-min budget: %v", err)
	}
	if err := CheckLifetime(ctx, static(now.Add(2*time.Hour)), 90*time.Minute, now); err != nil {
		t.Errorf("a 2-h session for a 90-min budget: %v", err)
	}
	if err := CheckLifetime(ctx, static(time.Time{}), 90*time.Minute, now); err != nil {
		t.Errorf("keys without a known expiry: %v", err)
	}
}

func TestExpired(t *testing.T) {
	for code, want := range map[string]bool{"ExpiredToken": true, "ExpiredTokenException": true, "InvalidClientTokenId": false, "AccessDenied": false} {
		ee, ok := Expired(fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: code, Message: "The security token included in the request is expired"}))
		if ok != want {
			t.Errorf("Expired(%s) = %v", code, ok)
			continue
		}
		if ok && (!strings.HasPrefix(ee.Error(), "AWS credentials expired ("+code+": The security token") || !strings.Contains(ee.Error(), ExpiredAdvice)) {
			t.Errorf("message %q", ee.Error())
		}
	}
}
