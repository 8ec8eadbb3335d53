package awsconf

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"bookme-deploy/core/emulator"
)

func TestLoadRequiresRegion(t *testing.T) {
	if _, err := Load(context.Background(), Options{}); err == nil {
		t.Fatal("expected an error without a region")
	}
}

func TestLoadRejectsHalfCredentials(t *testing.T) {
	_, err := Load(context.Background(), Options{Region: "eu-central-1", AccessKeyID: "AKIA"})
	if err == nil {
		t.Fatal("expected an error for a key id without a secret")
	}
}

func TestLoadStaticCredentialsAndEndpoint(t *testing.T) {
	cfg, err := Load(context.Background(), Options{
		Region: "eu-central-1", AccessKeyID: "k", SecretAccessKey: "s", SessionToken: "t",
		Endpoint: "http://127.0.0.1:1", MaxAttempts: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "k" || creds.SecretAccessKey != "s" || creds.SessionToken != "t" {
		t.Fatalf("credentials not used: %+v", creds)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Fatalf("endpoint not set: %v", cfg.BaseEndpoint)
	}
	if got := cfg.Retryer().MaxAttempts(); got != 7 {
		t.Fatalf("max attempts = %d, want 7", got)
	}
}

// An emulator speaking HTTPS with its own CA, reached under another name: the SDK trusts the CA and
// checks the certificate against TLSServerName.
func TestLoadTrustsEmulatorCA(t *testing.T) {
	c, err := emulator.NewTLS("moto")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>x</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	call := func(o Options) error {
		cfg, err := Load(context.Background(), o)
		if err != nil {
			return err
		}
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		return err
	}
	base := Options{Region: "eu-central-1", AccessKeyID: "k", SecretAccessKey: "s", Endpoint: srv.URL, MaxAttempts: 1}
	if err := call(base); err == nil {
		t.Fatal("an unknown CA was trusted")
	}
	withCA := base
	withCA.CABundlePEM, withCA.TLSServerName = c.CAPEM, "moto"
	if err := call(withCA); err != nil {
		t.Fatalf("with the emulator's CA: %v", err)
	}
	if _, err := Load(context.Background(), Options{Region: "x", CABundlePEM: []byte("junk")}); err == nil {
		t.Fatal("a CA bundle without PEM was accepted")
	}
}

func TestLoadProfileFromCredentialsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(f, []byte("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n[deploy]\naws_access_key_id = AKIADEPLOY\naws_secret_access_key = s\naws_session_token = tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	cfg, err := Load(context.Background(), Options{Region: "eu-central-1", Profile: "deploy", SharedCredentialsFile: f})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "AKIADEPLOY" || c.SessionToken != "tok" {
		t.Errorf("credentials from profile deploy: got key %s", c.AccessKeyID)
	}
	cfg, err = Load(context.Background(), Options{Region: "eu-central-1", Profile: "missing", SharedCredentialsFile: f})
	if err == nil {
		_, err = cfg.Credentials.Retrieve(context.Background())
	}
	if err == nil {
		t.Error("a profile the file lacks was accepted")
	}
}
