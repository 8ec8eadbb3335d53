package deploy

import (
	"context"

	"bookme-deploy/core/lock"
)

func (d *Deployment) lockOptions(ctx context.Context) lock.Options {
	o := LockOptions(d.cfg.Env, d.cfg.StateBucket, d.timeouts)
	o.Progress = d.progress(ctx)
	return o
}

// takeLock takes the environment's deploy lock (waiting up to Timeouts.Lock for another deploy).
func (d *Deployment) takeLock(ctx context.Context) (string, error) {
	l, err := lock.Acquire(ctx, d.ports.S3, d.lockOptions(ctx), lock.Info{Holder: d.cfg.Who, GitSHA: d.cfg.GitSHA, RunURL: d.cfg.RunURL})
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.held = l
	d.mu.Unlock()
	return "s3://" + d.cfg.StateBucket + "/" + LockKey(d.cfg.Env), nil
}

// releaseLock releases the lock when this deployment holds it (always run, also after a failure).
func (d *Deployment) releaseLock(ctx context.Context) (string, error) {
	d.mu.Lock()
	held := d.held
	d.mu.Unlock()
	if held == nil {
		return "not held", nil
	}
	if err := held.Release(ctx); err != nil {
		return "", err
	}
	d.mu.Lock()
	d.held = nil
	d.mu.Unlock()
	return "released", nil
}
