package awsconf

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// expiredCodes are the error codes AWS answers when the session credentials (or, from STS, the
// web identity token) expired: S3's REST-XML and the JSON/query protocols spell it differently.
var expiredCodes = map[string]bool{"ExpiredToken": true, "ExpiredTokenException": true}

// ExpiredError is AWS refusing a call because the credentials' session expired. Its message says
// so plainly and what to do; it wraps the SDK's error (errors.As to smithy.APIError still works).
type ExpiredError struct {
	// Code is AWS's error code (ExpiredToken, ExpiredTokenException).
	Code string
	err  error
}

// ExpiredAdvice ends an expired-credentials message.
const ExpiredAdvice = "the AWS session ended before the run did; nothing after this call ran with it. " +
	"Re-run with a fresh session; for long deploys use the web-identity form (--aws-web-identity-token with --aws-role-arn), " +
	"which is renewed before it expires, or a longer session (the role's MaxSessionDuration and the session duration requested)"

func (e *ExpiredError) Error() string {
	msg := ""
	var ae smithy.APIError
	if errors.As(e.err, &ae) && ae.ErrorMessage() != "" {
		msg = ": " + ae.ErrorMessage()
	}
	return fmt.Sprintf("AWS credentials expired (%s%s): %s", e.Code, msg, ExpiredAdvice)
}

func (e *ExpiredError) Unwrap() error { return e.err }

// CredentialsExpired marks the error for packages that cannot import this one (core/rollout).
func (e *ExpiredError) CredentialsExpired() {}

// Expired tells whether err is (or wraps) AWS refusing expired credentials, and returns the
// ExpiredError that explains it (one is made when the error did not come through a config of this
// package).
func Expired(err error) (*ExpiredError, bool) {
	var ee *ExpiredError
	if errors.As(err, &ee) {
		return ee, true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && expiredCodes[ae.ErrorCode()] {
		return &ExpiredError{Code: ae.ErrorCode(), err: err}, true
	}
	return nil, false
}

// expiredMiddleware turns every expired-credentials error of a client's call into an ExpiredError,
// so whichever stage reports it, the message says what happened (added to every config by load).
func expiredMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("bookme/ExpiredCredentials",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				var ee *ExpiredError
				if !errors.As(err, &ee) {
					var ae smithy.APIError
					if errors.As(err, &ae) && expiredCodes[ae.ErrorCode()] {
						err = &ExpiredError{Code: ae.ErrorCode(), err: err}
					}
				}
			}
			return out, md, err
		}), middleware.After)
}
