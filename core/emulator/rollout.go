package emulator

import (
	"bookme-deploy/core/emulator/motoecs"
	"bookme-deploy/core/rollout"
)

// RolloutOptions adapt a rollout.Engine to moto (pass them to rollout.New when the AWS config points
// at the emulator): the ECS client accepts moto's task responses (see package motoecs). Never used
// against AWS.
func RolloutOptions() []rollout.Option {
	return []rollout.Option{rollout.WithHTTPClient(motoecs.Wrap)}
}
