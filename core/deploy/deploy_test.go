package deploy

// Unit tests of the deployment's decisions: no server, no build tag.

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/planfile"
	"bookme-deploy/core/release"
	"bookme-deploy/core/stack"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func validConfig() Config {
	return Config{Env: "staging", GitSHA: sha, StateBucket: "book-me-tofu-state-123456789012"}
}

func TestConfigValidateAccepts(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("a complete configuration was refused: %v", err)
	}
	c := validConfig()
	c.Planned = planfile.New("staging", sha, time.Now())
	if err := c.Validate(); err != nil {
		t.Errorf("a plan file without --stages was refused: %v", err)
	}
	c = validConfig()
	c.Stages = []string{"release"}
	if err := c.Validate(); err != nil {
		t.Errorf("--stages without a plan file was refused: %v", err)
	}
}

// Each problem is refused on its own, and every problem is named at once.
func TestConfigValidateEachProblem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no environment", func(c *Config) { c.Env = "" }, "no environment"},
		{"blank environment", func(c *Config) { c.Env = "  \t" }, "no environment"},
		{"no commit", func(c *Config) { c.GitSHA = "" }, "no commit"},
		{"no state bucket", func(c *Config) { c.StateBucket = "" }, "no OpenTofu state bucket"},
		{"stages with a plan file", func(c *Config) {
			c.Stages = []string{"smoke"}
			c.Planned = planfile.New("staging", sha, time.Now())
		}, "--stages and --plan-file cannot be combined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
	err := Config{Stages: []string{"smoke"}, Planned: planfile.New("", "", time.Now())}.Validate()
	if err == nil {
		t.Fatal("an empty configuration was accepted")
	}
	for _, want := range []string{"no environment", "no commit", "no OpenTofu state bucket", "cannot be combined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q (all problems at once)", err, want)
		}
	}
}

