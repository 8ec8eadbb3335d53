package awsconf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Credentials are every form of AWS credentials a verb accepts, as the user gave them (the plaintext
// of the CLI's secrets). Exactly one form must be complete (Check):
//
//   - static keys: AccessKeyID and SecretAccessKey (SessionToken optional);
//   - a shared credentials file: SharedCredentialsFile (its content) and Profile (default "default");
//   - web identity: WebIdentityToken (an OIDC token) and RoleARN (RoleSessionName optional).
//
// Surrounding white space (a trailing newline of a token read from a file) is ignored.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	// SharedCredentialsFile is the content of an INI credentials file (as ~/.aws/credentials); nil
	// when not given. Only the profile's static keys are read from it.
	SharedCredentialsFile []byte
	// Profile is the profile read from SharedCredentialsFile; "" means "default".
	Profile string
	// WebIdentityToken is exchanged (STS AssumeRoleWithWebIdentity) for RoleARN's temporary
	// credentials, and again before the session ends while the token is valid; RoleSessionName
	// defaults to "bookme-deploy". SessionDuration and RenewBefore: see Options.
	WebIdentityToken             string
	RoleARN                      string
	RoleSessionName              string
	SessionDuration, RenewBefore time.Duration
	// SessionExpires, optional, is when static session keys (SessionToken) expire, as the tool that
	// issued them says: the config's credentials then carry that expiry (CheckLifetime reads it).
	SessionExpires time.Time
}

// The CLI flags the messages name.
const (
	flagAccessKeyID      = "--aws-access-key-id"
	flagSecretAccessKey  = "--aws-secret-access-key"
	flagSessionToken     = "--aws-session-token"
	flagCredentialsFile  = "--aws-credentials-file"
	flagProfile          = "--aws-profile"
	flagWebIdentityToken = "--aws-web-identity-token"
	flagRoleARN          = "--aws-role-arn"
)

// defaultProfile is the profile read from a credentials file when none is named.
const defaultProfile = "default"

// trimmed is c with surrounding white space removed from every value.
func (c Credentials) trimmed() Credentials {
	t := c
	for _, s := range []*string{&t.AccessKeyID, &t.SecretAccessKey, &t.SessionToken, &t.Profile,
		&t.WebIdentityToken, &t.RoleARN, &t.RoleSessionName} {
		*s = strings.TrimSpace(*s)
	}
	return t
}

// profile is the profile to read from the credentials file.
func (c Credentials) profile() string {
	if p := strings.TrimSpace(c.Profile); p != "" {
		return p
	}
	return defaultProfile
}

// forms names every complete form in c, in the order static keys, credentials file, web identity.
func (c Credentials) forms() []string {
	c = c.trimmed()
	var forms []string
	if c.AccessKeyID != "" && c.SecretAccessKey != "" {
		forms = append(forms, "static keys")
	}
	if c.SharedCredentialsFile != nil {
		forms = append(forms, fmt.Sprintf("credentials file (profile %s)", c.profile()))
	}
	if c.WebIdentityToken != "" && c.RoleARN != "" {
		forms = append(forms, fmt.Sprintf("web identity (%s)", c.RoleARN))
	}
	return forms
}

// Form names the form of credentials given, for logs (never a secret value): "static keys",
// "credentials file (profile NAME)" or "web identity (ROLE ARN)". Credentials that fail Check give
// "none" (no complete form) or the complete forms joined with " and ".
func (c Credentials) Form() string {
	forms := c.forms()
	if len(forms) == 0 {
		return "none"
	}
	return strings.Join(forms, " and ")
}

// Check refuses incomplete or ambiguous credentials before anything is read or changed; its
// messages name the CLI flags to fix. It makes no network call.
func (c Credentials) Check() error {
	t := c.trimmed()
	static := t.AccessKeyID != "" || t.SecretAccessKey != ""
	switch {
	case static && (t.AccessKeyID == "" || t.SecretAccessKey == ""):
		return fmt.Errorf("give both %s and %s", flagAccessKeyID, flagSecretAccessKey)
	case t.SessionToken != "" && !static:
		return fmt.Errorf("%s needs %s and %s (a session token belongs to the keys it was issued with)",
			flagSessionToken, flagAccessKeyID, flagSecretAccessKey)
	case t.Profile != "" && t.SharedCredentialsFile == nil:
		return fmt.Errorf("%s needs %s (the file to read the profile from)", flagProfile, flagCredentialsFile)
	case t.SharedCredentialsFile != nil && len(bytes.TrimSpace(t.SharedCredentialsFile)) == 0:
		return fmt.Errorf("the %s given is empty", flagCredentialsFile)
	case t.WebIdentityToken != "" && t.RoleARN == "":
		return fmt.Errorf("%s needs %s (the role to assume)", flagWebIdentityToken, flagRoleARN)
	case t.RoleARN != "" && t.WebIdentityToken == "":
		return fmt.Errorf("%s needs %s (the OIDC token to assume the role with)", flagRoleARN, flagWebIdentityToken)
	case t.RoleSessionName != "" && t.WebIdentityToken == "":
		return fmt.Errorf("a role session name needs %s and %s", flagWebIdentityToken, flagRoleARN)
	case !t.SessionExpires.IsZero() && t.SessionToken == "":
		return fmt.Errorf("a session expiry needs %s (only session keys expire)", flagSessionToken)
	case t.SessionDuration < 0 || t.RenewBefore < 0:
		return errors.New("the web-identity session duration and renewal window cannot be negative")
	}
	switch forms := c.forms(); len(forms) {
	case 0:
		return fmt.Errorf("no AWS credentials: give %s and %s (e.g. env:AWS_ACCESS_KEY_ID), or %s file:$HOME/.aws/credentials with %s, or %s env:OIDC_TOKEN with %s",
			flagAccessKeyID, flagSecretAccessKey, flagCredentialsFile, flagProfile, flagWebIdentityToken, flagRoleARN)
	case 1:
		return nil
	default:
		return fmt.Errorf("give one form of AWS credentials, not several: got %s (keep one of %s with %s; %s with %s; %s with %s)",
			strings.Join(forms, " and "), flagAccessKeyID, flagSecretAccessKey, flagCredentialsFile, flagProfile,
			flagWebIdentityToken, flagRoleARN)
	}
}

