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
