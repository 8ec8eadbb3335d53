//go:build integration

package workflows

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// These tests run .github/scripts/plan-comment.js under node with the real GitHub client that
// actions/github-script hands to scripts (@actions/github 6, Octokit with pagination and REST methods), pointed
// at fakeGitHub: a scripted fake of the three REST endpoints the script uses, speaking GitHub's wire protocol
// (JSON bodies, Link-header pagination, 422 on bodies over 65 536 characters). GitHub itself cannot be reached
// from tests.

const actionsGitHubVersion = "6.0.1"

// nodeModules installs @actions/github into the cache (outside the repository) once and returns its
// node_modules directory.
func nodeModules(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the plan-comment script cannot be tested (apt-get install nodejs npm)")
	}
	cache := os.Getenv("BOOKME_CACHE")
	if cache == "" {
		cache = "/var/cache/bookme-deploy"
	}
	dir := filepath.Join(cache, "node-actions-github")
	pkg := filepath.Join(dir, "node_modules", "@actions", "github", "package.json")
	if b, err := os.ReadFile(pkg); err == nil && strings.Contains(string(b), `"version": "`+actionsGitHubVersion+`"`) {
		return filepath.Join(dir, "node_modules")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "@actions/github@"+actionsGitHubVersion)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install @actions/github@%s failed (%v): it is the client actions/github-script uses\n%s", actionsGitHubVersion, err, out)
	}
	return filepath.Join(dir, "node_modules")
}

type ghComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// fakeGitHub serves list/create/update of issue comments for one pull request.
type fakeGitHub struct {
	mu       sync.Mutex
	comments []ghComment
	nextID   int64
	calls    []string // "GET page=1", "POST", "PATCH 12"
	srv      *httptest.Server
}

func newFakeGitHub(t *testing.T, owner, repo string, pr int) *fakeGitHub {
	f := &fakeGitHub{nextID: 1000}
	list := fmt.Sprintf("/repos/%s/%s/issues/%d/comments", owner, repo, pr)
	update := regexp.MustCompile(fmt.Sprintf(`^/repos/%s/%s/issues/comments/(\d+)$`, owner, repo))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "token fake-token" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == list:
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if page < 1 {
				page = 1
			}
			per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			if per < 1 {
				per = 30
			}
			f.calls = append(f.calls, fmt.Sprintf("GET page=%d", page))
			lo, hi := (page-1)*per, page*per
			lo, hi = min(lo, len(f.comments)), min(hi, len(f.comments))
			if hi < len(f.comments) {
				w.Header().Set("Link", fmt.Sprintf(`<%s%s?per_page=%d&page=%d>; rel="next"`, f.srv.URL, list, per, page+1))
			}
			json.NewEncoder(w).Encode(f.comments[lo:hi])
		case r.Method == http.MethodPost && r.URL.Path == list:
			f.calls = append(f.calls, "POST")
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			f.nextID++
			c := ghComment{ID: f.nextID, Body: body}
			f.comments = append(f.comments, c)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(c)
		case r.Method == http.MethodPatch && update.MatchString(r.URL.Path):
			id, _ := strconv.ParseInt(update.FindStringSubmatch(r.URL.Path)[1], 10, 64)
			f.calls = append(f.calls, fmt.Sprintf("PATCH %d", id))
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			for i := range f.comments {
				if f.comments[i].ID == id {
					f.comments[i].Body = body
					json.NewEncoder(w).Encode(f.comments[i])
					return
				}
			}
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		default:
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// readBody decodes {"body": ...} and enforces GitHub's comment size limit (in characters).
func readBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	raw, _ := io.ReadAll(r.Body)
	var in struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		http.Error(w, `{"message":"Problems parsing JSON"}`, http.StatusBadRequest)
		return "", false
	}
	if n := len([]rune(in.Body)); n > 65536 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}]}`)
		return "", false
	}
	return in.Body, true
}

func (f *fakeGitHub) markerComments() []ghComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ghComment
	for _, c := range f.comments {
		if strings.HasPrefix(c.Body, "<!-- bookme-plan -->") {
			out = append(out, c)
		}
	}
	return out
}

// driver is what the github-script step does, with the client built by @actions/github's getOctokit.
const driver = `
const { getOctokit } = require('@actions/github');
const planComment = require(process.env.SCRIPT);
const github = getOctokit('fake-token', { baseUrl: process.env.API_URL });
const context = {
  payload: { pull_request: { number: 7, head: { sha: '0123456789abcdef0123' } } },
  repo: { owner: 'acme', repo: 'bookme' },
  serverUrl: 'https://github.example', runId: 4242,
};
const core = { info: (m) => process.stderr.write(m + '\n') };
planComment.run({ github, context, core })
  .then((r) => process.stdout.write(JSON.stringify(r)))
  .catch((e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1); });
