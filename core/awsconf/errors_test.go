package awsconf

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestRejectedCredentials(t *testing.T) {
	for code, want := range map[string]bool{
		"InvalidAccessKeyId": true, "SignatureDoesNotMatch": true, "ExpiredToken": true,
		"UnrecognizedClientException": true, "InvalidClientTokenId": true, "ExpiredTokenException": true,
		"AccessDenied": false, "AccessDeniedException": false, "NoSuchBucket": false,
	} {
		err := fmt.Errorf("wrapped: %w", &smithy.GenericAPIError{Code: code})
		got, ok := RejectedCredentials(err)
		if ok != want || (ok && got != code) {
			t.Errorf("RejectedCredentials(%s) = %q, %v; want %v", code, got, ok, want)
		}
	}
	if _, ok := RejectedCredentials(errors.New("connection reset")); ok {
		t.Error("a non-API error taken for rejected credentials")
	}
}
