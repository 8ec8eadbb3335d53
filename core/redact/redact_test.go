package redact_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/redact"
)

const (
	awsSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sessionTok = "IQoJb3JpZ2luX2VjEHgaCWV1LWNlbnRyYWwtMSJHMEUCIQD+sessiontoken/with+slashes=="
	redisTok   = "r3dis-AUTH-token_0123456789abcdef"
	passphrase = `correct "horse" battery <staple> & more`
)

func mustNew(t testing.TB, secrets ...string) *redact.Redactor {
	t.Helper()
	r, err := redact.New(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Known secret values are redacted as they are and in every encoded form.
func TestKnownSecretsAndTheirForms(t *testing.T) {
	r := mustNew(t, awsSecret, sessionTok, redisTok, passphrase)
	js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	cases := map[string]string{
		"plain":                "error: signature mismatch for " + awsSecret + " (check the clock)",
		"json":                 `{"SecretAccessKey":` + js(awsSecret) + `,"x":1}`,
		"json html-escaped":    `{"p":` + js(passphrase) + `}`,
		"go quoted":            fmt.Sprintf("value %q rejected", passphrase),
		"url query":            "https://cache.local/?auth=" + url.QueryEscape(sessionTok) + "&x=1",
		"url path":             "redis://cache.local/" + url.PathEscape(passphrase),
		"url lower hex":        "x=" + strings.ReplaceAll(url.QueryEscape("/"+awsSecret), "%2F", "%2f"),
		"base64":               "token " + base64.StdEncoding.EncodeToString([]byte(redisTok)),
		"base64 offset 1":      "auth " + base64.StdEncoding.EncodeToString([]byte("A"+redisTok+"tail")),
		"base64 offset 2":      "auth " + base64.StdEncoding.EncodeToString([]byte("AB"+redisTok)),
		"ecr style token":      "docker login -p " + base64.StdEncoding.EncodeToString([]byte("AWS:"+sessionTok)),
		"base64 url alphabet":  "t=" + base64.RawURLEncoding.EncodeToString([]byte("xy"+awsSecret)),
		"two secrets touching": awsSecret + redisTok,
		"multi line":           "line 1\nline 2 " + redisTok + "\nline 3",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := r.String(in)
			for _, s := range []string{awsSecret, sessionTok, redisTok, passphrase, "horse", "r3dis-AUTH", "EXAMPLEKEY"} {
				if strings.Contains(out, s) {
					t.Errorf("%q still in %q", s, out)
				}
			}
			if !strings.Contains(out, redact.Marker) {
				t.Errorf("no marker in %q", out)
			}
		})
	}
	// Decoding the base64 output does not give the secret back either.
	out := r.String(base64.StdEncoding.EncodeToString([]byte("AWS:" + sessionTok)))
	for _, part := range strings.Split(out, redact.Marker) {
		dec, _ := base64.StdEncoding.DecodeString(part + strings.Repeat("=", (4-len(part)%4)%4))
		if strings.Contains(string(dec), "sessiontoken") {
			t.Errorf("a part %q decodes to %q", part, dec)
		}
	}
}

