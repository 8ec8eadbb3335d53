package main

import (
	"context"
	"fmt"

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
	// Endpoint is the emulator's URL as seen from this module's code ("" for real AWS).
	Endpoint string
	// Emulator is the emulator as a service, bound into tool containers as "moto" (nil for real AWS).
	Emulator *dagger.Service
	// EmulatorCA is the CA the emulator's HTTPS certificate is signed by (PEM).
	EmulatorCA string
}

// emulatorCAPath is where tool containers find the emulator's CA.
const emulatorCAPath = "/etc/bookme/emulator-ca.pem"

// emulatorHost is the name tool containers reach the emulator by.
const emulatorHost = "moto"

// emulatorURL is the emulator's endpoint as tool containers see it.
const emulatorURL = "https://" + emulatorHost + ":5000"

func (a awsAccess) emulated() bool { return a.Emulator != nil }

// options reads the secrets' plaintext inside this module's process only, to hand them to the SDK's
// static credentials provider.
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
	return o, nil
}

func (a awsAccess) config(ctx context.Context) (aws.Config, error) {
	o, err := a.options(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	return awsconf.Load(ctx, o)
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
	if a.Emulator != nil {
		ctr = ctr.WithServiceBinding(emulatorHost, a.Emulator).
			WithEnvVariable("AWS_ENDPOINT_URL", emulatorURL)
		if a.EmulatorCA != "" {
			ctr = ctr.WithNewFile(emulatorCAPath, a.EmulatorCA).WithEnvVariable("AWS_CA_BUNDLE", emulatorCAPath)
		}
	}
	return ctr
}
