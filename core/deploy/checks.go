package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"bookme-deploy/core/lock"
)

// NewRunID names one run: UTC time and 12 random hex digits.
func NewRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// StateBucketName is the default OpenTofu state bucket of an account (infra/bootstrap creates it).
func StateBucketName(accountID string) string { return "book-me-tofu-state-" + accountID }

// LockKey is the deploy lock's key in the state bucket. The lock lives in the state bucket, which
// exists before the first deploy (the config bucket is created by the base stack, after the lock
// must already be held).
func LockKey(env string) string { return lock.KeyFor(env) }

// LockOptions are an environment's deploy lock options.
func LockOptions(env, stateBucket string, t Timeouts) lock.Options {
	t = t.withDefaults()
	return lock.Options{Bucket: stateBucket, Key: LockKey(env), Poll: t.LockPoll, Timeout: t.Lock, TTL: t.LockTTL}
}

// Commit decides which commit a run deploys or publishes: the given one, else HEAD; a working tree
// with uncommitted changes is refused unless allowDirty (the image tag would not describe it).
// gitErr is the error of reading the tree's state: fatal only when no commit is given.
func Commit(given, head string, dirty []string, gitErr error, allowDirty bool) (string, error) {
	if gitErr != nil {
		if given == "" {
			return "", fmt.Errorf("git: the source is not a git checkout with a commit (pass --git-sha): %w", gitErr)
		}
		return given, nil
	}
	if len(dirty) > 0 && !allowDirty {
		return "", fmt.Errorf("the working tree has uncommitted changes (%s); commit them or pass --allow-dirty (the image tag would not describe what is deployed)", strings.Join(dirty, ", "))
	}
	sha := given
	if sha == "" {
		sha = head
	}
	if sha == "" {
		return "", fmt.Errorf("no commit: the source is not a git checkout with a commit; pass --git-sha")
	}
	return sha, nil
}

// Who is who deploys: the given name, else "local".
func Who(given string) string {
	if strings.TrimSpace(given) == "" {
		return "local"
	}
	return given
}

// Short is a commit's first 12 digits.
func Short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// ParseGitState reads `git rev-parse HEAD && git status --porcelain --untracked-files=no`: the
// commit and the tracked files with uncommitted changes.
func ParseGitState(out string) (head string, dirty []string) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			dirty = append(dirty, l)
		}
	}
	return strings.TrimSpace(lines[0]), dirty
}
