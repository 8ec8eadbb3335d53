package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"bookme-deploy/core/awsconf"

	"dagger/bookme/internal/dagger"
)

// awsAccess is how a stage reaches AWS: credentials as Dagger secrets (never printed, never written
// to a layer) and, for the emulated account, an endpoint override.
type awsAccess struct {
	Region          string
	AccessKeyID     *dagger.Secret
	SecretAccessKey *dagger.Secret
	SessionToken    *dagger.Secret
	// CredentialsFile is a shared credentials file (INI, as ~/.aws/credentials) read for Profile
	// when no access key is given; a secret, so it is never in a layer or a log.
	CredentialsFile *dagger.Secret
	Profile         string
	// WebIdentityToken (an OIDC token) and RoleARN: exchanged once for the role's temporary
	// credentials (resolve), which every client and tool container then uses.
	WebIdentityToken *dagger.Secret
	RoleARN          string
	// Endpoint is the emulator's URL as seen from this module's code ("" for real AWS).
	Endpoint string
	// Emulator is the emulator as a service, bound into tool containers as "moto" (nil for real AWS).
	Emulator *dagger.Service
	// EmulatorCA is the CA the emulator's HTTPS certificate is signed by (PEM).
	EmulatorCA string
}

// awsCredentialsPath is where tool containers find a credentials file given as a secret.
const awsCredentialsPath = "/run/secrets/aws-credentials"

// emulatorCAPath is where tool containers find the emulator's CA.
const emulatorCAPath = "/etc/bookme/emulator-ca.pem"

// emulatorHost is the name tool containers reach the emulator by.
const emulatorHost = "moto"

// emulatorURL is the emulator's endpoint as tool containers see it.
const emulatorURL = "https://" + emulatorHost + ":5000"

func (a awsAccess) emulated() bool { return a.Emulator != nil }

// check refuses a call without credentials, before anything is read or changed.
func (a awsAccess) check() error {
	switch {
	case a.AccessKeyID != nil && a.SecretAccessKey != nil:
		return nil
	case a.AccessKeyID != nil || a.SecretAccessKey != nil:
		return fmt.Errorf("give both --aws-access-key-id and --aws-secret-access-key")
	case a.CredentialsFile != nil:
		return nil
	case a.WebIdentityToken != nil && a.RoleARN != "":
		return nil
	case a.WebIdentityToken != nil:
		return fmt.Errorf("--aws-web-identity-token needs --aws-role-arn (the role to assume)")
	}
	return fmt.Errorf("no AWS credentials: give --aws-access-key-id and --aws-secret-access-key (e.g. env:AWS_ACCESS_KEY_ID), or --aws-credentials-file file:$HOME/.aws/credentials with --aws-profile")
}

func (a awsAccess) profile() string {
	if a.Profile == "" {
		return "default"
	}
	return a.Profile
}

// options reads the secrets' plaintext inside this module's process only, to hand them to the SDK's
// static credentials provider (or, for a credentials file, to a private temporary file the SDK
// reads once while loading; config removes it).
func (a awsAccess) options(ctx context.Context) (awsconf.Options, error) {
	o := awsconf.Options{Region: a.Region, Endpoint: a.Endpoint}
	if a.EmulatorCA != "" {
		o.CABundlePEM, o.TLSServerName = []byte(a.EmulatorCA), emulatorHost
	}
	var err error
	if a.AccessKeyID != nil {
		if o.AccessKeyID, err = a.AccessKeyID.Plaintext(ctx); err != nil {
			return o, fmt.Errorf("read AWS access key id secret: %w", err)
		}
	}
	if a.SecretAccessKey != nil {
		if o.SecretAccessKey, err = a.SecretAccessKey.Plaintext(ctx); err != nil {
			return o, fmt.Errorf("read AWS secret access key secret: %w", err)
		}
	}
	if a.SessionToken != nil {
		if o.SessionToken, err = a.SessionToken.Plaintext(ctx); err != nil {
			return o, fmt.Errorf("read AWS session token secret: %w", err)
		}
	}
	if a.AccessKeyID == nil && a.CredentialsFile != nil {
		content, err := a.CredentialsFile.Plaintext(ctx)
		if err != nil {
			return o, fmt.Errorf("read the AWS credentials file secret: %w", err)
		}
		f, err := os.CreateTemp("", "aws-credentials-")
		if err != nil {
			return o, err
		}
		defer f.Close()
		if _, err := f.WriteString(content); err != nil {
			os.Remove(f.Name())
			return o, err
		}
		o.SharedCredentialsFile, o.Profile = f.Name(), a.profile()
	}
	return o, nil
}

