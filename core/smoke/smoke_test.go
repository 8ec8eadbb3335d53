package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The servers here are in-process httptest servers on loopback playing the ALB/API and CloudFront.

// viteIndex is examples/bookme/frontend's built dist/index.html with entry as the entry script.
func viteIndex(entry string) string {
	return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    <link rel="modulepreload" crossorigin href="/assets/vendor.Ab12Cd34.js">
    <title>book_me</title>
    <script type="module" crossorigin src="/` + entry + `"></script>
    <link rel="stylesheet" crossorigin href="/assets/index.BjTbny64.css">
  </head>
  <body><div id="root"></div></body>
</html>`
}

func TestEntryFile(t *testing.T) {
	for name, tc := range map[string]struct{ html, want string }{
		"book_me build":   {viteIndex("assets/index.D7pahZg3.js"), "assets/index.D7pahZg3.js"},
		"vite default":    {`<script type="module" crossorigin src="/assets/index-BxYz12_-.js"></script>`, "assets/index-BxYz12_-.js"},
		"base path":       {`<script type="module" src="/app/assets/index.abc.js"></script>`, "app/assets/index.abc.js"},
		"cdn base":        {`<script type="module" src="https://cdn.example.com/assets/index.abc.js?v=1"></script>`, "assets/index.abc.js"},
		"relative base":   {`<script type="module" src="./assets/index.abc.js"></script>`, "assets/index.abc.js"},
		"upper case attr": {`<SCRIPT TYPE="Module" SRC="/assets/index.abc.js"></SCRIPT>`, "assets/index.abc.js"},
		"legacy plugin": {`<script type="module">import.meta.url;import("_").catch(()=>1);</script>
			<script nomodule>!function(){}();</script>
			<script nomodule crossorigin id="vite-legacy-polyfill" src="/assets/polyfills-legacy.x1.js"></script>
			<script type="module" crossorigin src="/assets/index.new1.js"></script>`, "assets/index.new1.js"},
		"classic before module": {`<script src="/config.js"></script><script type="module" src="/assets/main.h4sh.js"></script>`, "assets/main.h4sh.js"},
	} {
		got, err := EntryFile([]byte(tc.html))
		if err != nil || got != tc.want {
			t.Errorf("%s: EntryFile = %q, %v; want %q", name, got, err, tc.want)
		}
	}
	for name, doc := range map[string]string{
		"no module script": `<html><script src="/app.js"></script></html>`,
		"inline only":      `<script type="module">console.log(1)</script>`,
		"not html":         `{"message": "Forbidden"}`,
		"empty":            ``,
		"in a comment":     `<!-- <script type="module" src="/assets/index.x.js"></script> -->`,
	} {
		if got, err := EntryFile([]byte(doc)); err == nil || !strings.Contains(err.Error(), "no <script") {
			t.Errorf("%s: EntryFile = %q, %v; want a 'no <script' error", name, got, err)
		}
	}
}

func TestEntryMatches(t *testing.T) {
	if !entryMatches("assets/a.1.js", normalizeEntry("/assets/a.1.js")) || !entryMatches("app/assets/a.1.js", "assets/a.1.js") {
		t.Error("equal entries do not match")
	}
	if entryMatches("assets/a.2.js", "assets/a.1.js") || entryMatches("xassets/a.1.js", "assets/a.1.js") {
		t.Error("different entries match")
	}
}

// fast keeps the retry loop short enough for unit tests.
func fast(extra ...Option) []Option {
	return append([]Option{WithRequestTimeout(2 * time.Second), WithRetryFor(2 * time.Second), WithInterval(20 * time.Millisecond)}, extra...)
}

// scripted serves statuses[i] for the i-th request (the last one repeats) with body.
func scripted(t *testing.T, path string, statuses []int, body func(i int) string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		i := int(n.Add(1)) - 1
		s := statuses[min(i, len(statuses)-1)]
		w.WriteHeader(s)
		fmt.Fprint(w, body(i))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func pong(int) string { return `{"message": "pong"}` }

func TestAPI(t *testing.T) {
	t.Run("200 at once", func(t *testing.T) {
		srv, n := scripted(t, "/auth/ping/", []int{200}, pong)
		res, err := API(context.Background(), srv.URL+"/", fast()...)
		if err != nil || !res.OK || res.Attempts != 1 || res.Status != 200 || n.Load() != 1 {
			t.Fatalf("API = %+v, %v", res, err)
		}
		if !strings.HasPrefix(res.Text(), "ok     API health check: GET "+srv.URL+"/auth/ping/ → 200 (1 attempt,") {
			t.Errorf("text: %s", res.Text())
		}
	})
	t.Run("ALB warming up: 503, 502 then 200", func(t *testing.T) {
		srv, _ := scripted(t, "/auth/ping/", []int{503, 503, 502, 200}, pong)
		var progress bytes.Buffer
		res, err := API(context.Background(), srv.URL, fast(WithProgress(&progress))...)
		if err != nil || !res.OK || res.Attempts != 4 {
			t.Fatalf("API = %+v, %v", res, err)
		}
		// One line per change of reason, not one per attempt.
		if lines := strings.Count(progress.String(), "\n"); lines != 2 || !strings.Contains(progress.String(), "HTTP 503") {
			t.Errorf("progress (%d lines):\n%s", lines, progress.String())
		}
	})
	t.Run("500 fails at once", func(t *testing.T) {
		srv, n := scripted(t, "/auth/ping/", []int{500}, func(int) string { return "<h1>Server Error (500)</h1>\n" })
		res, err := API(context.Background(), srv.URL, fast()...)
		if err == nil || res.OK || n.Load() != 1 || !strings.Contains(err.Error(), "HTTP 500, want 200: <h1>Server Error (500)</h1>") {
			t.Fatalf("API = %+v, %v (requests %d)", res, err, n.Load())
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(res.Text(), "FAILED API health check") {
			t.Errorf("error %q / text %q", err, res.Text())
		}
	})
	t.Run("404 on a wrong base URL fails at once", func(t *testing.T) {
		srv, n := scripted(t, "/auth/ping/", []int{200}, pong)
		_, err := API(context.Background(), srv.URL+"/v2", fast()...)
		if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "/v2/auth/ping/") || n.Load() != 0 {
			t.Fatalf("API = %v", err)
		}
	})
	t.Run("503 for ever gives up within the budget", func(t *testing.T) {
		srv, n := scripted(t, "/auth/ping/", []int{503}, pong)
		start := time.Now()
		res, err := API(context.Background(), srv.URL, WithRequestTimeout(time.Second), WithRetryFor(300*time.Millisecond), WithInterval(50*time.Millisecond))
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "gave up after 300ms") || res.Status != 503 {
			t.Fatalf("API = %+v, %v", res, err)
		}
		if took > 2*time.Second || n.Load() < 2 || n.Load() > 8 {
			t.Errorf("took %s with %d requests; want a bounded retry", took, n.Load())
		}
	})
	t.Run("no answer within the request timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		res, err := API(context.Background(), srv.URL, WithRequestTimeout(100*time.Millisecond), WithRetryFor(0))
		if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") || res.Attempts != 1 || res.Status != 0 {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("connection refused is retried, then fails", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		res, err := API(context.Background(), url, WithRetryFor(200*time.Millisecond), WithInterval(50*time.Millisecond))
		if err == nil || !strings.Contains(err.Error(), "connection refused") || res.Attempts < 2 {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("same-host redirect is followed", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/auth/ping/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/healthz/", http.StatusMovedPermanently)
		})
		mux.HandleFunc("/healthz/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") })
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		if res, err := API(context.Background(), srv.URL, fast()...); err != nil || !res.OK {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("redirect to another host fails at once", func(t *testing.T) {
		other, otherHits := scripted(t, "/auth/ping/", []int{200}, pong)
		srv, n := scripted(t, "/nothing", []int{200}, pong)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			http.Redirect(w, r, other.URL+"/auth/ping/", http.StatusFound)
		})
		res, err := API(context.Background(), srv.URL, fast()...)
		if err == nil || !strings.Contains(err.Error(), "redirect to another host") || n.Load() != 1 || otherHits.Load() != 0 || res.Attempts != 1 {
			t.Fatalf("API = %+v, %v (hits %d, other %d)", res, err, n.Load(), otherHits.Load())
		}
	})
	t.Run("bad URL", func(t *testing.T) {
		if _, err := API(context.Background(), "api.example.com", fast()...); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
			t.Fatalf("API = %v", err)
		}
	})
	t.Run("cancelled context stops the retries", func(t *testing.T) {
		srv, _ := scripted(t, "/auth/ping/", []int{503}, pong)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := API(ctx, srv.URL, WithRetryFor(time.Minute), WithInterval(20*time.Millisecond))
		if err == nil || time.Since(start) > 5*time.Second || !strings.Contains(err.Error(), "deadline exceeded") {
			t.Fatalf("API = %v after %s", err, time.Since(start))
		}
	})
}

func TestSPA(t *testing.T) {
	const want = "assets/index.N3wHash1.js"
	t.Run("new entry", func(t *testing.T) {
		srv, _ := scripted(t, "/", []int{200}, func(int) string { return viteIndex(want) })
		res, err := SPA(context.Background(), srv.URL+"/", want, fast()...)
		if err != nil || !res.OK || res.Entry != want || res.WantEntry != want {
			t.Fatalf("SPA = %+v, %v", res, err)
		}
		if !strings.Contains(res.Text(), "entry "+want) {
			t.Errorf("text: %s", res.Text())
		}
	})
	t.Run("stale edge then new entry", func(t *testing.T) {
		srv, n := scripted(t, "/index.html", []int{200}, func(i int) string {
			if i < 2 {
				return viteIndex("assets/index.0ldHash0.js")
			}
			return viteIndex(want)
		})
		res, err := SPA(context.Background(), srv.URL+"/index.html", "/"+want, fast()...)
		if err != nil || !res.OK || res.Attempts != 3 || n.Load() != 3 {
			t.Fatalf("SPA = %+v, %v", res, err)
		}
	})
	t.Run("wrong entry for the whole budget", func(t *testing.T) {
		srv, _ := scripted(t, "/", []int{200}, func(int) string { return viteIndex("assets/index.0ldHash0.js") })
		res, err := SPA(context.Background(), srv.URL+"/", want, WithRetryFor(200*time.Millisecond), WithInterval(40*time.Millisecond))
		if err == nil || res.OK || res.Entry != "assets/index.0ldHash0.js" {
			t.Fatalf("SPA = %+v, %v", res, err)
		}
		if !strings.Contains(err.Error(), "index.html references assets/index.0ldHash0.js, want "+want) || !strings.Contains(err.Error(), "gave up") {
			t.Errorf("error: %v", err)
		}
		js, _ := json.Marshal(res)
		if !strings.Contains(string(js), `"wantEntry":"`+want+`"`) || !strings.Contains(string(js), `"ok":false`) {
			t.Errorf("JSON: %s", js)
		}
	})
	t.Run("500 fails at once", func(t *testing.T) {
		srv, n := scripted(t, "/", []int{500}, func(int) string { return "oops" })
		if _, err := SPA(context.Background(), srv.URL+"/", want, fast()...); err == nil || !strings.Contains(err.Error(), "HTTP 500") || n.Load() != 1 {
			t.Fatalf("SPA = %v (requests %d)", err, n.Load())
		}
	})
	t.Run("403 from S3 through CloudFront fails at once", func(t *testing.T) {
		srv, n := scripted(t, "/", []int{403}, func(int) string { return "<Error><Code>AccessDenied</Code></Error>" })
		if _, err := SPA(context.Background(), srv.URL+"/", want, fast()...); err == nil || !strings.Contains(err.Error(), "HTTP 403") || n.Load() != 1 {
			t.Fatalf("SPA = %v (requests %d)", err, n.Load())
		}
	})
	t.Run("not a Vite index.html", func(t *testing.T) {
		srv, _ := scripted(t, "/", []int{200}, func(int) string { return "<html><body>Coming soon</body></html>" })
		if _, err := SPA(context.Background(), srv.URL+"/", want, fast()...); err == nil || !strings.Contains(err.Error(), "not a Vite build") {
			t.Fatalf("SPA = %v", err)
		}
	})
	t.Run("no expected entry", func(t *testing.T) {
		if _, err := SPA(context.Background(), "http://127.0.0.1:1/", " ", fast()...); err == nil || !strings.Contains(err.Error(), "no expected entry") {
			t.Fatalf("SPA = %v", err)
		}
	})
}

// releaseServer answers the health check naming the releases in order, then the last one for ever.
func releaseServer(t *testing.T, releases ...string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(releases) {
			i = len(releases) - 1
		}
		if releases[i] != "" {
			w.Header().Set(ReleaseHeader, releases[i])
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status": "ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestAPIReleaseAware(t *testing.T) {
	const oldSHA, newSHA = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	t.Run("old tasks drain, then the new release answers three times in a row", func(t *testing.T) {
		srv, n := releaseServer(t, oldSHA, newSHA, oldSHA, newSHA, newSHA, newSHA)
		var progress bytes.Buffer
		res, err := API(context.Background(), srv.URL, fast(WithRelease(newSHA), WithProgress(&progress))...)
		if err != nil || !res.OK || n.Load() != 6 {
			t.Fatalf("API = %+v, %v (requests %d)", res, err, n.Load())
		}
		if !strings.Contains(progress.String(), "answered by release 111111111111, want 222222222222") {
			t.Errorf("progress:\n%s", progress.String())
		}
	})
	t.Run("a release that never answers fails naming the one that does", func(t *testing.T) {
		srv, _ := releaseServer(t, oldSHA)
		_, err := API(context.Background(), srv.URL, fast(WithRelease(newSHA))...)
		if err == nil || !strings.Contains(err.Error(), "answered by release 111111111111, want 222222222222") {
			t.Fatalf("API = %v", err)
		}
	})
	t.Run("an API that names no release is not taken for the new one", func(t *testing.T) {
		srv, _ := releaseServer(t, "")
		_, err := API(context.Background(), srv.URL, fast(WithRelease(newSHA))...)
		if err == nil || !strings.Contains(err.Error(), "without "+ReleaseHeader) {
			t.Fatalf("API = %v", err)
		}
	})
	t.Run("without WithRelease any 200 will do", func(t *testing.T) {
		srv, n := releaseServer(t, oldSHA)
		if res, err := API(context.Background(), srv.URL, fast()...); err != nil || !res.OK || n.Load() != 1 {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("HTTP passes the target's release on", func(t *testing.T) {
		srv, _ := releaseServer(t, oldSHA)
		_, err := HTTP(context.Background(), Target{APIURL: srv.URL, Release: newSHA, ClientURL: srv.URL, Entry: "assets/x.js"}, fast()...)
		if err == nil || !strings.Contains(err.Error(), "want 222222222222") {
			t.Fatalf("HTTP = %v", err)
		}
	})
}
