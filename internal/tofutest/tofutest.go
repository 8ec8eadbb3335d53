// Package tofutest runs OpenTofu in tests: it finds the tofu binary and the provider mirror,
// copies infra/ into a temporary directory, writes files into it (the override files and backend
// configuration that point OpenTofu at moto come from core/emulator) and runs tofu commands with
// timing.
// It is imported only by tests; a missing tool fails the test (never skips it).
package tofutest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DefaultTofu is where the Dagger harness set-up builds OpenTofu 1.12 on the project's machines (the stacks
// need ≥ 1.11: write-only arguments, ephemeral resources).
const DefaultTofu = "/var/cache/dagger-harness/libexec/tofu-1.12"

// DefaultMirror is where scripts/provider-mirror builds the AWS provider.
const DefaultMirror = "/var/cache/bookme-deploy/provider-mirror"

// Binary returns the tofu binary: $TOFU, else DefaultTofu, else tofu on PATH.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TOFU"); p != "" {
		return p
	}
	if _, err := os.Stat(DefaultTofu); err == nil {
		return DefaultTofu
	}
	p, err := exec.LookPath("tofu")
	if err != nil {
		t.Fatalf("tofutest: no tofu binary: set TOFU, or build OpenTofu into %s, or put tofu on PATH", DefaultTofu)
	}
	return p
}

// Mirror returns the provider mirror directory ($BOOKME_PROVIDER_MIRROR, else DefaultMirror) and
// fails the test when it holds no hashicorp/aws provider binary.
func Mirror(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BOOKME_PROVIDER_MIRROR")
	if dir == "" {
		dir = DefaultMirror
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "registry.opentofu.org", "hashicorp", "aws", "*", "*", "terraform-provider-aws_*"))
	for _, m := range matches {
		if !strings.HasSuffix(m, ".tmp") {
			return dir
		}
	}
	t.Fatalf("tofutest: no AWS provider in the mirror %s: run scripts/provider-mirror (or set BOOKME_PROVIDER_MIRROR)", dir)
	return ""
}

// WriteCLIConfig writes a CLI configuration that installs providers only from the mirror
// (OpenTofu's filesystem_mirror layout) and returns its path.
func WriteCLIConfig(t testing.TB, mirror string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tofu.rc")
	cfg := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.opentofu.org/hashicorp/*\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatalf("tofutest: %v", err)
	}
	return path
}

// Tofu runs one tofu binary in one working directory.
type Tofu struct {
	Bin string
	Dir string
	// Env is added to the process environment (TF_CLI_CONFIG_FILE, credentials, TF_ENCRYPTION...).
	Env []string
	// Log receives the combined output of every command (nil: discarded).
	Log io.Writer
}

// New returns a Tofu for dir with the mirror-only CLI config and automation settings.
func New(t testing.TB, dir string) *Tofu {
	t.Helper()
	return &Tofu{
		Bin: Binary(t),
		Dir: dir,
		Env: []string{
			"TF_CLI_CONFIG_FILE=" + WriteCLIConfig(t, Mirror(t)),
			"TF_IN_AUTOMATION=1",
			"TF_INPUT=0",
			"CHECKPOINT_DISABLE=1",
		},
	}
}

// Result is the outcome of one tofu command.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	Duration time.Duration
}

// Run runs `tofu args...` and returns its outcome; err is set only when tofu could not run.
func (tf *Tofu) Run(ctx context.Context, args ...string) (*Result, error) {
	cmd := exec.CommandContext(ctx, tf.Bin, args...)
	cmd.Dir = tf.Dir
	cmd.Env = append(os.Environ(), tf.Env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if tf.Log != nil {
		cmd.Stdout = io.MultiWriter(&out, tf.Log)
		cmd.Stderr = io.MultiWriter(&errb, tf.Log)
	}
	start := time.Now()
	err := cmd.Run()
	r := &Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), Duration: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
		return r, nil
	}
	return r, err
}

// Must runs `tofu args...` and fails the test unless it exits 0.
func (tf *Tofu) Must(t testing.TB, args ...string) *Result {
	t.Helper()
	r, err := tf.Run(context.Background(), args...)
	if err != nil {
		t.Fatalf("tofu %s in %s: %v", strings.Join(args, " "), tf.Dir, err)
	}
	if r.ExitCode != 0 {
		t.Fatalf("tofu %s in %s: exit %d\n%s\n%s", strings.Join(args, " "), tf.Dir, r.ExitCode, tail(r.Stdout, 6000), tail(r.Stderr, 6000))
	}
	return r
}

func tail(b []byte, n int) string {
	if len(b) > n {
		return "…" + string(b[len(b)-n:])
	}
	return string(b)
}

// CopyTree copies src into a new temporary directory (skipping .terraform directories, state
// and lock files) and returns the copy's path.
func CopyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		name := d.Name()
		if strings.HasPrefix(name, "terraform.tfstate") || name == ".terraform.lock.hcl" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("tofutest: copy %s: %v", src, err)
	}
	return dst
}

// WriteFile writes a file (e.g. an override) into dir.
func WriteFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatalf("tofutest: %v", err)
	}
}
