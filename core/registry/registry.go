// Package registry is the image side of a deploy's core: ECR credentials through the SDK (no
// docker login, no AWS CLI), the repository check, "does this git-SHA tag already exist" (so a
// re-deploy of the same commit builds and pushes nothing), the tag and digest-reference rules, and
// the checks that must pass before anything is pushed: a clean work tree and a Dockerfile with a
// `production` stage.
//
// Building and pushing are the Dagger module's job; this package tells it what to do
// (PlanPublish) and gives it the credentials (Auth).
package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"bookme-deploy/core/redact"
)

// Credentials log in to an ECR registry. Password is a short-lived token: never print it.
type Credentials struct {
	// Registry is the registry host, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com.
	Registry string `json:"registry"`
	// Username is "AWS" for ECR.
	Username string `json:"username"`
	// Password is the authorization token's secret half (not in JSON).
	Password string `json:"-"`
	// ExpiresAt is when ECR stops accepting the token (12 h on AWS; moto says 2015).
	ExpiresAt time.Time `json:"expiresAt"`
}

// Auth calls ECR GetAuthorizationToken and decodes the base64 "user:password" token. The password
// is registered with the context's Redactor (core/redact): no text the run writes shows it (nor the
// token, its base64 form). Rejected AWS credentials (expired session, unknown key, bad signature,
// access denied) give one line saying so and what to do.
func Auth(ctx context.Context, c *ecr.Client) (*Credentials, error) {
	out, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("ECR auth in %s: %s", c.Options().Region, explain(err))
	}
	if len(out.AuthorizationData) == 0 {
		return nil, fmt.Errorf("ECR auth in %s: no authorization data returned", c.Options().Region)
	}
	d := out.AuthorizationData[0]
	creds, err := DecodeToken(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("ECR auth in %s: %w", c.Options().Region, err)
	}
	_ = redact.From(ctx).Add(creds.Password) // a password shorter than 6 bytes cannot be redacted safely
	endpoint := aws.ToString(d.ProxyEndpoint)
	creds.Registry = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(endpoint, "https://"), "http://"), "/")
	if creds.Registry == "" {
		return nil, fmt.Errorf("ECR auth in %s: no registry endpoint returned", c.Options().Region)
	}
	creds.ExpiresAt = aws.ToTime(d.ExpiresAt)
	return creds, nil
}

// DecodeToken splits a base64 "user:password" ECR authorization token. The token is never
// included in an error.
func DecodeToken(token string) (*Credentials, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, errors.New("authorization token is not valid base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return nil, errors.New("authorization token is not of the form user:password")
	}
	return &Credentials{Username: user, Password: pass}, nil
}

// Expired reports whether the token has expired at now (with a minute of margin).
func (c *Credentials) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && now.Add(time.Minute).After(c.ExpiresAt)
}

// Repo is an ECR repository as the deploy needs it.
type Repo struct {
	Name string `json:"name"`
	// URI is <registry>/<name>, the image reference without tag or digest.
	URI string `json:"uri"`
	ARN string `json:"arn"`
	// TagMutability is IMMUTABLE (wanted) or MUTABLE.
	TagMutability string `json:"tagMutability"`
	Region        string `json:"region"`
}

// Repository checks that the repository exists in the client's region and returns it. A missing
// repository gives an error naming the repository and the region.
func Repository(ctx context.Context, c *ecr.Client, name string) (*Repo, error) {
	region := c.Options().Region
	if name == "" {
		return nil, errors.New("ECR: no repository name given (the base stack's ecr_repository_name output)")
	}
	out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if err != nil {
		var nf *ecrtypes.RepositoryNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("ECR repository %q does not exist in region %s: apply the base stack, or check the region and the repository name", name, region)
		}
		return nil, fmt.Errorf("ECR repository %q in %s: %s", name, region, explain(err))
	}
	if len(out.Repositories) != 1 {
		return nil, fmt.Errorf("ECR repository %q in %s: %d repositories returned, want 1", name, region, len(out.Repositories))
	}
	r := out.Repositories[0]
	return &Repo{
		Name: aws.ToString(r.RepositoryName), URI: aws.ToString(r.RepositoryUri), ARN: aws.ToString(r.RepositoryArn),
		TagMutability: string(r.ImageTagMutability), Region: region,
	}, nil
}

// DigestForTag asks ECR for the digest of repo:tag; found=false when no image has that tag.
func DigestForTag(ctx context.Context, c *ecr.Client, repo, tag string) (digest string, found bool, err error) {
	out, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	if err != nil {
		var nf *ecrtypes.ImageNotFoundException
		if errors.As(err, &nf) {
			return "", false, nil
		}
		var rnf *ecrtypes.RepositoryNotFoundException
		if errors.As(err, &rnf) {
			return "", false, fmt.Errorf("ECR repository %q does not exist in region %s", repo, c.Options().Region)
		}
		return "", false, fmt.Errorf("ECR describe %s:%s: %s", repo, tag, explain(err))
	}
	if len(out.ImageDetails) == 0 {
		return "", false, nil
	}
	digest = aws.ToString(out.ImageDetails[0].ImageDigest)
	if err := ValidateDigest(digest); err != nil {
		return "", false, fmt.Errorf("ECR reports image %s:%s with an unusable digest: %w", repo, tag, err)
	}
	return digest, true, nil
}

// explain turns an SDK error into one line; rejected credentials say what to do.
func explain(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	switch ae.ErrorCode() {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		return "the AWS credentials have expired (" + ae.ErrorCode() + "): get a fresh session (re-run the OIDC login or refresh the profile)"
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch":
		return "the AWS credentials were rejected (" + ae.ErrorCode() + "): check the access key, secret key and session token"
	case "AccessDeniedException", "AccessDenied":
		return "access denied (" + ae.ErrorCode() + "): the role needs ecr:GetAuthorizationToken, ecr:DescribeRepositories, ecr:DescribeImages and the push permissions"
	}
	if m := ae.ErrorMessage(); m != "" {
		return ae.ErrorCode() + ": " + m
	}
	return ae.ErrorCode()
}