// resolve exchanges a web identity token for the role's temporary credentials (STS
// AssumeRoleWithWebIdentity) and returns the access with those as secrets; other access is
// returned as it is.
func (a awsAccess) resolve(ctx context.Context, runID string) (awsAccess, error) {
	if err := a.check(); err != nil {
		return a, err
	}
	if a.AccessKeyID != nil || a.WebIdentityToken == nil {
		return a, nil
	}
	token, err := a.WebIdentityToken.Plaintext(ctx)
	if err != nil {
		return a, fmt.Errorf("read the web identity token secret: %w", err)
	}
	o := awsconf.Options{Region: a.Region, Endpoint: a.Endpoint, WebIdentityToken: token, RoleARN: a.RoleARN}
	if a.EmulatorCA != "" {
		o.CABundlePEM, o.TLSServerName = []byte(a.EmulatorCA), emulatorHost
	}
	cfg, err := awsconf.Load(ctx, o)
	if err != nil {
		return a, err
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return a, fmt.Errorf("assume %s with the web identity token: %w", a.RoleARN, err)
	}
	a.AccessKeyID = dag.SetSecret("aws-session-key-id-"+runID, c.AccessKeyID)
	a.SecretAccessKey = dag.SetSecret("aws-session-secret-"+runID, c.SecretAccessKey)
	a.SessionToken = dag.SetSecret("aws-session-token-"+runID, c.SessionToken)
	a.WebIdentityToken = nil
	return a, nil
}

func (a awsAccess) config(ctx context.Context) (aws.Config, error) {
	if err := a.check(); err != nil {
		return aws.Config{}, err
	}
	o, err := a.options(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	if o.SharedCredentialsFile != "" {
		defer os.Remove(o.SharedCredentialsFile)
	}
	cfg, err := awsconf.Load(ctx, o)
	if err != nil {
		return cfg, err
	}
	if o.SharedCredentialsFile != "" {
		// Resolve now, while the file exists; the config keeps the credentials (cached).
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return cfg, fmt.Errorf("AWS credentials file, profile %q: %w", o.Profile, err)
		}
	}
	return cfg, nil
}

// withAWS gives a tool container the same access: secret env vars, region, and the emulator bound as
// a service with every SDK pointed at it.
func (a awsAccess) withAWS(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.WithEnvVariable("AWS_REGION", a.Region).WithEnvVariable("AWS_DEFAULT_REGION", a.Region)
	if a.AccessKeyID != nil {
		ctr = ctr.WithSecretVariable("AWS_ACCESS_KEY_ID", a.AccessKeyID)
	}
	if a.SecretAccessKey != nil {
		ctr = ctr.WithSecretVariable("AWS_SECRET_ACCESS_KEY", a.SecretAccessKey)
	}
	if a.SessionToken != nil {
		ctr = ctr.WithSecretVariable("AWS_SESSION_TOKEN", a.SessionToken)
	}
	if a.AccessKeyID == nil && a.CredentialsFile != nil {
		ctr = ctr.WithMountedSecret(awsCredentialsPath, a.CredentialsFile).
			WithEnvVariable("AWS_SHARED_CREDENTIALS_FILE", awsCredentialsPath).
			WithEnvVariable("AWS_PROFILE", a.profile())
	}
	if a.Emulator != nil {
		ctr = ctr.WithServiceBinding(emulatorHost, a.Emulator).
			WithEnvVariable("AWS_ENDPOINT_URL", emulatorURL)
		if a.EmulatorCA != "" {
			ctr = ctr.WithNewFile(emulatorCAPath, a.EmulatorCA).WithEnvVariable("AWS_CA_BUNDLE", emulatorCAPath)
		}
	}
	return ctr
}
