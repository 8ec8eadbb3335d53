package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

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
	// The credentials' secrets for tool containers, as of secretValue (access.current).
	mu                   sync.Mutex
	keyID, secret, token *dagger.Secret
	secretValue          string
	// Where the account is, when not AWS itself (a stand-in: emulator.go): bind adapts tool
	// containers, tofu are the files that point OpenTofu there, adapt changes a deployment's ports
	// and images wraps the engine's pushes.
	bind   func(*dagger.Container) *dagger.Container
	tofu   stack.Overrides
	adapt  func(*deploy.Config, *deploy.Ports)
	images func(context.Context, engineImages) (deploy.Images, error)
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
	if a, ok, err := m.standInAccount(ctx, o); ok {
		return a, err
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
	return &access{region: o.Region, cfg: cfg, s3: s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = o.Endpoint != "" })}, nil
}

// withAWS gives a tool container the same access: region and the credentials as they are now — a
// web identity's renewed session, not the first one — as secret variables.
func (a *access) withAWS(ctx context.Context, ctr *dagger.Container) (*dagger.Container, error) {
	keyID, secret, token, err := a.current(ctx)
	if err != nil {
		return nil, err
	}
	ctr = ctr.WithEnvVariable("AWS_REGION", a.region).WithEnvVariable("AWS_DEFAULT_REGION", a.region).
		WithSecretVariable("AWS_ACCESS_KEY_ID", keyID).WithSecretVariable("AWS_SECRET_ACCESS_KEY", secret)
	if token != nil {
		ctr = ctr.WithSecretVariable("AWS_SESSION_TOKEN", token)
	}
	if a.bind != nil {
		ctr = a.bind(ctr)
	}
	return ctr, nil
}

// current returns the credentials' secrets as the SDK's provider has them now, made anew when it
// renewed them since (and registered with the redactor).
func (a *access) current(ctx context.Context) (keyID, secret, token *dagger.Secret, err error) {
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("AWS credentials for a tool container: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keyID == nil || creds.SecretAccessKey != a.secretValue {
		_ = redact.From(ctx).Add(creds.SecretAccessKey, creds.SessionToken)
		id := deploy.NewRunID()
		a.keyID, a.secret, a.token = dag.SetSecret("aws-key-id-"+id, creds.AccessKeyID), dag.SetSecret("aws-secret-"+id, creds.SecretAccessKey), nil
		if creds.SessionToken != "" {
			a.token = dag.SetSecret("aws-token-"+id, creds.SessionToken)
		}
		a.secretValue = creds.SecretAccessKey
	}
	return a.keyID, a.secret, a.token, nil
}

// do runs a verb's body: its results and errors redacted (redact.Do), then the services it started
// (onStop) stopped before it returns, so that the session's own shutdown has nothing left to wait for.
func do(ctx context.Context, f func(ctx context.Context) (string, error)) (string, error) {
	st := &stops{}
	defer st.run(context.WithoutCancel(ctx))
	return redact.Do(context.WithValue(ctx, stopsKey{}, st), f)
}

type stopsKey struct{}

type stops struct {
	mu sync.Mutex
	fs []func(context.Context)
}

// onStop has f run when the verb (do) ends; outside one, never.
func onStop(ctx context.Context, f func(context.Context)) {
	if st, ok := ctx.Value(stopsKey{}).(*stops); ok {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.fs = append(st.fs, f)
	}
}

func (st *stops) run(ctx context.Context) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := len(st.fs) - 1; i >= 0; i-- {
		st.fs[i](ctx)
	}
}

// progress is where a verb's progress lines go: stderr, line by line redacted (redact.Do's redactor).
func progress(ctx context.Context) io.Writer { return redact.NewWriter(os.Stderr, redact.From(ctx)) }

// connectState connects with the constructor's credentials and names the state bucket (--state-bucket,
// else the default for the account).
func (m *Bookme) connectState(ctx context.Context) (*access, string, error) {
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil || m.StateBucket != "" {
		return a, m.StateBucket, err
	}
	out, err := sts.NewFromConfig(a.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, "", fmt.Errorf("find the account id (for the default state bucket; or give --state-bucket): %w", err)
	}
	return a, deploy.StateBucketName(aws.ToString(out.Account)), nil
}