`

type runResult struct {
	Action    string `json:"action"`
	ID        int64  `json:"id"`
	Length    int    `json:"length"`
	Truncated bool   `json:"truncated"`
}

// runScript runs plan-comment.js once with the given plan text and outcome.
func runScript(t *testing.T, f *fakeGitHub, plan, outcome string) runResult {
	t.Helper()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.md")
	if err := os.WriteFile(planFile, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	driverFile := filepath.Join(dir, "driver.js")
	if err := os.WriteFile(driverFile, []byte(driver), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", driverFile)
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+nodeModules(t),
		"SCRIPT="+filepath.Join(repoRoot(t), ".github", "scripts", "plan-comment.js"),
		"API_URL="+f.srv.URL,
		"PLAN_FILE="+planFile,
		"PLAN_OUTCOME="+outcome,
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plan-comment.js failed: %v\n%s", err, stderr.String())
	}
	var r runResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("bad driver output %q: %v", out, err)
	}
	return r
}

func TestPlanCommentIsCreatedThenUpdatedInPlace(t *testing.T) {
	f := newFakeGitHub(t, "acme", "bookme", 7)
	// 130 unrelated comments: the plan comment lands on the second page of 100, so finding it needs pagination.
	for i := 0; i < 130; i++ {
		f.comments = append(f.comments, ghComment{ID: int64(i + 1), Body: fmt.Sprintf("review comment %d", i)})
	}

	first := runScript(t, f, "## Plan\n\n```\n+ aws_s3_bucket.client\n```\n", "success")
	if first.Action != "created" {
		t.Fatalf("first run: %+v, want a created comment", first)
	}
	got := f.markerComments()
	if len(got) != 1 || !strings.Contains(got[0].Body, "+ aws_s3_bucket.client") || !strings.Contains(got[0].Body, "`0123456789ab`") {
		t.Fatalf("after the first run the PR has %d plan comments: %+v", len(got), got)
	}

	second := runScript(t, f, "## Plan\n\nNo changes.\n", "success")
	if second.Action != "updated" || second.ID != first.ID {
		t.Fatalf("second run: %+v, want an update of comment %d", second, first.ID)
	}
	got = f.markerComments()
	if len(got) != 1 || strings.Contains(got[0].Body, "aws_s3_bucket.client") || !strings.Contains(got[0].Body, "No changes.") {
		t.Fatalf("after the second run: %d plan comments, %+v", len(got), got)
	}
	if len(f.comments) != 131 {
		t.Errorf("the PR has %d comments, want 131 (130 others + one plan comment)", len(f.comments))
	}
	// The second run must have read page 2 to find the comment, and must not have posted.
	calls := strings.Join(f.calls, ",")
	if strings.Count(calls, "POST") != 1 || !strings.Contains(calls, "GET page=2") {
		t.Errorf("API calls = %s, want one POST overall and pagination to page 2", calls)
	}

	failed := runScript(t, f, "", "failure")
	if failed.Action != "updated" {
		t.Fatalf("failed-plan run: %+v", failed)
	}
	if body := f.markerComments()[0].Body; !strings.Contains(body, "ended with **failure**") || !strings.Contains(body, "https://github.example/acme/bookme/actions/runs/4242") {
		t.Errorf("a failed plan must say so and link the run:\n%s", body)
	}
}

func TestPlanCommentTruncatesUnderGitHubLimit(t *testing.T) {
	f := newFakeGitHub(t, "acme", "bookme", 7)

	// ~300 000 characters in a code fence, with multi-byte characters so that characters != bytes.
	var b strings.Builder
	b.WriteString("## Plan: 3000 changes\n\n```diff\n")
	var lines []string
	for i := 0; len(lines) < 3000; i++ {
		l := fmt.Sprintf("+ module.backend.aws_ecs_service.api[%04d] ~ tags.Owner = \"équipe-ü-%s\"", i, strings.Repeat("x", 40))
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	b.WriteString("```\n")
	plan := b.String()

	r := runScript(t, f, plan, "success")
	if r.Action != "created" || !r.Truncated {
		t.Fatalf("%+v, want a created, truncated comment", r)
	}
	body := f.markerComments()[0].Body
	n := len([]rune(body))
	if n > 65536 || n < 60000 {
		t.Fatalf("comment has %d characters, want close to but at most 65536", n)
	}
	if c := strings.Count(body, "\n```"); c%2 != 0 {
		t.Errorf("the truncated comment leaves a code fence open (%d fence lines)", c)
	}
	m := regexp.MustCompile(`Truncated: showing (\d+) of (\d+) lines`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no truncation note in the comment tail:\n%s", body[len(body)-400:])
	}
	if m[2] != strconv.Itoa(len(lines)+4) {
		t.Errorf("note says %s lines in all, the plan has %d", m[2], len(lines)+4)
	}
	// Cut on a line boundary: every plan line in the comment is a whole line of the plan.
	shown := 0
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "+ module.") {
			if !strings.HasSuffix(l, `"`) || !strings.Contains(plan, l+"\n") {
				t.Fatalf("line cut in the middle: %q", l)
			}
			shown++
		}
	}
	if want, _ := strconv.Atoi(m[1]); shown+3 != want {
		t.Errorf("note says %d lines shown, the comment holds %d plan lines (+3 heading/fence lines)", want, shown)
	}
	if !strings.HasSuffix(body, "._\n") || !strings.Contains(body, "job summary") {
		t.Errorf("the footer is missing after truncation:\n%s", body[len(body)-300:])
	}
}

