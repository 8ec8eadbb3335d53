// Package cdn invalidates what a release changed in a CloudFront distribution and waits for it.
//
// Only non-hashed paths are ever invalidated (content-hashed assets get new names, their old
// cache entries are harmless): HTML entry points (index.html is also served as "/", and
// "docs/index.html" as "/docs/") and other non-hashed files such as favicon.ico. More than
// Threshold paths collapse into one "/*" (CloudFront bills per path; a wildcard counts as one).
// Nothing changed means no invalidation at all.
//
// PlanInvalidation only reads (GetDistribution: a wrong distribution ID is a clear error before
// anything is written); Apply creates the invalidation, backing off and retrying while CloudFront
// answers TooManyInvalidationsInProgress; Wait polls until the status is "Completed" (compared
// case-insensitively: real CloudFront says "InProgress" then "Completed", moto "COMPLETED" at once).
//
// Caveat for SPAs: responses CloudFront generates from custom error responses (the 403/404 →
// /index.html fallback of client-side routes) are cached under the requested path for the error
// caching minimum TTL; invalidating /index.html does not reach them. Keep that TTL at 0 in the
// distribution (the frontend stack's job), or set AlwaysWildcard.
package cdn

import (
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// Defaults of Input and WaitInput.
const (
	// DefaultThreshold is the most paths sent before collapsing to "/*".
	DefaultThreshold = 15
	// DefaultRetryDelay is the first wait after TooManyInvalidationsInProgress (it doubles).
	DefaultRetryDelay = 10 * time.Second
	// DefaultRetryFor is how long Apply keeps retrying TooManyInvalidationsInProgress.
	DefaultRetryFor = 10 * time.Minute
	// DefaultWaitTimeout bounds Wait.
	DefaultWaitTimeout = 15 * time.Minute
	// DefaultPollInterval is Wait's polling period.
	DefaultPollInterval = 15 * time.Second
)

// Input says what to invalidate where.
type Input struct {
	// Client is the CloudFront client.
	Client *cloudfront.Client
	// DistributionID is the distribution (the frontend stack's output).
	DistributionID string
	// ChangedPaths are bundle-relative paths a release changed (release.Plan.ChangedPaths);
	// hashed names among them are ignored.
	ChangedPaths []string
	// Threshold is the most paths sent before collapsing to "/*"; 0 means DefaultThreshold.
	Threshold int
	// AlwaysWildcard sends "/*" whenever anything changed.
	AlwaysWildcard bool
	// CallerReference makes Apply idempotent (CloudFront returns the existing invalidation for a
	// repeated reference with the same paths); use e.g. the release ID. Empty: a timestamp.
	CallerReference string
	// RetryDelay and RetryFor shape the backoff on TooManyInvalidationsInProgress; 0 = defaults.
	RetryDelay time.Duration
	RetryFor   time.Duration
	// Progress receives one line per event; nil discards.
	Progress io.Writer
}

// Plan is the invalidation Apply will create (or that nothing is needed).
type Plan struct {
	DistributionID string `json:"distributionId"`
	// DomainName of the distribution, for the report.
	DomainName string `json:"domainName"`
	// Paths to invalidate; empty means nothing to do.
	Paths []string `json:"paths"`
	// Collapsed is true when more than Threshold paths became "/*".
	Collapsed bool `json:"collapsed"`
	// Changed is how many invalidation paths the changes produced before collapsing.
	Changed         int    `json:"changed"`
	CallerReference string `json:"callerReference"`

	client     *cloudfront.Client
	progress   io.Writer
	retryDelay time.Duration
	retryFor   time.Duration
}

// Result is what Apply did.
type Result struct {
	DistributionID string `json:"distributionId"`
	// InvalidationID is empty when nothing was invalidated.
	InvalidationID string   `json:"invalidationId,omitempty"`
	Status         string   `json:"status,omitempty"`
	Paths          []string `json:"paths"`
	// Attempts counts CreateInvalidation calls (more than 1 after TooManyInvalidationsInProgress).
	Attempts int `json:"attempts"`
}
