package testenv

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultKind says what a FaultProxy does to a request a Rule picked.
type FaultKind int

const (
	// FaultNone forwards the request unchanged (use it with Latency for a slow endpoint).
	FaultNone FaultKind = iota
	// Fault500 answers HTTP 500 with an S3-style InternalError XML body, without forwarding.
	Fault500
	// Fault503 answers HTTP 503 with an S3-style ServiceUnavailable XML body, without forwarding.
	Fault503
	// FaultSlowDown answers HTTP 503 with the S3 <Code>SlowDown</Code> XML error (S3 throttling).
	FaultSlowDown
	// FaultThrottling answers HTTP 400 with the AWS JSON-protocol ThrottlingException
	// (ECS, ECR, CloudWatch Logs … speak JSON).
	FaultThrottling
	// FaultReset reads the request, then closes the TCP connection with SO_LINGER 0 so the
	// client sees "connection reset by peer" and no response at all.
	FaultReset
	// FaultRespond answers with the Rule's Status, Header and Body without forwarding: a scripted
	// reply (an AccessDenied XML, a TooManyInvalidationsInProgress, an "InProgress" status …).
	FaultRespond
	// FaultResetAfterForward forwards the request to the target — the server acts on it — reads
	// the target's whole answer, throws it away and resets the client's connection (SO_LINGER 0):
	// the client sees "connection reset by peer" for a request that took effect. Record.TargetStatus
	// says what the target answered.
	FaultResetAfterForward
	// FaultTimeoutAfterForward forwards the request (the server acts), throws the answer away and
	// keeps the client's connection open and silent until the client gives up and closes it, or
	// Rule.Hold has passed (0: at most a minute), then resets it: the client sees a timeout (or a
	// reset after Hold) for a request that took effect.
	FaultTimeoutAfterForward
)

// AfterForward tells whether the fault lets the target act on the request before the client
// loses the answer.
func (k FaultKind) AfterForward() bool {
	return k == FaultResetAfterForward || k == FaultTimeoutAfterForward
}

// String names the fault as it appears in records and counters.
func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return "none"
	case Fault500:
		return "500"
	case Fault503:
		return "503"
	case FaultSlowDown:
		return "slowdown"
	case FaultThrottling:
		return "throttling"
	case FaultReset:
		return "reset"
	case FaultRespond:
		return "respond"
	case FaultResetAfterForward:
		return "reset-after-forward"
	case FaultTimeoutAfterForward:
		return "timeout-after-forward"
	}
	return fmt.Sprintf("fault(%d)", int(k))
}

// Rule picks a class of requests and says what to inject into them. Every non-empty matcher
// must match (Method, PathContains, QueryContains, Match); a Rule with no matcher matches all.
// The first rule (in order) that matches a request and decides to fire handles it.
type Rule struct {
	// Name identifies the rule in Injected(); defaults to "rule<index>".
	Name string
	// Method matches the HTTP method exactly (e.g. "PUT"); empty matches any.
	Method string
	// PathContains matches a substring of the URL path (e.g. "/index.html").
	PathContains string
	// QueryContains matches a substring of the raw query (e.g. "list-type=2", "uploadId").
	QueryContains string
	// Match is an extra predicate; it must not read the body.
	Match func(*http.Request) bool
	// Fault is what happens to a picked request.
	Fault FaultKind
	// Rate is the probability in (0,1] that a matching request is picked, drawn from the
	// proxy's seeded RNG (reproducible for a given request order). 0 means 1 (always).
	Rate float64
	// Skip lets the first Skip matching requests through untouched.
	Skip int
	// Times caps how many faults the rule injects; 0 means no cap.
	Times int
	// Latency delays picked requests before the fault (or before forwarding for FaultNone).
	Latency time.Duration
	// Hold is how long FaultTimeoutAfterForward keeps the client's connection silent before
	// resetting it; 0 waits for the client to give up (at most a minute).
	Hold time.Duration
	// Status, Header and Body form the reply of FaultRespond (Status defaults to 200).
	Status int
	Header http.Header
	Body   string
}

// Record is one request as the proxy saw it, in arrival order.
type Record struct {
	// Seq is the arrival order, from 1.
	Seq int64
	// Method, Path and Query are the request line's parts.
	Method, Path, Query string
	// Header is a copy of the request headers (e.g. X-Amz-Copy-Source tells a CopyObject from a PutObject).
	Header http.Header
	// BodyBytes is how many request-body bytes the client sent to the proxy.
	BodyBytes int64
	// Fault is the injected fault ("none" when the request was forwarded unchanged).
	Fault string
	// Rule names the rule that fired, if any.
	Rule string
	// Status is the HTTP status returned to the client (0 for a reset or a timeout).
	Status int
	// Forwarded says the target received the request (always for unfaulted requests and the
	// after-forward faults); TargetStatus is the status the target answered (0 if not forwarded).
	Forwarded    bool
	TargetStatus int
	// Start and End bracket the request's handling by the proxy.
	Start, End time.Time
}

