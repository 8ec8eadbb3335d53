package awsconf

import (
	"errors"

	"github.com/aws/smithy-go"
)

// credentialErrorCodes are the error codes AWS answers when it rejects the credentials themselves
// (unknown, mistyped or expired keys, a bad signature) rather than what they are allowed to do.
// S3 answers some of them with HTTP 403, like a permission error.
var credentialErrorCodes = map[string]bool{
	// S3 (REST-XML).
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"ExpiredToken":          true,
	"InvalidToken":          true,
	"TokenRefreshRequired":  true,
	// JSON and query protocols (ECS, ECR, CloudFront, STS …).
	"UnrecognizedClientException": true,
	"InvalidClientTokenId":        true,
	"InvalidSignatureException":   true,
	"ExpiredTokenException":       true,
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
	"AuthFailure":                 true,
}

// RejectedCredentials tells whether err is AWS rejecting the credentials (not a permission
// problem: those are AccessDenied) and returns the error code. Check it before mapping an HTTP 403
// to "access denied", so the user is sent to fix the keys, not the role's policy.
func RejectedCredentials(err error) (code string, ok bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) && credentialErrorCodes[ae.ErrorCode()] {
		return ae.ErrorCode(), true
	}
	return "", false
}

// FixCredentials is the advice that ends a rejected-credentials message.
const FixCredentials = "fix the AWS access key, secret key and session token (or refresh the session) and retry"
