//go:build integration

package awsconf_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/testenv"
)

const role = "arn:aws:iam::123456789012:role/book-me-deploy"

// jwt is an unsigned token with an exp claim (moto does not check the signature; we read exp).
func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"repo:o/r:environment:production","exp":%d}`, exp.Unix()))) + ".c2ln"
}

// stsCalls counts the STS requests the proxy saw (every STS call is a POST of the query protocol).
func stsCalls(p *testenv.FaultProxy) int { return p.Count("POST", "/") }

// The web-identity form is renewed: moto's STS issues a 15-minute session, the renewal window is
// set so that the session is due for renewal one second after it was issued (standing in for the
// 55th minute of an hour), and the next call exchanges the same token again — new keys, which sign
// as the assumed role — without the caller doing anything. A token that has expired by the time a
// renewal is due is refused with a message that says so, and STS is not asked.
func TestWebIdentityIsRenewedWithTheSameToken(t *testing.T) {
	m := testenv.StartMoto(t)
	p := testenv.StartFaultProxy(t, m.Endpoint, 1)
	ctx := context.Background()
	o := awsconf.Options{Region: testenv.Region, Endpoint: p.URL, MaxAttempts: 1}
	c := awsconf.Credentials{WebIdentityToken: jwt(time.Now().Add(3 * time.Hour)), RoleARN: role,
		SessionDuration: 15 * time.Minute, RenewBefore: 15*time.Minute - time.Second}
	first, cfg, err := awsconf.Resolve(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	if !first.CanExpire || first.SessionToken == "" {
		t.Fatalf("first session: expires %v, token set %v", first.CanExpire, first.SessionToken != "")
	}
	if d := time.Until(first.Expires); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("moto's session lasts %s, want the 15 min asked for", d)
	}
	n := stsCalls(p)
	again, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || again.AccessKeyID != first.AccessKeyID || stsCalls(p) != n {
		t.Fatalf("a retrieve before the renewal is due exchanged the token again (%d → %d calls, %v)", n, stsCalls(p), err)
	}
	time.Sleep(1500 * time.Millisecond)
	renewed, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	s, err := awsconf.SessionOf(ctx, cfg.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.AccessKeyID == first.AccessKeyID || !s.Expires.After(first.Expires) || stsCalls(p) != n+1 {
		t.Errorf("not renewed: key changed %v, session ends %s → %s, STS calls %d → %d", renewed.AccessKeyID != first.AccessKeyID,
			first.Expires, s.Expires, n, stsCalls(p))
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.Contains(aws.ToString(id.Arn), "assumed-role/book-me-deploy/bookme-deploy") {
		t.Errorf("the renewed session signs as %v (%v)", aws.ToString(id.Arn), err)
	}
	// Lifetime: renewable until the token expires (3 h), then one more session.
	if !s.Renews || time.Until(s.Until) < 3*time.Hour {
		t.Errorf("session %+v, %v", s, err)
	}
	if err := awsconf.CheckLifetime(ctx, cfg.Credentials, 2*time.Hour, time.Now()); err != nil {
		t.Errorf("a 2-h budget within a 3-h token: %v", err)
	}

	// A token that expires 2 s from now: renewable once due (1 s), refused after.
	short := c
	short.WebIdentityToken = jwt(time.Now().Add(2 * time.Second))
	_, scfg, err := awsconf.Resolve(ctx, short, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := awsconf.CheckLifetime(ctx, scfg.Credentials, 90*time.Minute, time.Now()); err == nil || !strings.Contains(err.Error(), "less than this run's time budget of 1h30m0s") {
		t.Errorf("a 90-min budget on a token about to expire: %v", err)
	}
	time.Sleep(3 * time.Second)
	n = stsCalls(p)
	if _, err := scfg.Credentials.Retrieve(ctx); err == nil || !strings.Contains(err.Error(), "the web identity token expired at") {
		t.Errorf("renewal with an expired token: %v", err)
	}
	if stsCalls(p) != n {
		t.Errorf("STS was asked to exchange an expired token")
	}
}

// AWS answers ExpiredToken (S3, REST-XML) and ExpiredTokenException (ECS JSON, STS query XML) when a
// session ends mid-run; moto never does (it ignores expiry), so the fault proxy answers as AWS does.
// Every client of an awsconf config names it plainly, and the SDK's error stays reachable.
func TestExpiredTokenIsNamedPlainly(t *testing.T) {
	m := testenv.StartMoto(t)
	isECS := func(r *http.Request) bool {
		return strings.Contains(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerService")
	}
	p := testenv.StartFaultProxy(t, m.Endpoint, 1,
		testenv.Rule{Name: "s3", Method: "GET", QueryContains: "list-type=2", Fault: testenv.FaultRespond, Status: 400,
			Header: http.Header{"Content-Type": {"application/xml"}},
			Body:   testenv.S3ErrorBody("ExpiredToken", "The provided token has expired.")},
		testenv.Rule{Name: "ecs", Match: isECS, Fault: testenv.FaultRespond, Status: 400,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {"ExpiredTokenException"}},
			Body:   `{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}`},
		testenv.Rule{Name: "sts", Method: "POST", Match: func(r *http.Request) bool { return !isECS(r) }, Fault: testenv.FaultRespond, Status: 400,
			Header: http.Header{"Content-Type": {"text/xml"}},
			Body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredTokenException</Code>` +
				`<Message>Token expired: current date/time must be before the expiration date/time</Message></Error><RequestId>f</RequestId></ErrorResponse>`},
	)
	ctx := context.Background()
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: testenv.Region, Endpoint: p.URL, MaxAttempts: 1,
		AccessKeyID: "ASIAEXPIRED", SecretAccessKey: "s", SessionToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error, code string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if !strings.Contains(err.Error(), "AWS credentials expired ("+code) || !strings.Contains(err.Error(), awsconf.ExpiredAdvice) {
			t.Errorf("%s: %v", what, err)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Errorf("%s: the SDK's error is not reachable: %v", what, err)
		}
		if _, ok := awsconf.Expired(err); !ok {
			t.Errorf("%s: awsconf.Expired does not see it", what)
		}
	}
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	check("S3", err, "ExpiredToken")
	_, err = ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"api"}})
	check("ECS", err, "ExpiredTokenException")
	// Through the rollout engine, whose own wording of AWS errors keeps the message.
	_, err = rollout.New(cfg, io.Discard).PlanRollback(ctx, rollout.RollbackInput{Cluster: "c", Services: []string{"api"}})
	if err == nil || !strings.HasPrefix(err.Error(), "rollout: describe services in cluster c: AWS credentials expired (ExpiredTokenException") {
		t.Errorf("rollout: %v", err)
	}
	// STS refusing the web identity token itself.
	_, _, err = awsconf.Resolve(ctx, awsconf.Credentials{WebIdentityToken: jwt(time.Now().Add(time.Hour)), RoleARN: role},
		awsconf.Options{Region: testenv.Region, Endpoint: p.URL, MaxAttempts: 1})
	if err == nil || !strings.Contains(err.Error(), "STS refused the web identity token as expired") {
		t.Errorf("web identity: %v", err)
	}
	if got := p.Injected(); got["s3"] != 1 || got["ecs"] != 2 || got["sts"] != 1 {
		t.Errorf("faults injected %v", got)
	}
}
