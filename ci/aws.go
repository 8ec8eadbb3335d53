package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/redact"
	"bookme-deploy/core/stack"

	"dagger/bookme/internal/dagger"
)

// access is how a verb reaches AWS: the SDK config for this module's own calls and, for tool
// containers (OpenTofu), the same resolved credentials as secrets — never printed, never in a layer.
type access struct {
	region string
	cfg    aws.Config
	s3     *s3.Client
	keyID  *dagger.Secret
	secret *dagger.Secret
	token  *dagger.Secret
	// bind adapts tool containers to where the account is (nothing for AWS); tofu are the files that
	// point OpenTofu there (emulator.Tofu).
	bind func(*dagger.Container) *dagger.Container
	tofu stack.Overrides
	// emulated: the account is moto (emulator.go), so deployments are adapted to it.
	emulated bool
}

// connect reads the credential secrets (in this process only), checks that one form is complete
// and resolves it — a web identity is exchanged once — before anything else runs.
func (m *Bookme) connect(ctx context.Context, o awsconf.Options) (*access, error) {
	if o.Region == "" {
		o.Region = m.Region
	}
	if o.Region == "" {
		return nil, fmt.Errorf("no AWS region: give --region")
	}
	if m.EmulatedAccount != nil && o.Endpoint == "" {
		return m.emulatedAccount(ctx, o)
	}
	c := awsconf.Credentials{Profile: m.AwsProfile, RoleARN: m.AwsRoleArn}
	var file string
	for s, into := range map[*dagger.Secret]*string{m.AwsAccessKeyID: &c.AccessKeyID, m.AwsSecretAccessKey: &c.SecretAccessKey,
		m.AwsSessionToken: &c.SessionToken, m.AwsWebIdentityToken: &c.WebIdentityToken, m.AwsCredentialsFile: &file} {
		if s == nil {
			continue
		}
		v, err := s.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("read an AWS credential secret: %w", err)
		}
		*into = v
	}
	if m.AwsCredentialsFile != nil {
		c.SharedCredentialsFile = []byte(file)
	}
	creds, cfg, err := awsconf.Resolve(ctx, c, o)
	if err != nil {
		return nil, err
	}
	// From here on, whatever leaves the verb is redacted of these (redact.Do; nil outside one).
	red := redact.From(ctx)
	_ = red.Add(c.SecretAccessKey, c.SessionToken, c.WebIdentityToken, creds.SecretAccessKey, creds.SessionToken)
	_ = red.Add(redact.Found(file)...)
	if m.StateEncryption != nil {
		enc, err := m.StateEncryption.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("read --state-encryption: %w", err)
		}
		_ = red.Add(redact.Found(enc)...)
	}
	id := deploy.NewRunID()
	a := &access{region: o.Region, cfg: cfg, s3: s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = o.Endpoint != "" }),
		keyID:  dag.SetSecret("aws-key-id-"+id, creds.AccessKeyID),
		secret: dag.SetSecret("aws-secret-"+id, creds.SecretAccessKey)}
	if creds.SessionToken != "" {
		a.token = dag.SetSecret("aws-token-"+id, creds.SessionToken)
	}
	return a, nil
}

// withAWS gives a tool container the same access: region and credentials as secret variables.
func (a *access) withAWS(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.WithEnvVariable("AWS_REGION", a.region).WithEnvVariable("AWS_DEFAULT_REGION", a.region).
		WithSecretVariable("AWS_ACCESS_KEY_ID", a.keyID).WithSecretVariable("AWS_SECRET_ACCESS_KEY", a.secret)
	if a.token != nil {
		ctr = ctr.WithSecretVariable("AWS_SESSION_TOKEN", a.token)
	}
	if a.bind != nil {
		ctr = a.bind(ctr)
	}
	return ctr
}

// progress is where a verb's progress lines go: stderr, line by line redacted (redact.Do's redactor).
func progress(ctx context.Context) io.Writer { return redact.NewWriter(os.Stderr, redact.From(ctx)) }

// stateBucket is --state-bucket, or the account's default.
func (m *Bookme) stateBucket(ctx context.Context, a *access) (string, error) {
	if m.StateBucket != "" {
		return m.StateBucket, nil
	}
	out, err := sts.NewFromConfig(a.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the account id (for the default state bucket; or give --state-bucket): %w", err)
	}
	return deploy.StateBucketName(aws.ToString(out.Account)), nil
}
