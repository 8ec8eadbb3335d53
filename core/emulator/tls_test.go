package emulator

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

// A real TLS handshake against the certificate: valid for its name, refused for another.
func TestNewTLSHandshake(t *testing.T) {
	c, err := NewTLS("moto", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CAPEM) {
		t.Fatal("CA PEM does not parse")
	}
	dial := func(name string) error {
		conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: name})
		if err == nil {
			conn.Close()
		}
		return err
	}
	if err := dial("moto"); err != nil {
		t.Fatalf("handshake for moto: %v", err)
	}
	if err := dial("other"); err == nil {
		t.Fatal("a name outside the certificate was accepted")
	}
	_ = net.IPv4len
}

func TestNewTLSNeedsAName(t *testing.T) {
	if _, err := NewTLS(); err == nil {
		t.Fatal("expected an error")
	}
}
