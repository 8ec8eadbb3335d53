// Command registryimage writes an OCI image layout that stands in for registry:2 (the Docker
// distribution registry) on machines without a container registry: the Dagger test harness's
// debian:bookworm-slim image plus ./registryd (built here, static, CGO off) as /bin/registry and a
// minimal distribution config at /etc/docker/registry/config.yml. It is test tooling, used by
// scripts/harness-images.
//
//	go run ./internal/tools/registryimage -base $H/images/debian -out /var/cache/bookme-deploy/images/registry
//
// The image config matches the real registry:2 where it matters: port 5000/tcp exposed, volume
// /var/lib/registry, the same environment variables (see registryd). One difference: the real
// image's entrypoint is /entrypoint.sh (a script that execs `registry serve CONFIG`) with CMD
// [CONFIG]; here the entrypoint is the binary itself, /bin/registry, with CMD ["serve", CONFIG].
// Both start the same way with the image's own entrypoint and default args, and registryd also
// accepts CONFIG alone as the real entrypoint script does.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"bookme-deploy/internal/tools/lookalike"
)

// registrydPkg is the package built into /bin/registry.
const registrydPkg = "bookme-deploy/internal/tools/registryimage/registryd"

// configYML is a minimal valid distribution configuration, as the real image ships one. registryd
// ignores it (it keeps blobs in memory and reads the REGISTRY_* environment variables).
const configYML = `version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
`

func main() {
	base := flag.String("base", "", "OCI layout of the base image (one image)")
	out := flag.String("out", "", "output OCI layout directory (replaced)")
	flag.Parse()
	if *base == "" || *out == "" {
		log.Fatal("usage: registryimage -base LAYOUT -out DIR")
	}
	if err := run(*base, *out); err != nil {
		log.Fatal(err)
	}
}

func run(base, out string) error {
	bin, err := buildRegistryd()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := writeLayer(&buf, bin); err != nil {
		return err
	}
	d, err := lookalike.Build(base, out, buf.Bytes(), func(cfg *v1.Config) {
		cfg.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		cfg.ExposedPorts = map[string]struct{}{"5000/tcp": {}}
		cfg.Volumes = map[string]struct{}{"/var/lib/registry": {}}
		cfg.Entrypoint = []string{"/bin/registry"}
		cfg.Cmd = []string{"serve", "/etc/docker/registry/config.yml"}
		cfg.WorkingDir = ""
	})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s, /bin/registry %d bytes)\n", out, d, len(bin))
	return nil
}

// buildRegistryd compiles registryd for linux/amd64 (static, CGO off, -trimpath) into a temporary
// directory and returns the binary.
func buildRegistryd() ([]byte, error) {
	dir, err := os.MkdirTemp("", "registryimage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "registry")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, registrydPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w", registrydPkg, err)
	}
	return os.ReadFile(exe)
}

// writeLayer writes the layer added to the base: the binary, the config file and the storage
// directory. The base has a merged /usr (/bin -> usr/bin), so the binary goes to usr/bin/registry
// and is /bin/registry through the link; a bin/ entry here would replace that link.
func writeLayer(w io.Writer, bin []byte) error {
	mtime := time.Unix(0, 0) // fixed, so the same binary gives the same layer digest
	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		mode int64
		data []byte
	}{
		{"usr/bin/registry", 0o755, bin},
		{"etc/docker/", 0o755, nil},
		{"etc/docker/registry/", 0o755, nil},
		{"etc/docker/registry/config.yml", 0o644, []byte(configYML)},
		{"var/lib/registry/", 0o755, nil},
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if e.data == nil {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}
