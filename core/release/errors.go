package release

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"bookme-deploy/core/awsconf"
)

// s3Error turns an S3 failure into one line that says what is wrong and what to do.
// doing completes "cannot … s3://bucket".
func s3Error(err error, bucket, doing string) error {
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	if ee, ok := awsconf.Expired(err); ok {
		return fmt.Errorf("release: AWS rejected the credentials (%s) when trying to %s s3://%s: the session expired: %s", ee.Code, doing, bucket, awsconf.ExpiredAdvice)
	}
	if cred, ok := awsconf.RejectedCredentials(err); ok {
		// Before the 403 check: S3 answers rejected keys with 403 too.
		return fmt.Errorf("release: AWS rejected the credentials (%s) when trying to %s s3://%s: %s", cred, doing, bucket, awsconf.FixCredentials)
	}
	switch {
	case code == "NoSuchBucket":
		return fmt.Errorf("release: bucket %q does not exist (check the frontend stack's bucket output and the region)", bucket)
	case code == "AccessDenied" || code == "Forbidden" || code == "AllAccessDisabled" || status == http.StatusForbidden:
		return fmt.Errorf("release: access denied: cannot %s s3://%s; the deploy role needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it", doing, bucket)
	}
	return fmt.Errorf("release: cannot %s s3://%s: %w", doing, bucket, err)
}
