//go:build e2e

package e2e

import (
	"archive/tar"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"bookme-deploy/core/record"
)

// motoECRPassword is what moto's GetAuthorizationToken returns for its default account.
const motoECRPassword = "123456789012-auth-token"

// checkPublishedImage reads the image the dry-run pushed — the engine's WithRegistryAuth + Publish to
// the registry:2 service, read back from it with go-containerregistry — and checks it against the
// deploy record: the digest the services run, the OCI labels and annotations, and the DB bootstrap
// command in a layer.
func checkPublishedImage(t *testing.T, dir string, rec *record.Record) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatalf("image layout: %v", err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("want one image in the layout, got %d", len(im.Manifests))
	}
	desc := im.Manifests[0]
	_, digest, _ := strings.Cut(rec.ImageRef, "@")
	if desc.Digest.String() != digest || digest == "" {
		t.Errorf("read-back digest %s, the record (and the task definitions) use %q", desc.Digest, rec.ImageRef)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	got, err := img.Digest()
	if err != nil || got != desc.Digest {
		t.Errorf("the manifest's bytes hash to %s, not %s (%v)", got, desc.Digest, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	labels := cfg.Config.Labels
	if labels["org.opencontainers.image.revision"] != rec.GitSHA {
		t.Errorf("label revision = %q, want the commit %s", labels["org.opencontainers.image.revision"], rec.GitSHA)
	}
	if labels["org.opencontainers.image.source"] == "" {
		t.Errorf("no org.opencontainers.image.source label: %v", labels)
	}
	if c, err := time.Parse(time.RFC3339, labels["org.opencontainers.image.created"]); err != nil || time.Since(c) > 3*time.Hour {
		t.Errorf("label created = %q: want the build time (%v)", labels["org.opencontainers.image.created"], err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations["org.opencontainers.image.revision"] != rec.GitSHA {
		t.Errorf("manifest annotation revision = %q, want %s", m.Annotations["org.opencontainers.image.revision"], rec.GitSHA)
	}
	if !hasFile(t, img, "usr/local/bin/bookme-dbbootstrap") {
		t.Errorf("the image lacks /usr/local/bin/bookme-dbbootstrap (the DB bootstrap one-off task runs it)")
	}
	layers, _ := img.Layers()
	t.Logf("image %s: %d layers, labels %v", desc.Digest, len(layers), labels)
}

func hasFile(t *testing.T, img v1.Image, name string) bool {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(layers) - 1; i >= 0; i-- {
		rc, err := layers[i].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimPrefix(h.Name, "./") == name {
				rc.Close()
				return true
			}
		}
		rc.Close()
	}
	return false
}
