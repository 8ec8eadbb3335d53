package deploy

import (
	"context"
	"errors"
	"time"

	"bookme-deploy/core/lock"
)

func (d *Deployment) lockOptions(ctx context.Context) lock.Options {
	o := LockOptions(d.cfg.Env, d.cfg.StateBucket, d.timeouts)
	o.Progress = d.progress(ctx)
	o.OnLost = func(err error) {
		d.mu.Lock()
		stop := d.stop
		d.mu.Unlock()
		if stop != nil {
			stop(err)
		}
	}
	return o
}

// takeLock takes the environment's deploy lock (waiting up to Timeouts.Lock for another deploy,
// taking over a lapsed one). From then on the lock's heartbeat renews it until releaseLock.
func (d *Deployment) takeLock(ctx context.Context) (string, error) {
	l, err := lock.Acquire(ctx, d.ports.S3, d.lockOptions(ctx), lock.Info{Holder: d.cfg.Who, GitSHA: d.cfg.GitSHA, RunURL: d.cfg.RunURL})
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.held = l
	d.mu.Unlock()
	where := "s3://" + d.cfg.StateBucket + "/" + LockKey(d.cfg.Env)
	if l.TookOver != nil {
		where += " (took over the lapsed lock of " + l.TookOver.Describe(time.Now()) + ")"
	}
	return where, nil
}

// releaseLock releases the lock when this deployment holds it (always run, also after a failure).
func (d *Deployment) releaseLock(ctx context.Context) (string, error) {
	d.mu.Lock()
	held := d.held
	d.mu.Unlock()
	if held == nil {
		return "not held", nil
	}
	err := held.Release(ctx)
	if lost := held.Err(); lost != nil {
		// The heartbeat found the lock taken over or forced open during the deploy: say so, whatever
		// Release found afterwards.
		return "", errors.Join(lost, err)
	}
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.held = nil
	d.mu.Unlock()
	return "released", nil
}
