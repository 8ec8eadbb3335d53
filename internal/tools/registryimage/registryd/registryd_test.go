package main

import (
	"bytes"
	"encoding/json"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// start serves registryd's handler for cfg on a loopback httptest server; the request log goes to
// the returned buffer.
func start(t *testing.T, cfg config) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := newHandler(cfg, log.New(&logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &logs
}

// htpasswdConfig writes an htpasswd file for user:pass (bcrypt at the minimum cost, to keep the
// test fast) and reads it back through the environment, as the registry:2 container would.
func htpasswdConfig(t *testing.T, user, pass string) config {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// htpasswd -B writes $2y$; Go's bcrypt writes $2a$: use the former, the format users have.
	line := user + ":$2y$" + string(hash[4:]) + "\n"
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte("# comment\n\n"+line), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"REGISTRY_AUTH":                "htpasswd",
		"REGISTRY_AUTH_HTPASSWD_PATH":  path,
		"REGISTRY_AUTH_HTPASSWD_REALM": "Bookme Registry",
	}
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, url, user, pass string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// push writes a random image to srv as repo:tag with the given authenticator and pulls it back.
func pushPull(t *testing.T, srv *httptest.Server, a authn.Authenticator) error {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/bookme/api:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(a)); err != nil {
		return err
	}
	got, err := remote.Image(ref, remote.WithAuth(a))
	if err != nil {
		return err
	}
	want, _ := img.Digest()
	gotD, err := got.Digest()
	if err != nil {
		return err
	}
	if gotD != want {
		t.Fatalf("pulled digest %s, pushed %s", gotD, want)
	}
	return nil
}

func TestAnonymousPushPullWithoutAuth(t *testing.T) {
	srv, logs := start(t, config{Addr: ":5000"})
	if resp := get(t, srv.URL+"/v2/", "", ""); resp.StatusCode != 200 {
		t.Fatalf("GET /v2/ without auth configured = %d, want 200", resp.StatusCode)
	}
	if err := pushPull(t, srv, authn.Anonymous); err != nil {
		t.Fatalf("anonymous push/pull: %v", err)
	}
	if !strings.Contains(logs.String(), "PUT /v2/bookme/api/manifests/test 201") {
		t.Fatalf("request log lacks the manifest PUT:\n%s", logs)
	}
}

func TestHtpasswdChallengesWithoutCredentials(t *testing.T) {
	srv, _ := start(t, htpasswdConfig(t, "AWS", "s3cret"))
	resp := get(t, srv.URL+"/v2/", "", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ without credentials = %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="Bookme Registry"` {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
	if got := resp.Header.Get("Docker-Distribution-API-Version"); got != "registry/2.0" {
		t.Fatalf("Docker-Distribution-API-Version = %q", got)
	}
	var body struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("401 body is not distribution's JSON: %v", err)
	}
	if len(body.Errors) != 1 || body.Errors[0].Code != "UNAUTHORIZED" {
		t.Fatalf("401 body errors = %+v, want one UNAUTHORIZED", body.Errors)
	}
	// Every /v2/ route is protected, not just the base.
	if resp := get(t, srv.URL+"/v2/bookme/api/tags/list", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET tags without credentials = %d, want 401", resp.StatusCode)
	}
}

func TestHtpasswdRejectsWrongPasswordAndUnknownUser(t *testing.T) {
	srv, logs := start(t, htpasswdConfig(t, "AWS", "s3cret"))
	if resp := get(t, srv.URL+"/v2/", "AWS", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d, want 401", resp.StatusCode)
	}
	if resp := get(t, srv.URL+"/v2/", "nobody", "s3cret"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user = %d, want 401", resp.StatusCode)
	}
	// Right after a success (which is cached), a wrong password must still fail.
	if resp := get(t, srv.URL+"/v2/", "AWS", "s3cret"); resp.StatusCode != 200 {
		t.Fatalf("right password = %d, want 200", resp.StatusCode)
	}
	if resp := get(t, srv.URL+"/v2/", "AWS", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password after a success = %d, want 401", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "Basic ") {
		t.Fatalf("request log shows credentials:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "GET /v2/ 401 user=AWS") || !strings.Contains(logs.String(), "GET /v2/ 200 user=AWS") {
		t.Fatalf("request log lacks method/path/status lines:\n%s", logs)
	}
}

func TestHtpasswdPushPullNeedsCredentials(t *testing.T) {
	srv, _ := start(t, htpasswdConfig(t, "AWS", "s3cret"))
	if err := pushPull(t, srv, authn.Anonymous); err == nil {
		t.Fatal("anonymous push to an htpasswd registry succeeded, want an auth error")
	} else if !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("anonymous push failed with %v, want a 401/UNAUTHORIZED error", err)
	}
	if err := pushPull(t, srv, &authn.Basic{Username: "AWS", Password: "s3cret"}); err != nil {
		t.Fatalf("push/pull with the right credentials: %v", err)
	}
}

func TestConfigRefusesMissingHtpasswdFile(t *testing.T) {
	env := map[string]string{
		"REGISTRY_AUTH":               "htpasswd",
		"REGISTRY_AUTH_HTPASSWD_PATH": filepath.Join(t.TempDir(), "missing"),
	}
	_, err := configFromEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "REGISTRY_AUTH_HTPASSWD_PATH") {
		t.Fatalf("missing htpasswd file: err = %v, want one naming REGISTRY_AUTH_HTPASSWD_PATH", err)
	}
	delete(env, "REGISTRY_AUTH_HTPASSWD_PATH")
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("htpasswd auth without a path was accepted")
	}
	cfg, err := configFromEnv(func(string) string { return "" })
	if err != nil || cfg.Addr != ":5000" || cfg.Auth != "" {
		t.Fatalf("empty environment: %+v, %v; want :5000 without auth", cfg, err)
	}
}

func TestParseHtpasswdRejectsNonBcrypt(t *testing.T) {
	if _, err := parseHtpasswd(strings.NewReader("AWS:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")); err == nil {
		t.Fatal("a {SHA} entry was accepted; distribution only supports bcrypt")
	}
	if _, err := parseHtpasswd(strings.NewReader("\n# only a comment\n")); err == nil {
		t.Fatal("a file without entries was accepted")
	}
	// $2y$ as htpasswd -B writes, $2b$, and $2a$ as Go's bcrypt writes.
	users, err := parseHtpasswd(strings.NewReader("a:$2y$05$abc\nb:$2b$05$def\nc:$2a$04$ghi\n"))
	if err != nil || len(users) != 3 {
		t.Fatalf("three bcrypt entries: %v, %v", users, err)
	}
}

func TestCheckArgs(t *testing.T) {
	for _, ok := range [][]string{nil, {"serve", "/etc/docker/registry/config.yml"}, {"serve"}, {"/etc/docker/registry/config.yml"}} {
		if err := checkArgs(ok); err != nil {
			t.Errorf("checkArgs(%q) = %v, want nil", ok, err)
		}
	}
	if err := checkArgs([]string{"garbage-collect", "x.yml"}); err == nil {
		t.Error("garbage-collect was accepted")
	}
}
