//go:build integration

package testenv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
