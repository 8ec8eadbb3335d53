//go:build integration

package testenv

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The fault proxy in front of a trivial in-process backend: every fault kind, Skip/Times/Rate, records.
func TestFaultProxyRulesAndCounters(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte("ok:" + string(b)))
	}))
	defer backend.Close()
	p := StartFaultProxy(t, backend.URL, 1,
		Rule{Name: "reset", PathContains: "/reset", Fault: FaultReset},
		Rule{Name: "twice", PathContains: "/flaky", Skip: 1, Times: 2, Fault: Fault503},
		Rule{Name: "throttle", Method: "POST", QueryContains: "Action=X", Fault: FaultThrottling},
		Rule{Name: "half", PathContains: "/half", Rate: 0.5, Fault: FaultSlowDown},
	)
	get := func(path string) (int, string, error) {
		resp, err := http.Post(p.URL+path, "text/plain", strings.NewReader("body"))
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	if code, body, err := get("/plain"); err != nil || code != 200 || body != "ok:body" {
		t.Fatalf("forwarded request: %d %q %v", code, body, err)
	}
	if _, _, err := get("/reset"); err == nil {
		t.Fatal("reset rule: request succeeded")
	}
	var codes []int
	for i := 0; i < 4; i++ {
		code, _, _ := get("/flaky")
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 503 || codes[2] != 503 || codes[3] != 200 {
		t.Errorf("Skip 1, Times 2: codes %v, want [200 503 503 200]", codes)
	}
	if code, body, _ := get("/x?Action=X"); code != 400 || !strings.Contains(body, "ThrottlingException") {
		t.Errorf("throttling: %d %s", code, body)
	}
	slow := 0
	for i := 0; i < 200; i++ {
		if code, body, _ := get("/half"); code == 503 && strings.Contains(body, "<Code>SlowDown</Code>") {
			slow++
		}
	}
	if slow < 70 || slow > 130 {
		t.Errorf("Rate 0.5 injected %d of 200", slow)
	}
	inj := p.Injected()
	if inj["reset"] != 1 || inj["twice"] != 2 || inj["throttle"] != 1 || inj["half"] != slow || p.TotalInjected() != 4+slow {
		t.Errorf("Injected = %v", inj)
	}
	recs := p.Records()
	if len(recs) != 207 || recs[0].Path != "/plain" || recs[0].BodyBytes != 4 || recs[0].Status != 200 || recs[1].Fault != "reset" {
		t.Errorf("records: %d, first %+v, second %+v", len(recs), recs[0], recs[1])
	}
	if p.BytesIn() != 4*207 || p.Count("POST", "/flaky") != 4 {
		t.Errorf("BytesIn %d, Count %d", p.BytesIn(), p.Count("POST", "/flaky"))
	}
	p.ResetCounters()
	if len(p.Records()) != 0 || p.BytesIn() != 0 || p.TotalInjected() != 0 {
		t.Error("ResetCounters kept something")
	}
}

// The after-forward faults: the target receives and answers the request (it took effect), the
// client never gets the answer — a reset, or silence until it gives up.
func TestFaultProxyAfterForward(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.URL.Path+":"+string(b)]++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer backend.Close()
	p := StartFaultProxy(t, backend.URL, 1,
		Rule{Name: "lost", PathContains: "/lost", Fault: FaultResetAfterForward},
		Rule{Name: "silent", PathContains: "/silent", Fault: FaultTimeoutAfterForward},
		Rule{Name: "held", PathContains: "/held", Fault: FaultTimeoutAfterForward, Hold: 300 * time.Millisecond},
	)
	targetSaw := func(key string) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[key]
	}
	post := func(c *http.Client, path string) (time.Duration, error) {
		begin := time.Now()
		resp, err := c.Post(p.URL+path, "text/plain", strings.NewReader("put-1"))
		if err == nil {
			resp.Body.Close()
		}
		return time.Since(begin), err
	}

	// Reset after forward: the client's error is a reset, the target has the request.
	if _, err := post(http.DefaultClient, "/lost"); err == nil || !isReset(err) {
		t.Fatalf("reset-after-forward: client got %v, want a connection reset", err)
	}
	if n := targetSaw("/lost:put-1"); n != 1 {
		t.Fatalf("reset-after-forward: target saw the request %d times, want 1", n)
	}

	// Timeout after forward, no Hold: silent until the client's own timeout.
	short := &http.Client{Timeout: 200 * time.Millisecond}
	took, err := post(short, "/silent")
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("timeout-after-forward: client got %v, want its own timeout", err)
	}
	if took < 200*time.Millisecond || took > 2*time.Second {
		t.Errorf("timeout-after-forward: client gave up after %s, want its 200ms timeout", took)
	}
	if n := targetSaw("/silent:put-1"); n != 1 {
		t.Fatalf("timeout-after-forward: target saw the request %d times, want 1", n)
	}

	// Timeout after forward with Hold: silent for Hold, then reset (a client without a timeout).
	took, err = post(http.DefaultClient, "/held")
	if err == nil {
		t.Fatal("timeout-after-forward with Hold: request succeeded")
	}
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("held for %s, want about 300ms", took)
	}
	if n := targetSaw("/held:put-1"); n != 1 {
		t.Fatalf("held: target saw the request %d times, want 1", n)
	}

	recs := p.Records()
	if len(recs) != 3 {
		t.Fatalf("records: %d, want 3", len(recs))
	}
	for i, want := range []string{"reset-after-forward", "timeout-after-forward", "timeout-after-forward"} {
		r := recs[i]
		if r.Fault != want || !r.Forwarded || r.TargetStatus != http.StatusCreated || r.Status != 0 {
			t.Errorf("record %d: fault %s forwarded %v target %d client %d; want %s, forwarded, 201, 0", i, r.Fault, r.Forwarded, r.TargetStatus, r.Status, want)
		}
	}
	if inj := p.Injected(); inj["lost"] != 1 || inj["silent"] != 1 || inj["held"] != 1 {
		t.Errorf("Injected = %v", inj)
	}
	// Close does not wait for a minute-long hold of a client that never gives up.
	go func() { _, _ = post(http.DefaultClient, "/silent") }()
	time.Sleep(200 * time.Millisecond)
	begin := time.Now()
	p.Close()
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Close took %s with a held connection", d)
	}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "connection reset")
}
