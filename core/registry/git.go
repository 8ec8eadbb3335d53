package registry

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// DirtyCheck runs `git status --porcelain` in dir and returns the changed or untracked paths
// (empty when the tree is clean).
func DirtyCheck(dir string) ([]string, error) {
	out, err := git(dir, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 3 {
			paths = append(paths, strings.TrimSpace(line[3:]))
		}
	}
	return paths, nil
}

// RequireClean refuses a dirty work tree unless allowDirty: an image tagged with the commit must
// hold exactly that commit.
func RequireClean(dir string, allowDirty bool) error {
	paths, err := DirtyCheck(dir)
	if err != nil {
		return err
	}
	if len(paths) == 0 || allowDirty {
		return nil
	}
	shown := paths
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("… %d more", len(paths)-5))
	}
	return fmt.Errorf("the work tree has uncommitted changes (%s): commit or stash them, or pass --allow-dirty (the image tag would not match its content)", strings.Join(shown, ", "))
}

// HeadSHA returns the full commit id of HEAD in dir.
func HeadSHA(dir string) (string, error) {
	out, err := git(dir, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s in %s: %v: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
