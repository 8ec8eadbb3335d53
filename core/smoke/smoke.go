// Package smoke runs the post-deploy smoke checks: the API answers its health check through the
// load balancer (API), and CloudFront serves the index.html of the bundle just released (SPA).
//
// Both retry for a bounded time: right after a rollout the ALB may answer 502/503 until the new
// targets are healthy, and a CloudFront edge may serve the old index.html for a moment after the
// invalidation. Answers that retrying will not fix (500, 404, a redirect to another host) fail at
// once. Neither check changes anything, so there is no Plan: each returns a Result (Text for
// people, JSON for the deploy record) and an error of one line when the check failed.
package smoke

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Defaults of the options.
const (
	DefaultRequestTimeout = 10 * time.Second
	DefaultRetryFor       = 3 * time.Minute
	DefaultInterval       = 3 * time.Second
)

// Option changes how a check runs.
type Option func(*options)

type options struct {
	client         *http.Client
	requestTimeout time.Duration
	retryFor       time.Duration
	interval       time.Duration
	progress       io.Writer
	release        string
	// the API check's path, expected status and body text ("", 0: PingPath, 200, any body)
	path         string
	status       int
	bodyContains string
	// entryKind: how the SPA check finds the entry script (EntryFileOf)
	entryKind string
}

// WithRequestTimeout bounds each attempt (default 10 s).
func WithRequestTimeout(d time.Duration) Option { return func(o *options) { o.requestTimeout = d } }

// WithRetryFor bounds the whole check, retries included (default 3 min). 0 means one attempt.
func WithRetryFor(d time.Duration) Option { return func(o *options) { o.retryFor = d } }

// WithInterval is the pause between attempts (default 3 s).
func WithInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithProgress receives one line whenever the reason for retrying changes (default: none).
func WithProgress(w io.Writer) Option { return func(o *options) { o.progress = w } }

// WithRelease makes the API check demand answers from this release (see API).
func WithRelease(commit string) Option { return func(o *options) { o.release = commit } }

// WithPath is the path the API check fetches from the API's base URL (default PingPath).
func WithPath(p string) Option { return func(o *options) { o.path = p } }

// WithStatus is the status the API check expects (default 200).
func WithStatus(code int) Option { return func(o *options) { o.status = code } }

// WithBodyContains makes the API check demand this text in the answer's body.
func WithBodyContains(text string) Option { return func(o *options) { o.bodyContains = text } }

// WithEntryKind says how the SPA check finds index.html's entry script (EntryFileOf; default EntryModule).
func WithEntryKind(kind string) Option { return func(o *options) { o.entryKind = kind } }

// WithHTTPClient sets the client's transport (TLS roots, proxies). Its redirect policy and timeout
// are replaced by the check's own: redirects are followed only within the same host.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

func resolve(opts []Option) options {
	o := options{requestTimeout: DefaultRequestTimeout, retryFor: DefaultRetryFor, interval: DefaultInterval, progress: io.Discard}
	for _, f := range opts {
		f(&o)
	}
	if o.progress == nil {
		o.progress = io.Discard
	}
	if o.path == "" {
		o.path = PingPath
	}
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o
}

// Result is the outcome of one check.
type Result struct {
	// Check is "api" or "spa".
	Check string `json:"check"`
	// URL is what was fetched.
	URL string `json:"url"`
	// OK says the check passed.
	OK bool `json:"ok"`
	// Status is the last HTTP status received (0 when none was).
	Status int `json:"status"`
	// Attempts is how many requests were made.
	Attempts int `json:"attempts"`
	// DurationMS is the check's wall time in milliseconds.
	DurationMS int64 `json:"durationMs"`
	// WantEntry and Entry are, for the SPA check, the expected and the found entry script.
	WantEntry string `json:"wantEntry,omitempty"`
	Entry     string `json:"entry,omitempty"`
	// Reason says why the check failed (empty when OK).
	Reason string `json:"reason,omitempty"`
}

// Text renders the result as one line.
func (r *Result) Text() string {
	what := map[string]string{"api": "API health check", "spa": "SPA index.html"}[r.Check]
	if what == "" {
		what = r.Check
	}
	tries := fmt.Sprintf("%d attempt", r.Attempts)
	if r.Attempts != 1 {
		tries += "s"
	}
	if r.OK {
		extra := ""
		if r.Entry != "" {
			extra = ", entry " + r.Entry
		}
		return fmt.Sprintf("ok     %s: GET %s → %d%s (%s, %s)\n", what, r.URL, r.Status, extra, tries, ms(r.DurationMS))
	}
	return fmt.Sprintf("FAILED %s: GET %s: %s (%s, %s)\n", what, r.URL, r.Reason, tries, ms(r.DurationMS))
}

func ms(n int64) string { return (time.Duration(n) * time.Millisecond).String() }

// oneLine folds text onto one line and bounds it (server bodies end up in reasons).
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
