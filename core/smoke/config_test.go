package smoke

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// craIndex is examples/cra-app/web's built build/index.html (react-scripts' shape).
func craIndex(entry string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"/><link rel="icon" href="/favicon.ico"/>` +
		`<meta name="viewport" content="width=device-width,initial-scale=1"/><title>CRA example</title>` +
		`<script defer="defer" src="/` + entry + `"></script><link href="/static/css/main.45feda23.css" rel="stylesheet"></head>` +
		`<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>`
}

func TestEntryFileOfCRA(t *testing.T) {
	for name, tc := range map[string]struct{ html, want string }{
		"cra build": {craIndex("static/js/main.9ad53866.js"), "static/js/main.9ad53866.js"},
		"cra 4, scripts at the end of body": {`<div id="root"></div><script src="/static/js/2.1a2b3c4d.chunk.js"></script>` +
			`<script src="/static/js/main.5e6f7a8b.chunk.js"></script>`, "static/js/2.1a2b3c4d.chunk.js"},
		"an analytics tag of another host first": {`<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>` +
			craIndex("static/js/main.9ad53866.js"), "static/js/main.9ad53866.js"},
		"a CDN base: every script on another host": {`<script defer src="https://cdn.example.com/static/js/main.9ad53866.js"></script>`, "static/js/main.9ad53866.js"},
		"data blocks and nomodule skipped": {`<script type="application/ld+json" src="/meta.json"></script><script nomodule src="/legacy.js"></script>` +
			`<script src="/static/js/main.1.js"></script>`, "static/js/main.1.js"},
		"a module script counts too": {`<script type="module" src="/assets/index.D7pahZg3.js"></script>`, "assets/index.D7pahZg3.js"},
	} {
		got, err := EntryFileOf([]byte(tc.html), EntryScript)
		if err != nil || got != tc.want {
			t.Errorf("%s: EntryFileOf(script) = %q, %v; want %q", name, got, err, tc.want)
		}
	}
	// The module kind does not take CRA's classic script: a CRA bundle checked as Vite's fails.
	if got, err := EntryFileOf([]byte(craIndex("static/js/main.9ad53866.js")), EntryModule); err == nil {
		t.Errorf("EntryFileOf(module) of a CRA build = %q", got)
	}
	if got, err := EntryFileOf([]byte(viteIndex("assets/index.D7pahZg3.js")), ""); err != nil || got != "assets/index.D7pahZg3.js" {
		t.Errorf(`EntryFileOf(vite, "") = %q, %v`, got, err)
	}
	if _, err := EntryFileOf([]byte(`<p>no scripts</p>`), EntryScript); err == nil || !strings.Contains(err.Error(), "not a Create React App build") {
		t.Errorf("no script: %v", err)
	}
	if _, err := EntryFileOf([]byte(craIndex("x.js")), "webpack"); err == nil || !strings.Contains(err.Error(), `unknown entry kind "webpack"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

// configured serves /api/health/ with a status and body; every other path 404s.
func configured(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Path {
		case "/api/health/":
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		case "/":
			fmt.Fprint(w, craIndex("static/js/main.9ad53866.js"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestAPIPathStatusBody(t *testing.T) {
	ctx := context.Background()
	t.Run("the configured path, status and body", func(t *testing.T) {
		srv, _ := configured(t, 200, `{"status": "ok"}`)
		res, err := API(ctx, srv.URL, fast(WithPath("/api/health/"), WithBodyContains(`"ok"`))...)
		if err != nil || !res.OK || res.URL != srv.URL+"/api/health/" {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("a path without its leading slash", func(t *testing.T) {
		srv, _ := configured(t, 200, `ok`)
		if res, err := API(ctx, srv.URL+"/", fast(WithPath("api/health/"))...); err != nil || res.URL != srv.URL+"/api/health/" {
			t.Fatalf("API = %+v, %v", res, err)
		}
	})
	t.Run("the default path is not the configured one", func(t *testing.T) {
		srv, _ := configured(t, 200, `ok`)
		if _, err := API(ctx, srv.URL, fast()...); err == nil || !strings.Contains(err.Error(), "/auth/ping/: HTTP 404") {
			t.Fatalf("API = %v", err)
		}
	})
	t.Run("another status expected", func(t *testing.T) {
		srv, _ := configured(t, 204, ``)
		if _, err := API(ctx, srv.URL, fast(WithPath("/api/health/"), WithStatus(204))...); err != nil {
			t.Fatal(err)
		}
		if _, err := API(ctx, srv.URL, fast(WithPath("/api/health/"))...); err == nil || !strings.Contains(err.Error(), "HTTP 204, want 200") {
			t.Fatalf("200 expected: %v", err)
		}
	})
	t.Run("a body without the text is retried, then fails", func(t *testing.T) {
		srv, n := configured(t, 200, `{"status": "starting"}`)
		_, err := API(ctx, srv.URL, fast(WithPath("/api/health/"), WithBodyContains(`"ok"`))...)
		if err == nil || !strings.Contains(err.Error(), `without "\"ok\"" in the body`) || n.Load() < 2 {
			t.Fatalf("API = %v after %d requests", err, n.Load())
		}
	})
}

func TestHTTPTakesTheTargetsChecks(t *testing.T) {
	const sha = "2222222222222222222222222222222222222222"
	srv, _ := configured(t, 200, `{"status": "ok"}`) // names no release (no X-Bookme-Release)
	tg := Target{APIURL: srv.URL, APIPath: "/api/health/", APIStatus: 200, APIBodyContains: `"ok"`,
		ClientURL: srv.URL + "/", Entry: "static/js/main.9ad53866.js", EntryKind: EntryScript, Release: sha}
	// The release check stays on by default: an API that does not name its release is not taken for it.
	if _, err := HTTP(context.Background(), tg, fast()...); err == nil || !strings.Contains(err.Error(), "without "+ReleaseHeader) {
		t.Fatalf("release check on: %v", err)
	}
	tg.AnyRelease = true
	text, err := HTTP(context.Background(), tg, fast()...)
	if err != nil || !strings.Contains(text, "/api/health/ → 200") || !strings.Contains(text, "entry static/js/main.9ad53866.js") {
		t.Fatalf("HTTP = %q, %v", text, err)
	}
	// The SPA check reads the entry the target's kind says: as Vite's, a CRA page has none.
	tg.EntryKind = ""
	if _, err := HTTP(context.Background(), tg, fast()...); err == nil || !strings.Contains(err.Error(), "not a Vite build") {
		t.Fatalf("module kind on a CRA page: %v", err)
	}
}