// Each pattern, on its own, with what must be kept around the value.
func TestPatterns(t *testing.T) {
	r := (*redact.Redactor)(nil) // patterns only
	cases := []struct{ name, in, want string }{
		{"aws key id", "using key AKIAIOSFODNN7EXAMPLE for eu-central-1", "using key [redacted] for eu-central-1"},
		{"aws temporary key id", `"AccessKeyId": "ASIAXXXXXXXXXXXXXXXX",`, `"AccessKeyId": "[redacted]",`},
		{"aws secret ini", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = [redacted]"},
		{"aws secret env", "AWS_SECRET_ACCESS_KEY=abc123def456 next", "AWS_SECRET_ACCESS_KEY=[redacted] next"},
		{"aws session token env", "AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr//////////wEaD", "AWS_SESSION_TOKEN=[redacted]"},
		{"sdk json", `{"SecretAccessKey":"s3cr3t/value+x","SessionToken":"tok/en=="}`, `{"SecretAccessKey":"[redacted]","SessionToken":"[redacted]"}`},
		{"password equals", "connect: host=db user=app password=hunter2!x dbname=book_me", "connect: host=db user=app password=[redacted] dbname=book_me"},
		{"password colon space", "DB_PASSWORD: s3cret-value", "DB_PASSWORD: [redacted]"},
		{"password json", `{"username":"app","password":"p@ss w0rd \"quoted\""}`, `{"username":"app","password":"[redacted]"}`},
		{"password escaped json", `detail: {\"password\":\"hunter2hunter2\"}`, `detail: {\"password\":\"[redacted]\"}`},
		{"passphrase hcl", `  passphrase = "correct horse battery staple"`, `  passphrase = "[redacted]"`},
		{"go struct", "creds {User:app Password:hunter2hunter2}", "creds {User:app Password:[redacted]}"},
		{"django secret key", "SECRET_KEY=django-insecure-0123456789", "SECRET_KEY=[redacted]"},
		{"api key", "api_key: 'sk_live_0123456789'", "api_key: '[redacted]'"},
		{"query token", "GET /ws/?token=eyJhbGciOi.eyJzdWIi.sig HTTP/1.1", "GET /ws/?token=[redacted] HTTP/1.1"},
		{"authorization header", "Authorization: AWS4-HMAC-SHA256 Credential=X/20260101/eu-central-1/s3/aws4_request, Signature=abcdef", "Authorization: [redacted]"},
		{"authorization curl", `curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA==" https://x`, `curl -H "Authorization: [redacted]" https://x`},
		{"bearer", "sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123 upstream", "sent Bearer [redacted] upstream"},
		{"postgres url", "DATABASE_URL=postgres://book_me:Xy9-secret@db.internal:5432/book_me", "DATABASE_URL=postgres://book_me:[redacted]@db.internal:5432/book_me"},
		{"redis url no user", "CELERY_BROKER_URL=rediss://:tok3n-value@cache:6379/0", "CELERY_BROKER_URL=rediss://:[redacted]@cache:6379/0"},
		{"url with @ in password", "https://u:p@ss@host/x", "https://u:[redacted]@host/x"},
		{"private key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----\nafter",
			"key:\n-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----\nafter"},
		{"private key one line", `{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"}`,
			`{"private_key":"-----BEGIN PRIVATE KEY-----[redacted]-----END PRIVATE KEY-----\n"}`},
		{"openssh key unterminated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\ntruncated", "-----BEGIN OPENSSH PRIVATE KEY-----[redacted]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.String(c.in); got != c.want {
				t.Errorf("\n in: %s\ngot: %s\nwant: %s", c.in, got, c.want)
			}
		})
	}
}

// Near misses pass through unchanged, byte for byte.
func TestNearMissesUnchanged(t *testing.T) {
	r := mustNew(t, awsSecret, redisTok)
	for _, in := range []string{
		"commit c0ffee0123456789abcdef0123456789abcdef01 deployed",
		"123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:2222222222222222222222222222222222222222222222222222222222222222",
		"arn:aws:ecs:eu-central-1:123456789012:task-definition/bookme-api:42",
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret:bookme-staging-app-AbCdEf",
		"arn:aws:iam::123456789012:role/bookme-deploy",
		"https://api.staging.book-me.example.com:443/health?x=1#top",
		"postgres://db.internal:5432/book_me",
		"ssh://git@github.com/org/repo.git",
		"git@github.com:org/repo.git",
		"FATAL: password authentication failed for user \"book_me_api\"",
		"password = (sensitive value)",
		"token: null, secret: true",
		"password=******** accepted",
		"AKIAIOSFODNN7EXAMPL (19 chars, not a key id)",
		"timezone Asia/Tokyo, AKIAS are birds",
		"max_tokens=5 tokenizer=bpe secretsmanager:GetSecretValue",
		"the bearer of bad news",
		"WWW-Authenticate: Bearer realm=\"api\"",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
		"ordinary log line 2026-11-26T10:00:00Z GET /api/bookings 200 12ms",
		"",
	} {
		if got := r.String(in); got != in {
			t.Errorf("changed:\n in: %s\ngot: %s", in, got)
		}
	}
}

