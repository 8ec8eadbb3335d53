// Command registryd stands in for the Docker distribution registry (`registry serve <config>`, the
// program in the registry:2 image) on machines without a container registry. It serves the
// registry HTTP API with go-containerregistry's pkg/registry (blobs and manifests in memory: a
// restart starts empty, like a registry:2 container without a volume) and implements the part of
// distribution's configuration our pipeline uses, read from the same environment variables:
//
//	REGISTRY_HTTP_ADDR            listen address (default ":5000", all interfaces)
//	REGISTRY_AUTH                 "htpasswd" turns on Basic authentication; unset = anonymous
//	REGISTRY_AUTH_HTPASSWD_PATH   htpasswd file, bcrypt entries as `htpasswd -Bbn USER PASS` writes them
//	REGISTRY_AUTH_HTPASSWD_REALM  realm of the Basic challenge
//
// The config file argument (`serve /etc/docker/registry/config.yml`, or the file alone as the real
// image's entrypoint script accepts it) is accepted and ignored. Each request is logged as one line
// on stdout (method, path, status, user, duration); the Authorization header never is. It is test
// tooling, packed into the registry:2 look-alike by ../main.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := checkArgs(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(2)
	}
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
	logger := log.New(os.Stdout, "", log.LstdFlags|log.Lmicroseconds)
	h, err := newHandler(cfg, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	auth := "none"
	if cfg.Auth != "" {
		auth = cfg.Auth + " (realm " + cfg.Realm + ")"
	}
	logger.Printf("listening on %s, auth %s", cfg.Addr, auth)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

// checkArgs accepts what the registry:2 image may pass: nothing, `serve CONFIG`, or `CONFIG` alone
// (a .yml/.yaml path, which the real image's entrypoint script turns into `registry serve CONFIG`).
func checkArgs(args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case args[0] == "serve" && len(args) <= 2:
		return nil
	case len(args) == 1 && (strings.HasSuffix(args[0], ".yml") || strings.HasSuffix(args[0], ".yaml")):
		return nil
	}
	return fmt.Errorf("unsupported arguments %q: this stand-in only runs `registry serve [CONFIG]`", args)
}
