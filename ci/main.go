// Package main is the Dagger module `bookme`, the thin shell of bookme-deploy: it implements the
// ports of ../core/deploy with containers and secrets and turns arguments into the core's
// configuration; every decision is made in ../core. The dry-run's stand-in account: emulator.go.
package main

import (
	"context"

	"bookme-deploy/core/appconfig"
	"bookme-deploy/core/deploy"

	"dagger/bookme/internal/dagger"
)

// Bookme ships the book_me stack (Django API on ECS Fargate, React SPA on S3 + CloudFront) to AWS.
// Its fields are the arguments every verb shares (`dagger call --env … --region … <verb>`).
type Bookme struct {
	Source *dagger.Directory
	Env    string
	Region string
	// +private
	AwsAccessKeyID *dagger.Secret
	// +private
	AwsSecretAccessKey *dagger.Secret
	// +private
	AwsSessionToken *dagger.Secret
	// +private
	AwsCredentialsFile *dagger.Secret
	// +private
	AwsProfile string
	// +private
	AwsWebIdentityToken *dagger.Secret
	// +private
	AwsRoleArn string
	// StateBucket holds the OpenTofu state and the deploy lock; empty: book-me-tofu-state-<account>.
	StateBucket string
	// +private
	StateEncryption *dagger.Secret
	// +private
	ProviderMirror *dagger.Directory
	// +private
	EmulatedAccount *dagger.Service
	// +private
	EmulatedAccountCa *dagger.File
}

func New(
	// The repository.
	// +defaultPath="/"
	// +ignore=[".env", "**/node_modules", "**/dist", "**/build", "**/.terraform", "**/__pycache__", "**/*.tfstate*", "**/.terraform.lock.hcl"]
	source *dagger.Directory,
	// Environment: infra/environments/<env>.tfvars (deploy, plan, unlock; dry-run: staging).
	// +optional
	env string,
	// AWS region of the environment.
	// +optional
	region string,
	// AWS access key id (e.g. env:AWS_ACCESS_KEY_ID); or give --aws-credentials-file, or
	// --aws-web-identity-token with --aws-role-arn.
	// +optional
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key (e.g. env:AWS_SECRET_ACCESS_KEY).
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token of temporary credentials (e.g. env:AWS_SESSION_TOKEN).
	// +optional
	awsSessionToken *dagger.Secret,
	// A shared credentials file (e.g. file:$HOME/.aws/credentials), read for --aws-profile.
	// +optional
	awsCredentialsFile *dagger.Secret,
	// Profile in --aws-credentials-file; default: default.
	// +optional
	awsProfile string,
	// An OIDC token (e.g. env:CI_JOB_JWT_V2) exchanged once for --aws-role-arn's temporary credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// The role to assume with --aws-web-identity-token.
	// +optional
	awsRoleArn string,
	// OpenTofu state bucket (infra/bootstrap); default: book-me-tofu-state-<account id>.
	// +optional
	stateBucket string,
	// OpenTofu state and plan encryption configuration (TF_ENCRYPTION), see infra/README.md.
	// +optional
	stateEncryption *dagger.Secret,
	// An emulated AWS account instead of AWS, for rehearsing the CI lines as written: moto speaking
	// HTTPS on the caller's host (tcp://localhost:PORT), given as a local default in .env
	// (BOOKME_EMULATEDACCOUNT=…). Never for a real account. See emulator.go.
	// +optional
	emulatedAccount *dagger.Service,
	// The emulated account's CA certificate (PEM; its server certificate names "moto").
	// +optional
	emulatedAccountCa *dagger.File,
	// A provider mirror for OpenTofu (as with-provider-mirror), for machines that cannot reach the
	// provider registry; handy as a local default in .env (BOOKME_PROVIDERMIRROR=DIR).
	// +optional
	providerMirror *dagger.Directory,
) *Bookme {
	return &Bookme{Source: source, Env: env, Region: region, StateBucket: stateBucket, StateEncryption: stateEncryption,
		EmulatedAccount: emulatedAccount, EmulatedAccountCa: emulatedAccountCa, ProviderMirror: providerMirror,
		AwsAccessKeyID: awsAccessKeyId, AwsSecretAccessKey: awsSecretAccessKey, AwsSessionToken: awsSessionToken,
		AwsCredentialsFile: awsCredentialsFile, AwsProfile: awsProfile, AwsWebIdentityToken: awsWebIdentityToken, AwsRoleArn: awsRoleArn}
}

// WithProviderMirror runs OpenTofu with this provider mirror (filesystem_mirror layout, as
// `tofu providers mirror` writes it), for machines that cannot reach the provider registry.
func (m *Bookme) WithProviderMirror(
	// The mirror directory.
	dir *dagger.Directory,
) *Bookme {
	c := *m
	c.ProviderMirror = dir
	return &c
}

// appConfig is the source's bookme-deploy.yaml for the environment (core/appconfig; no file: the
// reference app's settings). A bad file is refused here, before anything runs.
func (m *Bookme) appConfig(ctx context.Context) (*appconfig.Config, error) {
	var data []byte
	ok, err := m.Source.Exists(ctx, appconfig.FileName)
	if err != nil {
		return nil, err
	}
	if ok {
		s, err := m.Source.File(appconfig.FileName).Contents(ctx)
		if err != nil {
			return nil, err
		}
		data = []byte(s)
	}
	return appconfig.Load(appconfig.FileName, data, m.Env)
}

// deployConfig is base with the app's settings (appConfig) filled in: layout, App, timeouts, keep.
func (m *Bookme) deployConfig(ctx context.Context, base deploy.Config) (deploy.Config, error) {
	app, err := m.appConfig(ctx)
	if err != nil {
		return deploy.Config{}, err
	}
	return app.DeployConfig(base), nil
}
