package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// errOtherHost is returned by the redirect policy: a health check redirected elsewhere is not the
// service we deployed answering.
var errOtherHost = errors.New("redirect to another host")

// response is one attempt's outcome.
type response struct {
	status  int
	body    []byte
	release string // the ReleaseHeader's value ("" when absent)
}

// verdict is what a check makes of one response: ok, retry (with why), or fail (with why).
type verdict struct {
	ok, retry bool
	reason    string
}

// poll GETs rawURL until judge says ok or fail, or until the retry budget is spent. Network errors,
// timeouts, 429 and 502/503/504 are retried; judge decides about everything else.
func poll(ctx context.Context, check, rawURL string, maxBody int64, o options, judge func(response) verdict) (*Result, error) {
	start := time.Now()
	res := &Result{Check: check, URL: rawURL}
	finish := func(v verdict) (*Result, error) {
		res.DurationMS = time.Since(start).Milliseconds()
		res.OK = v.ok
		if v.ok {
			return res, nil
		}
		res.Reason = v.reason
		return res, fmt.Errorf("smoke: %s check failed: GET %s: %s (%d attempts in %s)", check, rawURL, v.reason, res.Attempts, time.Since(start).Round(time.Millisecond))
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return finish(verdict{reason: "not an http(s) URL with a host"})
	}
	client := newClient(o)
	deadline := start.Add(o.retryFor)
	lastReason := ""
	for {
		res.Attempts++
		r, err := get(ctx, client, rawURL, maxBody, o.requestTimeout)
		var v verdict
		switch {
		case err != nil && errors.Is(err, errOtherHost):
			v = verdict{reason: oneLine(unwrapURL(err), 300)}
		case err != nil:
			v = verdict{retry: true, reason: oneLine(unwrapURL(err), 300)}
		case r.status == http.StatusTooManyRequests || r.status == http.StatusBadGateway ||
			r.status == http.StatusServiceUnavailable || r.status == http.StatusGatewayTimeout:
			res.Status = r.status
			v = verdict{retry: true, reason: fmt.Sprintf("HTTP %d (load balancer or CDN not ready)", r.status)}
		default:
			res.Status = r.status
			v = judge(r)
		}
		if v.ok || !v.retry {
			return finish(v)
		}
		if ctx.Err() != nil {
			return finish(verdict{reason: v.reason + "; " + ctx.Err().Error()})
		}
		left := time.Until(deadline)
		if left < o.interval {
			return finish(verdict{reason: v.reason + fmt.Sprintf("; gave up after %s", o.retryFor)})
		}
		if v.reason != lastReason {
			fmt.Fprintf(o.progress, "smoke: %s: %s; retrying for up to %s\n", check, v.reason, left.Round(time.Second))
			lastReason = v.reason
		}
		select {
		case <-ctx.Done():
			return finish(verdict{reason: v.reason + "; " + ctx.Err().Error()})
		case <-time.After(o.interval):
		}
	}
}

func newClient(o options) *http.Client {
	c := &http.Client{}
	if o.client != nil {
		*c = *o.client
	}
	c.Timeout = 0 // each attempt has its own context deadline
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("%w %s (from %s)", errOtherHost, req.URL.Host, via[0].URL.Host)
		}
		return nil
	}
	return c
}

func get(ctx context.Context, c *http.Client, rawURL string, maxBody int64, timeout time.Duration) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("User-Agent", "bookme-deploy-smoke/1")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return response{}, fmt.Errorf("no answer within %s", timeout)
		}
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("body not received within %s", timeout)
		}
		return response{}, fmt.Errorf("read body: %w", err)
	}
	return response{status: resp.StatusCode, body: body, release: resp.Header.Get(ReleaseHeader)}, nil
}

// unwrapURL drops net/url's "Get \"…\": " prefix (the URL is in the message already).
func unwrapURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
