//go:build e2e

package e2e

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"archive/tar"

	"bookme-deploy/internal/testenv"
)

// The DB bootstrap one-off task runs the bookme-dbbootstrap the deploy baked into the image. moto's
// RDS runs no server, so this test takes the binary out of the very image the dry-run pushed (read
// back from the registry stand-in by digest) and runs it twice against a real PostgreSQL on
// loopback, with a master role made like RDS's: the first run creates the database and the app
// role, the second changes nothing. The database is then checked directly.
func TestDBBootstrapOfThePushedImage(t *testing.T) {
	t.Parallel()
	dir, _ := dryRunArtifacts(t)
	bin := extractFromImage(t, filepath.Join(dir, "image"), "usr/local/bin/bookme-dbbootstrap")
	pg := testenv.StartPostgres(t)
	appPassword := "e2e-app-password-" + randHex(t) // the same on both runs, as the env file's secret
	run := func(i int) string {
		cmd := exec.Command(bin, "--host", pg.Host, "--port", strconv.Itoa(pg.Port), "--db", "book_me_staging",
			"--role", "book_me_staging_api", "--sslmode", "disable", "--app-password-env", "APP_PW")
		cmd.Env = append(os.Environ(), "BOOKME_DB_MASTER_USER="+pg.SuperUser, "BOOKME_DB_MASTER_PASSWORD="+pg.SuperPassword,
			"APP_PW="+appPassword)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		return string(out)
	}
	first, second := run(1), run(2)
	if !strings.Contains(first, "statement(s) applied") {
		t.Errorf("the first run on an empty server applied nothing:\n%s", first)
	}
	if !strings.Contains(second, "nothing changed") {
		t.Errorf("the second run changed something (not idempotent):\n%s", second)
	}
	out, err := exec.Command("psql", pg.DSN(pg.SuperUser, pg.SuperPassword, "postgres"), "-Atc",
		"SELECT (SELECT count(*) FROM pg_database WHERE datname='book_me_staging'), (SELECT count(*) FROM pg_roles WHERE rolname='book_me_staging_api' AND rolcanlogin AND NOT rolsuper)").CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "1|1" {
		t.Errorf("database and login role after bootstrap: got %q, want 1|1", got)
	}
}

// extractFromImage writes one file of the layout's single image (flattened layers) to a temp file.
func extractFromImage(t *testing.T, layoutDir, name string) string {
	t.Helper()
	p, err := layout.FromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("image layout: %v (%d manifests)", err, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("the image has no %s", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") != name {
			continue
		}
		dst := filepath.Join(t.TempDir(), filepath.Base(name))
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return dst
	}
}
