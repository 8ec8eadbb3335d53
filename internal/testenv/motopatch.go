package testenv

import (
	"os"
	"os/exec"
	"path/filepath"

	"bookme-deploy/core/emulator"
)

// WithEmulatorPatches loads core/emulator's moto patches (sitecustomize.py on PYTHONPATH) into the
// moto process — the same patches the dry-run's moto runs with.
func WithEmulatorPatches() MotoOption {
	return WithSiteCustomize(emulator.MotoPatch)
}

// WithSiteCustomize runs code (Python) at the moto process's start-up, as its sitecustomize.py.
func WithSiteCustomize(code string) MotoOption {
	return func(c *exec.Cmd) {
		dir, err := os.MkdirTemp("", "bookme-motopatch-")
		if err != nil {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(code), 0o644); err != nil {
			return
		}
		c.Env = append(c.Env, "PYTHONPATH="+dir)
	}
}