// TestPlanCommentEdgeCases renders bodies directly: one enormous line (no line boundary to cut at), a line of
// astral characters cut at the limit, and a short plan left untouched.
func TestPlanCommentEdgeCases(t *testing.T) {
	script := filepath.Join(repoRoot(t), ".github", "scripts", "plan-comment.js")
	eval := `
const p = require(process.argv[1]);
const out = {};
const one = p.renderComment('x'.repeat(100000), { runUrl: 'https://github.example/r' });
out.oneLen = one.body.length; out.oneTrunc = one.truncated;
const emoji = p.renderComment('😀'.repeat(40000), {});
out.emojiLen = emoji.body.length; out.emojiLoneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(emoji.body);
const short = p.renderComment('No changes.\n', {});
out.short = short.body; out.shortTrunc = short.truncated;
process.stdout.write(JSON.stringify(out));
`
	cmd := exec.Command("node", "-e", eval, script)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var out struct {
		OneLen             int    `json:"oneLen"`
		OneTrunc           bool   `json:"oneTrunc"`
		EmojiLen           int    `json:"emojiLen"`
		EmojiLoneSurrogate bool   `json:"emojiLoneSurrogate"`
		Short              string `json:"short"`
		ShortTrunc         bool   `json:"shortTrunc"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.OneTrunc || out.OneLen > 65536 {
		t.Errorf("one 100 000-character line: truncated=%v length=%d, want truncated under 65536", out.OneTrunc, out.OneLen)
	}
	if out.EmojiLen > 65536 || out.EmojiLoneSurrogate {
		t.Errorf("astral characters: length %d, lone surrogate %v", out.EmojiLen, out.EmojiLoneSurrogate)
	}
	if out.ShortTrunc || !strings.HasPrefix(out.Short, "<!-- bookme-plan -->\n") || !strings.Contains(out.Short, "\nNo changes.\n") {
		t.Errorf("a short plan must pass unchanged after the marker and heading:\n%s", out.Short)
	}
}