// Resolve checks c, then turns whichever form it holds into static (possibly temporary) credentials
// and an aws.Config that signs with exactly those: static keys as given (with SessionExpires, when
// given, as their expiry); a credentials file's profile keys; a web identity token exchanged for the
// role's temporary credentials (their expiry kept in the returned value) — for a web identity the
// config's credentials are renewed, the token exchanged again before each session ends, so a
// caller handing keys to a tool started later takes them from cfg.Credentials.Retrieve then. o gives region, endpoint, CA and retries as for Load; it must
// carry no credentials of its own.
//
// The returned credentials are what tool containers are handed (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so every tool works the same whatever form was given.
// No credentials of the environment (AWS_ACCESS_KEY_ID, ~/.aws …) take part, and the
// credentials file's content is only ever on disk in a private temporary copy (0600, in a 0700
// directory) removed before Resolve returns.
func Resolve(ctx context.Context, c Credentials, o Options) (aws.Credentials, aws.Config, error) {
	if err := c.Check(); err != nil {
		return aws.Credentials{}, aws.Config{}, err
	}
	if o.AccessKeyID != "" || o.SecretAccessKey != "" || o.SessionToken != "" || o.Profile != "" ||
		o.SharedCredentialsFile != "" || o.WebIdentityToken != "" || o.RoleARN != "" || o.RoleSessionName != "" {
		return aws.Credentials{}, aws.Config{}, errors.New("aws: Resolve takes credentials from Credentials only, not Options")
	}
	if strings.TrimSpace(o.Region) == "" {
		return aws.Credentials{}, aws.Config{}, errRegion
	}
	c = c.trimmed()
	var creds aws.Credentials
	switch {
	case c.AccessKeyID != "":
		creds = aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		if !c.SessionExpires.IsZero() {
			creds.CanExpire, creds.Expires = true, c.SessionExpires
		}
	case c.SharedCredentialsFile != nil:
		var err error
		if creds, err = fromCredentialsFile(ctx, c.SharedCredentialsFile, c.profile()); err != nil {
			return aws.Credentials{}, aws.Config{}, err
		}
	default:
		wo := o
		wo.WebIdentityToken, wo.RoleARN, wo.RoleSessionName = c.WebIdentityToken, c.RoleARN, c.RoleSessionName
		wo.SessionDuration, wo.RenewBefore = c.SessionDuration, c.RenewBefore
		wcfg, err := load(ctx, wo)
		if err != nil {
			return aws.Credentials{}, aws.Config{}, err
		}
		if creds, err = wcfg.Credentials.Retrieve(ctx); err != nil {
			return aws.Credentials{}, aws.Config{}, err
		}
		if r, ok := wcfg.Credentials.(*renewing); ok {
			creds.Expires = r.sessionEnd() // the cache reports it earlier, by the renewal window
		}
		// The config signs with the renewing credentials: the token is exchanged again before each
		// session ends (the first exchange is cached: no second call now).
		cfg, err := load(ctx, o)
		if err != nil {
			return aws.Credentials{}, aws.Config{}, err
		}
		cfg.Credentials = wcfg.Credentials
		return creds, cfg, nil
	}
	// The config signs with the resolved credentials themselves.
	cfg, err := load(ctx, o, config.WithCredentialsProvider(credentials.StaticCredentialsProvider{Value: creds}))
	if err != nil {
		return aws.Credentials{}, aws.Config{}, err
	}
	return creds, cfg, nil
}

// fromCredentialsFile reads profile's static keys from a credentials file's content through the SDK's
// own parser, on a private temporary copy removed before it returns.
func fromCredentialsFile(ctx context.Context, content []byte, profile string) (aws.Credentials, error) {
	dir, err := os.MkdirTemp("", "bookme-aws-credentials-")
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("aws: credentials file: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		return aws.Credentials{}, fmt.Errorf("aws: credentials file: %w", err)
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles, o.ConfigFiles = []string{path}, []string{}
	})
	var notExist config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &notExist):
		have := "no profiles"
		if names := profileNames(content); len(names) > 0 {
			have = "profiles " + strings.Join(names, ", ")
		}
		return aws.Credentials{}, fmt.Errorf("aws: %s %q is not in the %s; it has %s", flagProfile, profile, flagCredentialsFile, have)
	case err != nil:
		return aws.Credentials{}, fmt.Errorf("aws: read the %s, profile %q: %w", flagCredentialsFile, profile, err)
	case !sc.Credentials.HasKeys():
		return aws.Credentials{}, fmt.Errorf("aws: profile %q of the %s has no aws_access_key_id and aws_secret_access_key (only static keys are read from it)",
			profile, flagCredentialsFile)
	}
	creds := sc.Credentials
	creds.Source = "SharedConfigCredentials" // not the temporary copy's path
	return creds, nil
}

// profileNames lists the section names of an INI credentials file (names only, never values).
func profileNames(content []byte) []string {
	var names []string
	s := bufio.NewScanner(bytes.NewReader(content))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			names = append(names, fmt.Sprintf("%q", strings.TrimSpace(line[1:len(line)-1])))
		}
	}
	return names
}
