package cdn

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestCFErrorRejectedCredentialsIsOneShortLine(t *testing.T) {
	err := &smithy.OperationError{ServiceID: "CloudFront", OperationName: "GetDistribution", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
		Err:      &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."},
	}}
	msg := cfError(err, "E123", "read").Error()
	want := "cdn: AWS rejected the credentials (InvalidClientTokenId) when trying to read distribution E123: fix the AWS access key, secret key and session token (or refresh the session) and retry"
	if msg != want {
		t.Fatalf("cfError = %q\nwant      %q", msg, want)
	}
	for _, noise := range []string{"operation error", "https response error", "StatusCode"} {
		if strings.Contains(msg, noise) {
			t.Errorf("message carries the SDK's wrapping %q: %s", noise, msg)
		}
	}
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}
	if msg := cfError(denied, "E123", "read").Error(); !strings.Contains(msg, "access denied") || strings.Contains(msg, "credentials") {
		t.Errorf("AccessDenied: %q", msg)
	}
}
