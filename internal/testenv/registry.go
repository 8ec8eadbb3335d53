package testenv

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is an in-process OCI registry (go-containerregistry), in memory.
type Registry struct {
	// Host is host:port, e.g. 127.0.0.1:41235, usable in image references.
	Host   string
	server *httptest.Server
}

// StartRegistry starts an in-memory OCI registry on loopback and stops it when the test ends.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), server: srv}
}
