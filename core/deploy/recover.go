package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/lock"
	"bookme-deploy/core/record"
)

// Recover is `recover --run-url`, the step a CI job runs when it was cancelled. GitHub cancels a
// job by killing the step's process tree: the engine drops the session and the deploy gets no
// chance to roll back, unlock or write its record. When the run died holding the deploy lock (it
// never finished), Recover, under that lock (taken back by its ID):
//  1. removes the OpenTofu state locks the run took (core/tofulock), which would fail every later
//     plan of those stacks;
//  2. serves the newest successful release again — the services on its revisions, the SPA on its
//     entry points — if the run had changed them, with a record that says the run was cancelled;
//  3. releases the lock.
//
// A run that still renews its lock (lock.Alive watches one heartbeat interval) is not dead: Recover
// refuses and changes nothing. When the run does not hold the lock (it finished, cleaned up after
// itself, or its lock lapsed and another deploy took it over) Recover changes nothing and says so.
// dryRun prints what it would do.
func Recover(ctx context.Context, p Ports, s Site, runURL string, o RollbackOptions, dryRun bool) (string, error) {
	if err := s.check("recover", true); err != nil {
		return "", err
	}
	opts := LockOptions(s.Env, s.StateBucket, o.Timeouts)
	st, nothing, err := deadRunsLock(ctx, p.S3, "recover", s.Env, s.StateBucket, runURL)
	if err != nil || nothing != "" {
		return nothing, err
	}
	held := *st.Holder
	// The job's cancelled() steps run once the runner stopped the step's processes; a deploy that
	// still renews its lock is not dead (a recover started too early, or processes that outlived the
	// cancel): taking its lock back would race it.
	dead, gone, err := runIsDead(ctx, p.S3, opts, "recover", runURL, held)
	if err != nil || gone != "" {
		return gone, err
	}
	var b strings.Builder
	b.WriteString(dead)
	said, err := removeRunsTofuLocks(ctx, p.S3, s.StateBucket, s.Env, held, dryRun)
	b.WriteString(said)
	if err != nil {
		return b.String(), err
	}

	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, 50)
	if err != nil {
		return b.String(), err
	}
	target := newestGood(rs, s.Services())
	if target < 0 {
		b.WriteString("no successful release is recorded: the services and the SPA stay as the run left them\n")
		if dryRun {
			return b.String() + "would release the deploy lock\n", nil
		}
		held, found, err := lock.UnlockRun(ctx, p.S3, opts, runURL)
		return b.String() + removedLock(held, found), err
	}
	o.RunURL, o.Lock = runURL, &held
	if o.Who == "" {
		o.Who = held.Holder
	}
	o.Recovered = &record.Recovered{GitSHA: held.GitSHA,
		Reason: "the CI run died (cancelled) while it deployed; recover served the newest successful release, " + Short(rs[target].GitSHA) + ", again"}
	text, err := RollbackRelease(ctx, p, s, rs[target].Key, o, dryRun)
	b.WriteString(text)
	return b.String(), err
}

// NothingToRecover says, without reading the stacks, when recover has nothing to do for runURL: the
// run does not hold the environment's deploy lock. "" means it does (and Recover must run).
func NothingToRecover(ctx context.Context, c *s3.Client, env, stateBucket, runURL string) (string, error) {
	_, nothing, err := deadRunsLock(ctx, c, "recover", env, stateBucket, runURL)
	return nothing, err
}

// deadRunsLock reads the environment's deploy lock for runURL: nothing is "" when that run holds it,
// else the line saying why there is nothing of the run's to release.
func deadRunsLock(ctx context.Context, c *s3.Client, verb, env, stateBucket, runURL string) (*lock.Status, string, error) {
	if strings.TrimSpace(runURL) == "" {
		return nil, "", fmt.Errorf("%s: give --run-url (the CI run whose deploy was cancelled)", verb)
	}
	st, err := lock.Inspect(ctx, c, LockOptions(env, stateBucket, Timeouts{}))
	switch {
	case err != nil:
		return nil, "", err
	case !st.Held:
		return st, "nothing to " + verb + ": no deploy lock is held (the run finished, or released the lock itself)\n", nil
	case st.Holder.RunURL != runURL:
		return st, fmt.Sprintf("nothing to %s: the deploy lock is held by %s, not by %s; left in place\n", verb, st.Holder.Describe(time.Now()), runURL), nil
	}
	return st, "", nil
}

// runIsDead watches the deploy lock runURL holds for one heartbeat interval (lock.Alive) before verb
// takes it back: a run that still renews it is running, and verb refuses (an error, nothing changed).
// dead is the line saying the run stopped renewing; gone, when not "", says the run released the lock
// meanwhile and there is nothing left to do.
func runIsDead(ctx context.Context, c *s3.Client, opts lock.Options, verb, runURL string, held lock.Info) (dead, gone string, err error) {
	live, err := lock.Alive(ctx, c, opts, held.ID)
	switch {
	case err != nil:
		return "", "", fmt.Errorf("%s: %w", verb, err)
	case live.Gone:
		return "", fmt.Sprintf("nothing to %s: the run released the deploy lock while %s watched it\n", verb, verb), nil
	case live.Renewed:
		return "", "", fmt.Errorf("%s: %s still renews the deploy lock (every %s): that deploy is running, so %s changes nothing; run it again once the run has stopped",
			verb, runURL, live.Every, verb)
	}
	return fmt.Sprintf("the run died holding the deploy lock: %s; no renewal for over one heartbeat (%s)\n", held.Describe(time.Now()), live.Every), "", nil
}