// Redacting twice gives the same text (markers are never redacted again).
func TestIdempotent(t *testing.T) {
	r := mustNew(t, redisTok)
	in := "password=" + redisTok + " postgres://u:pw12345@h/db AKIAIOSFODNN7EXAMPLE Authorization: Bearer abcdefgh12345678"
	once := r.String(in)
	if twice := r.String(once); twice != once {
		t.Errorf("once:  %s\ntwice: %s", once, twice)
	}
}

func TestAddRefusesShortValuesWithoutNamingThem(t *testing.T) {
	r, err := redact.New("", "abc12", "long-enough-secret")
	if !errors.Is(err, redact.ErrTooShort) || strings.Contains(err.Error(), "abc12") {
		t.Fatalf("error %v", err)
	}
	if r.Len() != 1 {
		t.Errorf("Len %d, want 1", r.Len())
	}
	if got := r.String("abc12 long-enough-secret"); got != "abc12 "+redact.Marker {
		t.Errorf("got %q", got)
	}
	if err := r.Add("  padded-secret-value\n"); err != nil {
		t.Fatal(err)
	}
	if got := r.String("x padded-secret-value y"); got != "x "+redact.Marker+" y" {
		t.Errorf("trimmed form not registered: %q", got)
	}
	// A secret of several lines: each long line is registered too (a Writer sees one line at a time).
	if err := r.Add("-----first-line-of-it\nsecond-line-of-it\nend"); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w := redact.NewWriter(&b, r)
	fmt.Fprint(w, "a -----first-line-of-it\n")
	fmt.Fprint(w, "second-line-of-it\nend b\n")
	if got := b.String(); got != "a [redacted]\n[redacted]\nend b\n" {
		t.Errorf("multi-line secret through a Writer: %q", got)
	}
	var nilR *redact.Redactor
	if err := nilR.Add("whatever-secret"); err != nil || nilR.Len() != 0 {
		t.Error("Add on nil should do nothing")
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	r := mustNew(t, redisTok)
	cause := context.DeadlineExceeded
	err := r.Error(fmt.Errorf("auth %s: %w", redisTok, cause))
	if strings.Contains(err.Error(), redisTok) || !errors.Is(err, cause) {
		t.Errorf("%v (is deadline: %v)", err, errors.Is(err, cause))
	}
	plain := errors.New("nothing secret")
	if r.Error(plain) != plain || r.Error(nil) != nil {
		t.Error("an error with nothing to redact should be returned as is")
	}
}

func TestContext(t *testing.T) {
	r := mustNew(t, redisTok)
	ctx := redact.NewContext(context.Background(), r)
	if redact.From(ctx) != r || redact.From(context.Background()) != nil {
		t.Fatal("From")
	}
	if got := redact.From(context.Background()).String("password=abcdefgh"); got != "password=[redacted]" {
		t.Errorf("nil redactor should apply the patterns: %q", got)
	}
}

// Do gives f a Redactor to register what it reads, and redacts what f returns with it.
func TestDo(t *testing.T) {
	out, err := redact.Do(context.Background(), func(ctx context.Context) (string, error) {
		if err := redact.From(ctx).Add(redisTok); err != nil {
			return "", err
		}
		return "report " + redisTok, fmt.Errorf("step failed: AUTH %s refused", redisTok)
	})
	if out != "report [redacted]" || err == nil || err.Error() != "step failed: AUTH [redacted] refused" {
		t.Errorf("Do: %q, %v", out, err)
	}
	r := mustNew(t, awsSecret)
	out, _ = redact.Do(redact.NewContext(context.Background(), r), func(ctx context.Context) (string, error) {
		if redact.From(ctx) != r {
			t.Error("Do should keep the context's Redactor")
		}
		return awsSecret, nil
	})
	if out != redact.Marker {
		t.Errorf("Do with the context's Redactor: %q", out)
	}
}

func TestFound(t *testing.T) {
	cfg := `key_provider "pbkdf2" "main" {
  passphrase = "a long state passphrase 0123"
}
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`
	got := strings.Join(redact.Found(cfg), "|")
	want := "a long state passphrase 0123|AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if got != want {
		t.Errorf("Found = %q, want %q", got, want)
	}
}

