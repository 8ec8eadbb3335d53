package redact

import "context"

type ctxKey struct{}

// NewContext returns ctx carrying r: every core function given the context redacts with r (the
// rollout's log lines, the pipeline's errors and progress, the deploy record) and registers the
// secrets it learns with it (an ECR password).
func NewContext(ctx context.Context, r *Redactor) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// From is the context's Redactor, or nil — which still applies the patterns (every method accepts
// nil; Add on nil does nothing).
func From(ctx context.Context) *Redactor {
	r, _ := ctx.Value(ctxKey{}).(*Redactor)
	return r
}

// Do runs f with a Redactor in its context — ctx's own, or a new one that knows no secret yet (f
// and what it calls register the secrets they read: From(ctx).Add) — and returns f's text and
// error redacted with it. It is the way a verb (a Dagger function) keeps everything it hands back to
// its caller free of secrets.
func Do(ctx context.Context, f func(ctx context.Context) (string, error)) (string, error) {
	r := From(ctx)
	if r == nil {
		r = &Redactor{}
		ctx = NewContext(ctx, r)
	}
	out, err := f(ctx)
	return r.String(out), r.Error(err)
}
