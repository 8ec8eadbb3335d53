package release

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// s3Failure builds the error the SDK returns for an S3 error response: an operation error around
// the HTTP response error around the API error.
func s3Failure(status int, code string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "ListObjectsV2", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "injected"},
	}}
}

func TestS3ErrorTellsKeysFromPermissions(t *testing.T) {
	cases := []struct {
		status    int
		code      string
		want, not string
	}{
		// S3 answers rejected keys with 403, like a missing permission: the keys come first.
		{403, "InvalidAccessKeyId", "AWS rejected the credentials (InvalidAccessKeyId) when trying to list s3://b: fix the AWS access key", "s3:ListBucket"},
		{403, "SignatureDoesNotMatch", "rejected the credentials (SignatureDoesNotMatch)", "access denied"},
		{400, "ExpiredToken", "rejected the credentials (ExpiredToken)", "access denied"},
		{403, "AccessDenied", "access denied: cannot list s3://b; the deploy role needs s3:ListBucket", "credentials"},
		{403, "Forbidden", "access denied", "credentials"}, // HEAD: a 403 without a body
		{404, "NoSuchBucket", `bucket "b" does not exist`, "credentials"},
	}
	for _, c := range cases {
		msg := s3Error(s3Failure(c.status, c.code), "b", "list").Error()
		if !strings.Contains(msg, c.want) || strings.Contains(msg, c.not) || strings.Contains(msg, "\n") {
			t.Errorf("%d %s: %q\nwant it to contain %q and not %q", c.status, c.code, msg, c.want, c.not)
		}
	}
}