// The state encryption configuration ci/ reads (TF_ENCRYPTION): Found gives its passphrase alone.
func TestFoundInStateEncryption(t *testing.T) {
	const pass = "state-passphrase-0123456789abcdef"
	if got := redact.Found(emulator.StateEncryption(pass)); len(got) != 1 || got[0] != pass {
		t.Errorf("Found = %q, want the passphrase only", got)
	}
}

type inner struct {
	Msg   string
	Lines []string
}

type outer struct {
	Name   string
	Ptr    *inner
	ByName map[string]string
	Items  []inner
	Any    any
	hidden string
}

func TestScrub(t *testing.T) {
	r := mustNew(t, redisTok)
	v := &outer{Name: "n " + redisTok, Ptr: &inner{Msg: "password=abcdefgh", Lines: []string{redisTok}},
		ByName: map[string]string{"k": redisTok}, Items: []inner{{Msg: redisTok}}, Any: "x " + redisTok, hidden: redisTok}
	r.Scrub(v)
	b, _ := json.Marshal(v)
	if strings.Contains(string(b), redisTok) || strings.Contains(string(b), "abcdefgh") {
		t.Errorf("scrubbed value still holds a secret: %s", b)
	}
	if v.hidden != redisTok {
		t.Error("unexported fields are not touched")
	}
}

// A Writer catches a secret split across writes and a key block spread over writes.
func TestWriterSplitAcrossWrites(t *testing.T) {
	r := mustNew(t, redisTok)
	var out strings.Builder
	w := redact.NewWriter(&out, r)
	text := "start\nauth " + redisTok + " ok\npass" + "word=hunter2hunter2\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\nsecretline\n-----END EC PRIVATE KEY-----\ntail no newline"
	for i := 0; i < len(text); i += 3 {
		if _, err := w.Write([]byte(text[i:min(i+3, len(text))])); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(out.String(), "tail") {
		t.Error("a partial line was written before Flush")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "start\nauth [redacted] ok\npassword=[redacted]\n-----BEGIN EC PRIVATE KEY-----[redacted]-----END EC PRIVATE KEY-----\ntail no newline"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// Many goroutines redact while secrets are added (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := mustNew(t)
	var out strings.Builder
	w := redact.NewWriter(&syncWriter{w: &out}, r)
	var wg sync.WaitGroup
	secrets := make([]string, 16)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("concurrent-secret-%02d-value", i)
	}
	for i := range secrets {
		wg.Add(2)
		go func() { defer wg.Done(); _ = r.Add(secrets[i]) }()
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_ = r.String("x " + secrets[(i+j)%len(secrets)] + " password=abcdefgh")
				fmt.Fprintf(w, "line %d %d\n", i, j)
			}
		}()
	}
	wg.Wait()
	for _, s := range secrets {
		if got := r.String("a " + s); got != "a "+redact.Marker {
			t.Errorf("after every Add: %q", got)
		}
	}
	if n := strings.Count(out.String(), "\n"); n != 16*50 {
		t.Errorf("%d lines written, want %d", n, 16*50)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