func TestCommit(t *testing.T) {
	gitErr := errors.New("fatal: not a git repository")
	for _, tc := range []struct {
		name       string
		given      string
		head       string
		dirty      []string
		gitErr     error
		allowDirty bool
		want       string
		wantErr    string
	}{
		{name: "head of a clean tree", head: "aaa111", want: "aaa111"},
		{name: "given sha wins over head", given: "bbb222", head: "aaa111", want: "bbb222"},
		{name: "dirty tree refused", head: "aaa111", dirty: []string{"M ci/main.go", "?? x"}, wantErr: "uncommitted changes (M ci/main.go, ?? x)"},
		{name: "dirty tree refused with a given sha too", given: "bbb222", head: "aaa111", dirty: []string{"M a"}, wantErr: "--allow-dirty"},
		{name: "dirty tree allowed", head: "aaa111", dirty: []string{"M a"}, allowDirty: true, want: "aaa111"},
		{name: "dirty tree allowed, given wins", given: "bbb222", head: "aaa111", dirty: []string{"M a"}, allowDirty: true, want: "bbb222"},
		{name: "git error without a given sha is fatal", gitErr: gitErr, wantErr: "pass --git-sha"},
		{name: "git error with a given sha is not", given: "bbb222", gitErr: gitErr, want: "bbb222"},
		{name: "git error with a given sha ignores the dirty list", given: "bbb222", gitErr: gitErr, dirty: []string{"M a"}, want: "bbb222"},
		{name: "no head and nothing given", wantErr: "no commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Commit(tc.given, tc.head, tc.dirty, tc.gitErr, tc.allowDirty)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %q, want an error naming %q", got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q does not name %q", err, tc.wantErr)
				}
				if tc.gitErr != nil && !errors.Is(err, tc.gitErr) {
					t.Errorf("error %q does not wrap git's", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWho(t *testing.T) {
	for given, want := range map[string]string{"": "local", "   ": "local", "\t\n": "local", "alice": "alice", "github-actions[bot]": "github-actions[bot]"} {
		if got := Who(given); got != want {
			t.Errorf("Who(%q) = %q, want %q", given, got, want)
		}
	}
}

func TestStateBucketNameAndLockKey(t *testing.T) {
	if got := StateBucketName("123456789012"); got != "book-me-tofu-state-123456789012" {
		t.Errorf("StateBucketName = %q", got)
	}
	if got := LockKey("staging"); got != "deploy/staging/lock.json" {
		t.Errorf("LockKey(staging) = %q", got)
	}
	if LockKey("staging") == LockKey("production") {
		t.Error("two environments share one lock")
	}
	o := LockOptions("production", "state", Timeouts{})
	if o.Bucket != "state" || o.Key != "deploy/production/lock.json" || o.Timeout != 10*time.Minute || o.Poll != 5*time.Second {
		t.Errorf("LockOptions with default timeouts: %+v", o)
	}
	o = LockOptions("production", "state", Timeouts{Lock: time.Second, LockPoll: 10 * time.Millisecond})
	if o.Timeout != time.Second || o.Poll != 10*time.Millisecond {
		t.Errorf("LockOptions ignores the given timeouts: %+v", o)
	}
}

func TestStatsNoOp(t *testing.T) {
	if !(Stats{}).NoOp() {
		t.Error("zero stats are not a no-op")
	}
	if !(Stats{TofuResourceChange: 3}).NoOp() {
		t.Error("OpenTofu's changes are counted apart, not in NoOp")
	}
	for name, s := range map[string]Stats{
		"image pushed":      {ImagePushed: true},
		"env file uploaded": {EnvFileUploaded: true},
		"registered":        {Registered: 2},
		"uploaded":          {ObjectsUploaded: 1},
		"deleted":           {ObjectsDeleted: 1},
		"invalidation":      {Invalidations: 1},
	} {
		if s.NoOp() {
			t.Errorf("%s: counted as a no-op", name)
		}
	}
	// Bytes alone come with uploads; they do not decide.
	if !(Stats{BytesUploaded: 10}).NoOp() {
		t.Error("bytes without objects uploaded count as a change")
	}
}

// stubTofu satisfies the port; unit tests never call it.
type stubTofu struct{}

func (stubTofu) Plan(context.Context, string, map[string]any) (*TofuPlan, error) {
	return nil, errors.New("not in unit tests")
}
func (stubTofu) Apply(context.Context, *TofuPlan) ([]byte, error) {
	return nil, errors.New("not in unit tests")
}
func (stubTofu) Outputs(context.Context, string) ([]byte, error) {
	return nil, errors.New("not in unit tests")
}

func ports() Ports { return Ports{S3: s3.New(s3.Options{Region: "eu-central-1"}), Tofu: stubTofu{}} }

var runIDRE = regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{12}$`)

func TestNewDefaults(t *testing.T) {
	d, err := New(validConfig(), ports())
	if err != nil {
		t.Fatal(err)
	}
	c := d.Config()
	if c.Layout != DefaultLayout || c.Layout.APIDir != "examples/bookme/api" || c.Layout.ServiceConfigDir != "service-config/api" {
		t.Errorf("layout %+v, want the reference app's", c.Layout)
	}
	if !runIDRE.MatchString(c.RunID) {
		t.Errorf("run id %q is not UTC time and 12 hex digits", c.RunID)
	}
	if c.Who != "local" {
		t.Errorf("who %q, want local", c.Who)
	}
	if d.timeouts.Lock != 10*time.Minute || d.timeouts.Invalidation != 20*time.Minute {
		t.Errorf("timeouts %+v lack the defaults", d.timeouts)
	}
	if d.HoldsLock() || d.Record() != nil || d.Image() != "" || d.BundleDir() != "" {
		t.Error("New read or changed something")
	}
	if p := d.Fingerprints(); p.Environment != "staging" || p.GitSHA != sha || len(p.Parts) != 0 {
		t.Errorf("fingerprints %+v", p)
	}
	d2, err := New(validConfig(), ports())
	if err != nil {
		t.Fatal(err)
	}
	if d2.Config().RunID == c.RunID {
		t.Error("two deployments share a run id")
	}

	// Given values are kept.
	cfg := validConfig()
	cfg.RunID, cfg.Who = "run-1", "alice"
	cfg.Layout = Layout{APIDir: "api", ServiceConfigDir: "cfg"}
	cfg.Timeouts.Lock = time.Second
	d, err = New(cfg, ports())
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Config(); c.RunID != "run-1" || c.Who != "alice" || c.Layout.APIDir != "api" || d.timeouts.Lock != time.Second {
		t.Errorf("given values replaced: %+v", c)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(Config{}, ports()); err == nil {
		t.Error("an invalid configuration was accepted")
	}
	p := ports()
	p.S3 = nil
	if _, err := New(validConfig(), p); err == nil || !strings.Contains(err.Error(), "no S3 client") {
		t.Errorf("no S3 client: %v", err)
	}
	p = ports()
	p.Tofu = nil
	if _, err := New(validConfig(), p); err == nil || !strings.Contains(err.Error(), "no OpenTofu runner") {
		t.Errorf("no Tofu: %v", err)
	}
}

func reviewed() *planfile.File {
	f := planfile.New("staging", sha, time.Now())
	f.Set(planfile.PartTofuFrontend, "sha256:aaaa", "OpenTofu plan: no changes")
	return f
}

// part() under a reviewed plan: a drifted fingerprint is refused in apply mode (before the part is
// applied), only recorded in plan mode; a matching one passes; without a plan nothing is checked.
func TestPartChecksThePlanFile(t *testing.T) {
	newD := func(planned *planfile.File) *Deployment {
		cfg := validConfig()
		cfg.Planned = planned
		d, err := New(cfg, ports())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	d := newD(reviewed())
	err := d.part(planfile.PartTofuFrontend, "sha256:bbbb", "OpenTofu plan: 0 to create, 1 to update")
	var drift planfile.DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("apply mode, drifted: got %v, want a planfile.DriftError", err)
	}
	if len(drift) != 1 || drift[0].Part != planfile.PartTofuFrontend || drift[0].Now.Fingerprint != "sha256:bbbb" || drift[0].Planned.Fingerprint != "sha256:aaaa" {
		t.Errorf("drift %+v", drift)
	}
	if !strings.Contains(err.Error(), "tofu-frontend not applied") {
		t.Errorf("error %q does not say the part was not applied", err)
	}
	if p, ok := d.Fingerprints().Get(planfile.PartTofuFrontend); !ok || p.Fingerprint != "sha256:bbbb" {
		t.Errorf("the refused part's fingerprint was not recorded: %+v", p)
	}

	d = newD(reviewed())
	if err := d.part(planfile.PartTofuFrontend, "sha256:aaaa", "OpenTofu plan: no changes"); err != nil {
		t.Errorf("apply mode, matching: %v", err)
	}
	if err := d.part(planfile.PartImage, "sha256:cccc", "reuse x"); err == nil {
		t.Error("apply mode: a part the plan file lacks was accepted")
	}

	d = newD(reviewed())
	d.planOnly = true
	if err := d.part(planfile.PartTofuFrontend, "sha256:bbbb", "OpenTofu plan:\n 0 to create,  1 to update"); err != nil {
		t.Errorf("plan mode refused a drifted part: %v", err)
	}
	if p, _ := d.Fingerprints().Get(planfile.PartTofuFrontend); p.Fingerprint != "sha256:bbbb" || p.Summary != "OpenTofu plan: 0 to create, 1 to update" {
		t.Errorf("plan mode recorded %+v", p)
	}

	d = newD(nil)
	if err := d.part(planfile.PartRelease, "sha256:dddd", "bundle dddd"); err != nil {
		t.Errorf("no plan file: %v", err)
	}
	if p, ok := d.Fingerprints().Get(planfile.PartRelease); !ok || p.Fingerprint != "sha256:dddd" {
		t.Errorf("no plan file: not recorded: %+v", p)
	}
}

func TestSmallHelpers(t *testing.T) {
	if Short(sha) != "0123456789ab" || Short("abc") != "abc" {
		t.Error("Short")
	}
	if firstLine("\n one\ntwo\n") != "one" {
		t.Error("firstLine")
	}
	if fingerprint("x") == fingerprint("y") || !strings.HasPrefix(fingerprint("x"), "sha256:") {
		t.Error("fingerprint")
	}
}

// A release's revisions reference its own env file; without one (nothing rendered yet) the backend
// output's key, the templates' default.
func TestReleaseEnvFilesNameTheReleaseKey(t *testing.T) {
	b := &stack.Backend{ConfigBucket: "cfg", EnvFileKey: "service-config/api/staging.env"}
	got := releaseEnvFiles(b, "service-config/api/staging/0123456789abcdef.env")
	if len(got) != 1 || got[0].Type != ecstypes.EnvironmentFileTypeS3 || *got[0].Value != "arn:aws:s3:::cfg/service-config/api/staging/0123456789abcdef.env" {
		t.Errorf("release env files %+v", got)
	}
	if got := releaseEnvFiles(b, ""); *got[0].Value != "arn:aws:s3:::cfg/service-config/api/staging.env" {
		t.Errorf("default env file %s", *got[0].Value)
	}
}

func TestKeepReleasesDefaultsToTheSPAs(t *testing.T) {
	if got := (Config{}).keepReleases(); got != release.DefaultKeepReleases {
		t.Errorf("keep %d, want %d", got, release.DefaultKeepReleases)
	}
	if got := (Config{KeepReleases: 5}).keepReleases(); got != 5 {
		t.Errorf("keep %d, want 5", got)
	}
}
