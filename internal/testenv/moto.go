// Package testenv starts the real servers integration tests talk to: moto_server (the AWS emulator)
// on a free loopback port, and an in-process OCI registry. It is imported only by tests.
//
// A server that cannot be started fails the test loudly (t.Fatal): a tier never passes silently.
package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/emulator"
)

// Region is the region every integration test uses.
const Region = "eu-central-1"

// Moto is one running moto_server process.
type Moto struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	Port     int
	cmd      *exec.Cmd
	log      *SyncBuffer
	client   *http.Client
}

// MotoOption changes how moto is started.
type MotoOption func(*exec.Cmd)

// WithEnv sets an environment variable of the moto process (e.g. MOTO_ECS_SERVICE_RUNNING=2).
func WithEnv(key, value string) MotoOption {
	return func(c *exec.Cmd) { c.Env = append(c.Env, key+"="+value) }
}

// StartMoto starts moto_server on a free loopback port and stops it when the test ends.
func StartMoto(t testing.TB, opts ...MotoOption) *Moto {
	t.Helper()
	return startMoto(t, nil, opts...)
}

// StartMotoTLS is StartMoto speaking HTTPS with certs (emulator.NewTLS: a CA and a server certificate
// for emulator.Host); the endpoint is https://127.0.0.1:PORT, and clients check the certificate
// against emulator.Host (awsconf.Options.TLSServerName, as the dry-run's module does).
func StartMotoTLS(t testing.TB, certs *emulator.TLS, opts ...MotoOption) *Moto {
	t.Helper()
	return startMoto(t, certs, opts...)
}

func startMoto(t testing.TB, certs *emulator.TLS, opts ...MotoOption) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("testenv: moto_server is not on PATH (install moto[server] 5.x): %v", err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	log := &SyncBuffer{Limit: 1 << 20}
	args := []string{"-H", "127.0.0.1", "-p", fmt.Sprint(port)}
	scheme, client := "http", http.DefaultClient
	if certs != nil {
		dir := t.TempDir()
		cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := os.WriteFile(cert, certs.CertPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, certs.KeyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-c", cert, "-k", key)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(certs.CAPEM)
		scheme = "https"
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: emulator.Host}}}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	for _, o := range opts {
		o(cmd)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start moto_server: %v", err)
	}
	m := &Moto{Endpoint: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), Port: port, cmd: cmd, log: log, client: client}
	t.Cleanup(m.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: moto_server did not answer on %s within 30 s: %v\n%s", m.Endpoint, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *Moto) stop() {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		_, _ = m.cmd.Process.Wait()
	}
}

// Reset wipes every emulated resource (POST /moto-api/reset).
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	resp, err := m.client.Post(m.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("testenv: reset moto: %v", err)
	}
	resp.Body.Close()
}

// Options returns awsconf options pointing at this moto (dummy keys, the test region).
func (m *Moto) Options() awsconf.Options {
	return awsconf.Options{Region: Region, AccessKeyID: "testing", SecretAccessKey: "testing", Endpoint: m.Endpoint}
}

// Config returns an aws.Config pointing at this moto.
func (m *Moto) Config(t testing.TB) aws.Config {
	t.Helper()
	return ConfigFor(t, m.Endpoint)
}

// ConfigFor returns an aws.Config for any emulator endpoint (moto, a fault proxy, a scripted fake).
func ConfigFor(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	cfg, err := awsconf.Load(context.Background(), awsconf.Options{
		Region: Region, AccessKeyID: "testing", SecretAccessKey: "testing", Endpoint: endpoint,
	})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return cfg
}

// Log returns what moto printed so far (for failure messages).
func (m *Moto) Log() string { return m.log.String() }

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// S3 returns a path-style S3 client for an emulator config.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// CreateBucket creates a bucket in the test region (moto insists on the location constraint).
func CreateBucket(t testing.TB, cfg aws.Config, bucket string) {
	t.Helper()
	_, err := S3(cfg).CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(cfg.Region),
		},
	})
	if err != nil {
		t.Fatalf("testenv: create bucket %s: %v", bucket, err)
	}
}
