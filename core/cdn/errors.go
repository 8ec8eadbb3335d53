package cdn

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"bookme-deploy/core/awsconf"
)

// cfError turns a CloudFront failure into one line that says what is wrong and what to do.
func cfError(err error, distID, doing string) error {
	if ee, ok := awsconf.Expired(err); ok {
		return fmt.Errorf("cdn: AWS rejected the credentials (%s) when trying to %s distribution %s: the session expired: %s", ee.Code, doing, distID, awsconf.ExpiredAdvice)
	}
	if code, ok := awsconf.RejectedCredentials(err); ok {
		return fmt.Errorf("cdn: AWS rejected the credentials (%s) when trying to %s distribution %s: %s", code, doing, distID, awsconf.FixCredentials)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchDistribution":
			return fmt.Errorf("cdn: CloudFront distribution %q does not exist (check the frontend stack's distribution ID output)", distID)
		case "AccessDenied":
			return fmt.Errorf("cdn: access denied: cannot %s distribution %s; the deploy role needs cloudfront:GetDistribution, cloudfront:CreateInvalidation and cloudfront:GetInvalidation", doing, distID)
		case "NoSuchInvalidation":
			return fmt.Errorf("cdn: invalidation not found in distribution %s (wrong invalidation ID?)", distID)
		}
	}
	return fmt.Errorf("cdn: cannot %s distribution %s: %w", doing, distID, err)
}
