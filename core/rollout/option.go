package rollout

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Option changes how New builds an Engine.
type Option func(*aws.Config)

// WithHTTPClient has the Engine's AWS clients (ECS, CloudWatch Logs) send through wrap(base), where
// base is the HTTP client cfg already carries (http.DefaultClient when none). It is the seam an
// emulator adapter plugs into (core/emulator.RolloutOptions); production sets none.
func WithHTTPClient(wrap func(base aws.HTTPClient) aws.HTTPClient) Option {
	return func(cfg *aws.Config) {
		base := cfg.HTTPClient
		if base == nil {
			base = http.DefaultClient
		}
		cfg.HTTPClient = wrap(base)
	}
}
