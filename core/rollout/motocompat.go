package rollout

import "bookme-deploy/core/emulator/motoecs"

// WithMotoCompat adapts the Engine to moto's ECS task responses.
//
// Deprecated: use core/emulator.RolloutOptions(), which gives the same effect without the rollout
// package knowing about the emulator. Kept only until ci/deploy.go switches; it is
// WithHTTPClient(motoecs.Wrap).
func WithMotoCompat() Option { return WithHTTPClient(motoecs.Wrap) }