// FaultProxy is a reverse proxy (an httptest server on loopback) in front of any HTTP endpoint
// that injects faults by rule and records every request. With no rules it is a counting proxy:
// point a client at URL instead of the real endpoint and read Records/BytesIn afterwards.
//
//	p := testenv.StartFaultProxy(t, moto.Endpoint, 42,
//		testenv.Rule{Method: "PUT", Fault: testenv.Fault503, Rate: 0.2},
//		testenv.Rule{PathContains: "/index.html", Fault: testenv.FaultReset, Times: 1})
//	cfg := testenv.ConfigFor(t, p.URL)
//
// It is safe for concurrent use; rules can be replaced while it runs (SetRules).
type FaultProxy struct {
	// URL is the proxy's base URL (http://127.0.0.1:PORT); use it as the client's endpoint.
	URL string

	srv     *httptest.Server
	proxy   *httputil.ReverseProxy
	seq     atomic.Int64
	bytesIn atomic.Int64
	// inflight counts requests whose record is not written yet: a client can see its response (or the
	// reset) before the handler appends the record, so Records waits for them.
	inflight atomic.Int64

	// closing ends the holds of FaultTimeoutAfterForward when the proxy closes.
	closing   chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	rng      *rand.Rand
	rules    []Rule
	matched  []int // matching requests seen per rule (for Skip)
	fired    []int // faults injected per rule (for Times)
	injected map[string]int
	records  []Record
}

// StartFaultProxy starts a proxy in front of target (a base URL such as moto's Endpoint) with the
// given RNG seed and rules, and closes it when the test ends. Fails the test if target is not a URL.
func StartFaultProxy(t testing.TB, target string, seed int64, rules ...Rule) *FaultProxy {
	t.Helper()
	p, err := NewFaultProxy(target, seed, rules...)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// NewFaultProxy is StartFaultProxy for callers without a testing.TB (benchmark programs);
// the caller must Close it.
func NewFaultProxy(target string, seed int64, rules ...Rule) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy: target %q is not a base URL like http://127.0.0.1:5000", target)
	}
	p := &FaultProxy{rng: rand.New(rand.NewSource(seed)), injected: map[string]int{}, closing: make(chan struct{})}
	p.setRules(rules)
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // keep the Host the client signed
		},
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
		},
		ErrorLog: nil,
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy (ending every held connection first).
func (p *FaultProxy) Close() {
	p.closeOnce.Do(func() { close(p.closing) })
	p.srv.Close()
}

// SetRules replaces the rules (and their Skip/Times counters); Records and Injected are kept.
func (p *FaultProxy) SetRules(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setRules(rules)
}

func (p *FaultProxy) setRules(rules []Rule) {
	p.rules = append([]Rule(nil), rules...)
	for i := range p.rules {
		if p.rules[i].Name == "" {
			p.rules[i].Name = fmt.Sprintf("rule%d", i)
		}
	}
	p.matched = make([]int, len(rules))
	p.fired = make([]int, len(rules))
}

// Injected returns how many faults each rule injected, by rule name.
func (p *FaultProxy) Injected() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.injected))
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// TotalInjected is the sum of Injected().
func (p *FaultProxy) TotalInjected() int {
	n := 0
	for _, v := range p.Injected() {
		n += v
	}
	return n
}

// Records returns a copy of every request seen so far, in arrival order (Seq). It first waits (up to
// two seconds) for requests still being handled, since a client can see its answer before the proxy
// has written the record.
func (p *FaultProxy) Records() []Record {
	p.settle()
	p.mu.Lock()
	out := append([]Record(nil), p.records...)
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Count returns how many recorded requests have the method (empty = any) and a path containing
// pathContains, whatever their outcome.
func (p *FaultProxy) Count(method, pathContains string) int {
	n := 0
	for _, r := range p.Records() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, pathContains) {
			n++
		}
	}
	return n
}

// BytesIn is the total request-body bytes clients sent through the proxy.
func (p *FaultProxy) BytesIn() int64 {
	p.settle()
	return p.bytesIn.Load()
}

// settle waits, up to two seconds, for the requests still being handled to write their records.
func (p *FaultProxy) settle() {
	for deadline := time.Now().Add(2 * time.Second); p.inflight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// ResetCounters forgets Records, Injected and BytesIn (rules and their Skip/Times state stay).
func (p *FaultProxy) ResetCounters() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records = nil
	p.injected = map[string]int{}
	p.bytesIn.Store(0)
}

