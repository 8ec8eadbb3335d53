//go:build integration

package cdn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
	"bookme-deploy/internal/testenv"
)

type env struct {
	proxy  *testenv.FaultProxy
	client *cloudfront.Client // through the proxy
	distID string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	m := testenv.StartMoto(t)
	p := testenv.StartFaultProxy(t, m.Endpoint, 3)
	cfg := testenv.ConfigFor(t, p.URL)
	e := &env{proxy: p, client: cloudfront.NewFromConfig(cfg)}
	e.distID = testenv.CreateDistribution(t, m.Config(t), "spa")
	p.ResetCounters()
	return e
}

func TestInvalidateAndWait(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	p, err := cdn.PlanInvalidation(context.Background(), cdn.Input{
		Client: e.client, DistributionID: e.distID, CallerReference: "release-1", Progress: &out,
		ChangedPaths: []string{"index.html", "favicon.ico", "static/js/main.8f3a2b1c.js"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Paths, " ") != "/ /favicon.ico /index.html" || p.DomainName == "" {
		t.Fatalf("plan: %+v", p)
	}
	if n := e.proxy.Count("POST", ""); n != 0 {
		t.Fatalf("PlanInvalidation wrote (%d POSTs)", n)
	}
	if !strings.Contains(p.Text(), "invalidate 3 path(s)") {
		t.Errorf("plan text: %s", p.Text())
	}
	r, err := cdn.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.InvalidationID == "" || r.Attempts != 1 {
		t.Fatalf("result: %+v", r)
	}
	// moto kept exactly these paths.
	inv, err := e.client.GetInvalidation(context.Background(), &cloudfront.GetInvalidationInput{DistributionId: aws.String(e.distID), Id: aws.String(r.InvalidationID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(inv.Invalidation.InvalidationBatch.Paths.Items, " "); got != "/ /favicon.ico /index.html" {
		t.Errorf("moto holds paths %q", got)
	}
	status, err := cdn.Wait(context.Background(), cdn.WaitInput{Client: e.client, DistributionID: e.distID, InvalidationID: r.InvalidationID, Interval: 10 * time.Millisecond, Progress: &out})
	if err != nil || !strings.EqualFold(status, "completed") {
		t.Fatalf("wait: %q %v", status, err)
	}
	if js, _ := json.Marshal(r); !strings.Contains(string(js), r.InvalidationID) {
		t.Errorf("result JSON: %s", js)
	}
}

func TestNothingChangedSendsNothing(t *testing.T) {
	e := newEnv(t)
	p, err := cdn.PlanInvalidation(context.Background(), cdn.Input{Client: e.client, DistributionID: e.distID,
		ChangedPaths: []string{"static/js/a.1a2b3c4d.js"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := cdn.Apply(context.Background(), p)
	if err != nil || r.InvalidationID != "" {
		t.Fatalf("apply: %+v %v", r, err)
	}
	if n := e.proxy.Count("POST", ""); n != 0 {
		t.Fatalf("%d CreateInvalidation calls for nothing", n)
	}
	if s, err := cdn.Wait(context.Background(), cdn.WaitInput{Client: e.client, DistributionID: e.distID}); s != "" || err != nil {
		t.Errorf("wait for no invalidation: %q %v", s, err)
	}
}

func TestUnknownDistributionIsAClearError(t *testing.T) {
	e := newEnv(t)
	_, err := cdn.PlanInvalidation(context.Background(), cdn.Input{Client: e.client, DistributionID: "E000NOSUCHDIST", ChangedPaths: []string{"index.html"}})
	if err == nil || !strings.Contains(err.Error(), `distribution "E000NOSUCHDIST" does not exist`) {
		t.Fatalf("error = %v", err)
	}
	if n := e.proxy.Count("POST", ""); n != 0 {
		t.Fatal("wrote despite the bad distribution")
	}
}

// moto never answers TooManyInvalidationsInProgress: the fault proxy scripts the real
// service's reply (status 400, CloudFront's REST-XML error) for the first two attempts.
func TestTooManyInvalidationsIsRetriedWithBackoff(t *testing.T) {
	e := newEnv(t)
	e.proxy.SetRules(testenv.Rule{Name: "too-many", Method: "POST", PathContains: "/invalidation", Times: 2,
		Fault: testenv.FaultRespond, Status: 400, Header: map[string][]string{"Content-Type": {"text/xml"}},
		Body: `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.</Message></Error><RequestId>r1</RequestId></ErrorResponse>`})
	var out bytes.Buffer
	p, err := cdn.PlanInvalidation(context.Background(), cdn.Input{Client: e.client, DistributionID: e.distID,
		ChangedPaths: []string{"index.html"}, RetryDelay: 20 * time.Millisecond, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	r, err := cdn.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if r.Attempts != 3 || r.InvalidationID == "" || e.proxy.Injected()["too-many"] != 2 {
		t.Fatalf("attempts %d, id %q, injected %v", r.Attempts, r.InvalidationID, e.proxy.Injected())
	}
	if strings.Count(out.String(), "too many invalidations in progress") != 2 {
		t.Errorf("progress:\n%s", out.String())
	}
	// Always busy: a clear error once RetryFor is spent.
	e.proxy.SetRules(testenv.Rule{Method: "POST", PathContains: "/invalidation", Fault: testenv.FaultRespond, Status: 400,
		Header: map[string][]string{"Content-Type": {"text/xml"}},
		Body:   `<ErrorResponse><Error><Type>Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>busy</Message></Error></ErrorResponse>`})
	p, _ = cdn.PlanInvalidation(context.Background(), cdn.Input{Client: e.client, DistributionID: e.distID,
		ChangedPaths: []string{"index.html"}, RetryDelay: 10 * time.Millisecond, RetryFor: 100 * time.Millisecond})
	if _, err := cdn.Apply(context.Background(), p); err == nil || !strings.Contains(err.Error(), "too many invalidations in progress") {
		t.Fatalf("error = %v", err)
	}
}

// Real CloudFront reports InProgress before Completed; moto says COMPLETED at once. The fault
// proxy scripts two InProgress answers (the real GetInvalidation XML), then moto answers.
func TestWaitReportsEachStatusChangeOnce(t *testing.T) {
	e := newEnv(t)
	p, err := cdn.PlanInvalidation(context.Background(), cdn.Input{Client: e.client, DistributionID: e.distID, ChangedPaths: []string{"index.html"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := cdn.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	inProgress := testenv.Rule{Name: "in-progress", Method: "GET", PathContains: "/invalidation/", Times: 3,
		Fault: testenv.FaultRespond, Status: 200, Header: map[string][]string{"Content-Type": {"text/xml"}},
		Body: `<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>` + r.InvalidationID +
			`</Id><Status>InProgress</Status><CreateTime>2026-11-26T10:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/index.html</Path></Items></Paths><CallerReference>x</CallerReference></InvalidationBatch></Invalidation>`}
	e.proxy.SetRules(inProgress)
	var out bytes.Buffer
	status, err := cdn.Wait(context.Background(), cdn.WaitInput{Client: e.client, DistributionID: e.distID, InvalidationID: r.InvalidationID, Interval: 10 * time.Millisecond, Progress: &out})
	if err != nil || !strings.EqualFold(status, "completed") {
		t.Fatalf("wait: %q %v", status, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "InProgress") || !strings.Contains(strings.ToLower(lines[1]), "completed") {
		t.Fatalf("want one line per status change (InProgress, Completed), got:\n%s", out.String())
	}
	if n := e.proxy.Count("GET", "/invalidation/"); n != 4 {
		t.Errorf("polled %d times, want 4 (3 InProgress + 1 Completed)", n)
	}

	// Never completes: timeout with a clear error.
	inProgress.Times = 0
	e.proxy.SetRules(inProgress)
	_, err = cdn.Wait(context.Background(), cdn.WaitInput{Client: e.client, DistributionID: e.distID, InvalidationID: r.InvalidationID, Interval: 20 * time.Millisecond, Timeout: 150 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "is still InProgress after 150ms") {
		t.Fatalf("timeout error = %v", err)
	}
}
