// Package awsconf builds the one aws.Config every AWS client of bookme-deploy uses.
//
// It is the single switch between a real AWS account and an emulator: set Endpoint and every
// client (S3 path-style included) talks to it; nothing else in the code knows the difference.
package awsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options says where and as whom to talk to AWS.
type Options struct {
	// Region is required: deploys never guess a region.
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are static credentials (OIDC sessions carry a
	// token). When AccessKeyID is empty the SDK's default chain is used (env, profile, IMDS…).
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Profile names a shared-config profile; used only when no static keys are given.
	Profile string
	// WebIdentityToken and RoleARN: an OIDC token exchanged for the role's temporary credentials
	// (STS AssumeRoleWithWebIdentity, as CI systems without an AWS action do), and again before each
	// session ends while the token is valid. Used only when no
	// static keys are given. RoleSessionName defaults to "bookme-deploy".
	WebIdentityToken string
	RoleARN          string
	RoleSessionName  string
	// SessionDuration is the web-identity session length asked of STS (0: the role's default, one
	// hour; AWS allows 15 min up to the role's MaxSessionDuration). RenewBefore is how long before a
	// session ends it is renewed with the same token (0: DefaultRenewBefore).
	SessionDuration, RenewBefore time.Duration
	// SharedCredentialsFile is a credentials file (INI, as ~/.aws/credentials) to read Profile from
	// instead of the default locations; used only when no static keys are given.
	SharedCredentialsFile string
	// Endpoint overrides every service's endpoint (an emulator such as moto). Empty for real AWS.
	Endpoint string
	// CABundlePEM adds certificate authorities to trust (an emulator's own CA). Empty: the system's.
	CABundlePEM []byte
	// TLSServerName is the name the endpoint's certificate is checked against when it differs from
	// the host dialled (an emulator reached under another alias). Empty: the host's name.
	TLSServerName string
	// MaxAttempts for the SDK's standard retryer (0 = SDK default of 3). Throttling and 5xx are retried.
	MaxAttempts int
}

var errRegion = errors.New("aws: region is required (set --region or AWS_REGION)")

// Load returns the aws.Config for opts. It makes no network call.
func Load(ctx context.Context, opts Options) (aws.Config, error) { return load(ctx, opts) }

// load is Load with extra config loaders applied last (Resolve's isolation and resolved credentials).
func load(ctx context.Context, opts Options, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	if strings.TrimSpace(opts.Region) == "" {
		return aws.Config{}, errRegion
	}
	if (opts.AccessKeyID == "") != (opts.SecretAccessKey == "") {
		return aws.Config{}, errors.New("aws: access key id and secret access key must be given together")
	}
	loaders := []func(*config.LoadOptions) error{config.WithRegion(opts.Region)}
	if opts.AccessKeyID != "" {
		loaders = append(loaders, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)))
	} else {
		if opts.Profile != "" {
			loaders = append(loaders, config.WithSharedConfigProfile(opts.Profile))
		}
		if opts.SharedCredentialsFile != "" {
			// Only that file: no other profile source may answer for a profile it lacks.
			loaders = append(loaders, config.WithSharedCredentialsFiles([]string{opts.SharedCredentialsFile}),
				config.WithSharedConfigFiles([]string{}))
		}
	}
	attempts := opts.MaxAttempts
	loaders = append(loaders, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			if attempts > 0 {
				o.MaxAttempts = attempts
			}
		})
	}))
	if opts.Endpoint != "" {
		loaders = append(loaders, config.WithBaseEndpoint(opts.Endpoint))
	}
	if len(opts.CABundlePEM) > 0 || opts.TLSServerName != "" {
		client, err := tlsClient(opts.CABundlePEM, opts.TLSServerName)
		if err != nil {
			return aws.Config{}, err
		}
		loaders = append(loaders, config.WithHTTPClient(client))
	}
	if opts.WebIdentityToken != "" && opts.AccessKeyID == "" {
		if opts.RoleARN == "" {
			return aws.Config{}, errors.New("aws: a web identity token needs the role to assume (--aws-role-arn)")
		}
		// STS itself is called without credentials (AssumeRoleWithWebIdentity is unsigned).
		loaders = append(loaders, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(loaders, extra...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws: load config: %w", err)
	}
	// An expired session is named as such by every client of this config (ExpiredError).
	cfg.APIOptions = append(cfg.APIOptions, expiredMiddleware)
	if opts.WebIdentityToken != "" && opts.AccessKeyID == "" {
		cfg.Credentials = webIdentityCredentials(cfg, opts)
	}
	return cfg, nil
}

// webIdentityCredentials are opts' web identity, renewed before each session ends (see webIdentity);
// cfg signs nothing itself (STS's AssumeRoleWithWebIdentity is unsigned). The token stays in memory.
func webIdentityCredentials(cfg aws.Config, opts Options) *renewing {
	name := opts.RoleSessionName
	if name == "" {
		name = "bookme-deploy"
	}
	return newRenewing(&webIdentity{sts: sts.NewFromConfig(cfg), role: opts.RoleARN, session: name, token: opts.WebIdentityToken,
		duration: opts.SessionDuration, now: time.Now}, opts.RenewBefore)
}

// PathStyle reports whether S3 clients must use path-style addressing: always against an emulator,
// whose buckets are not DNS names.
func (o Options) PathStyle() bool { return o.Endpoint != "" }

// tlsClient is the SDK's HTTP client with extra trusted CAs and a fixed server name.
func tlsClient(caPEM []byte, serverName string) (*awshttp.BuildableClient, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("aws: the CA bundle holds no PEM certificate")
	}
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		t.TLSClientConfig.RootCAs = pool
		if serverName != "" {
			t.TLSClientConfig.ServerName = serverName
		}
	}), nil
}