// pick returns the rule that fires for r, or nil.
func (p *FaultProxy) pick(r *http.Request) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.rules {
		ru := &p.rules[i]
		if ru.Method != "" && ru.Method != r.Method {
			continue
		}
		if ru.PathContains != "" && !strings.Contains(r.URL.Path, ru.PathContains) {
			continue
		}
		if ru.QueryContains != "" && !strings.Contains(r.URL.RawQuery, ru.QueryContains) {
			continue
		}
		if ru.Match != nil && !ru.Match(r) {
			continue
		}
		p.matched[i]++
		if p.matched[i] <= ru.Skip {
			continue
		}
		if ru.Times > 0 && p.fired[i] >= ru.Times {
			continue
		}
		if ru.Rate > 0 && ru.Rate < 1 && p.rng.Float64() >= ru.Rate {
			continue
		}
		p.fired[i]++
		if ru.Fault != FaultNone {
			p.injected[ru.Name]++
		}
		c := *ru
		return &c
	}
	return nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	rec := Record{Seq: p.seq.Add(1), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Fault: "none", Start: time.Now()}
	n := new(atomic.Int64)
	if r.Body != nil {
		r.Body = countingBody{ReadCloser: r.Body, n: n}
	}
	sw := &statusWriter{ResponseWriter: w}
	rule := p.pick(r)
	if rule != nil {
		rec.Rule = rule.Name
		rec.Fault = rule.Fault.String()
		if rule.Latency > 0 {
			time.Sleep(rule.Latency)
		}
	}
	switch {
	case rule == nil || rule.Fault == FaultNone:
		p.proxy.ServeHTTP(sw, r)
		rec.Forwarded, rec.TargetStatus = true, sw.status
	case rule.Fault == FaultReset:
		_, _ = io.Copy(io.Discard, r.Body)
		resetConn(w, nil)
	case rule.Fault.AfterForward():
		// The target acts and answers; the answer goes nowhere. A fresh context: the target must
		// finish even if the client gives up meanwhile (that is the point of the fault).
		answer := httptest.NewRecorder()
		p.proxy.ServeHTTP(answer, r.WithContext(context.WithoutCancel(r.Context())))
		rec.Forwarded, rec.TargetStatus = true, answer.Code
		if rule.Fault == FaultResetAfterForward {
			resetConn(w, nil)
			break
		}
		resetConn(w, func(conn net.Conn) { p.hold(conn, rule.Hold) })
	default:
		_, _ = io.Copy(io.Discard, r.Body)
		writeFault(sw, rule)
	}
	rec.BodyBytes = n.Load()
	rec.Status = sw.status
	rec.End = time.Now()
	p.bytesIn.Add(rec.BodyBytes)
	p.mu.Lock()
	p.records = append(p.records, rec)
	p.mu.Unlock()
}

// resetConn hijacks the client's connection, runs before (if any) and closes the connection with
// SO_LINGER 0, so the client sees a reset and no response.
func resetConn(w http.ResponseWriter, before func(net.Conn)) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if before != nil {
		before(conn)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// hold keeps conn silent until the client closes it, d has passed (0: a minute), or the proxy closes.
func (p *FaultProxy) hold(conn net.Conn, d time.Duration) {
	if d <= 0 {
		d = time.Minute
	}
	gone := make(chan struct{})
	go func() {
		// A read returns when the client closes its end (EOF or reset); anything it sends
		// meanwhile (it should send nothing) is discarded.
		_, _ = io.Copy(io.Discard, conn)
		close(gone)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-gone:
	case <-t.C:
	case <-p.closing:
	}
}

func s3ErrorXML(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + msg +
		"</Message><RequestId>faultproxy</RequestId></Error>"
}

func writeFault(w http.ResponseWriter, ru *Rule) {
	switch ru.Fault {
	case Fault500:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, s3ErrorXML("InternalError", "We encountered an internal error. Please try again. (injected)"))
	case Fault503:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, s3ErrorXML("ServiceUnavailable", "Service is unable to handle request. (injected)"))
	case FaultSlowDown:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, s3ErrorXML("SlowDown", "Please reduce your request rate. (injected)"))
	case FaultThrottling:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", "ThrottlingException")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded (injected)"}`)
	case FaultRespond:
		for k, vs := range ru.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		status := ru.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, ru.Body)
	}
}

// S3ErrorBody returns an S3 REST-XML error document with the given code and message, for a
// FaultRespond rule (e.g. S3ErrorBody("AccessDenied", "Access Denied") with Status 403).
func S3ErrorBody(code, message string) string { return s3ErrorXML(code, message) }
