package reliability

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Recognisable fake values, as the dry-run end-to-end test uses them.
var (
	djangoKey = "FAKE-django-secret-9f8e7d6c5b4a"
	dbPass    = `FAKE"pg<pass>&word/with+chars=`
	secrets   = []string{djangoKey, dbPass}
)

func mustScanner(t *testing.T) *Scanner {
	t.Helper()
	s, err := NewScanner(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScanBytesFindsEveryEncoding(t *testing.T) {
	s := mustScanner(t)
	cases := map[string]string{
		"raw":  "DJANGO_SECRET_KEY=" + dbPass + "\n",
		"json": `{"password":` + mustJSON(dbPass) + `}`,
		"url":  "postgres://u:" + url.QueryEscape(dbPass) + "@db/x",
		"hex":  "0x" + hex.EncodeToString([]byte(dbPass)),
	}
	for want, text := range cases {
		f := s.ScanBytes(want, []byte(text))
		if len(f) == 0 {
			t.Errorf("%s: secret not found in %q", want, text)
			continue
		}
		found := false
		for _, x := range f {
			found = found || x.Encoding == want
			if x.Secret != 1 {
				t.Errorf("%s: finding names secret #%d, want #1", want, x.Secret)
			}
		}
		if !found {
			t.Errorf("%s: findings %v lack encoding %s", want, f, want)
		}
	}
	// base64 at every alignment inside a longer text (an auth header, a docker config …).
	for pad := 0; pad < 3; pad++ {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			blob := enc.EncodeToString([]byte(strings.Repeat("x", pad) + "user:" + djangoKey + ":tail"))
			if f := s.ScanBytes("b64", []byte("Authorization: Basic "+blob)); len(f) == 0 {
				t.Errorf("base64 with %d leading bytes not found: %s", pad, blob)
			}
		}
	}
	if f := s.ScanBytes("clean", []byte("DJANGO_SECRET_KEY=arn:aws:secretsmanager:eu-central-1:123456789012:secret:x")); len(f) != 0 {
		t.Errorf("clean text gave findings: %v", f)
	}
}

func mustJSON(v string) string { return `"` + jsonEscape(v, true) + `"` }

func TestFindingsNeverCarryTheValue(t *testing.T) {
	s := mustScanner(t)
	f := s.ScanBytes("x", []byte(djangoKey+" "+dbPass))
	if len(f) < 2 {
		t.Fatalf("want both secrets found, got %v", f)
	}
	for _, x := range f {
		line := x.String() + Report(f)
		for _, v := range secrets {
			if strings.Contains(line, v) || strings.Contains(line, v[2:]) {
				t.Fatalf("finding %q reveals a secret", line)
			}
		}
	}
}

func TestShortOrMissingSecretsAreRefused(t *testing.T) {
	if _, err := NewScanner(nil); err == nil {
		t.Error("no secrets accepted")
	}
	if _, err := NewScanner([]string{djangoKey, "short"}); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("a 5-byte secret: err = %v (must be refused without echoing it)", err)
	}
}

func TestScanFilesOpensGzipAndTar(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "summary.md"), "# deploy\nall good\n")
	write(t, filepath.Join(root, "state", "terraform.tfstate"), `{"outputs":{"x":{"value":"arn:aws:…"}}}`)
	// A gzip'd tar holding the value deep inside: found through both layers.
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	addTar(t, tw, "app/settings.env", "SECRET="+djangoKey+"\n")
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	write(t, filepath.Join(root, "bundle", "archive.tgz"), gz.String())

	f, err := ScanFiles(root, secrets)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 1 || f[0].Where != "bundle/archive.tgz!gunzip!app/settings.env" || f[0].Secret != 0 {
		t.Fatalf("findings = %v, want one in bundle/archive.tgz!gunzip!app/settings.env", f)
	}
	if _, err := ScanFiles(filepath.Join(root, "missing"), secrets); err == nil {
		t.Error("a missing root gave no error")
	}
}

// testImage is a two-layer image; leak puts the DB password into a layer file and the Django key
// into the config's environment.
func testImage(t *testing.T, leak bool) v1.Image {
	t.Helper()
	base := layerOf(t, map[string]string{"usr/lib/python3/site.py": "print('hello')\n"})
	app := map[string]string{"app/manage.py": "import os\n"}
	if leak {
		app["app/.env"] = "POSTGRES_PASSWORD=" + dbPass + "\n"
	}
	img, err := mutate.AppendLayers(empty.Image, base, layerOf(t, app))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Env = []string{"PATH=/usr/bin", "DJANGO_SETTINGS_MODULE=bookme.settings"}
	if leak {
		cf.Config.Env = append(cf.Config.Env, "DJANGO_SECRET_KEY="+djangoKey)
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func layerOf(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, c := range files {
		addTar(t, tw, n, c)
	}
	tw.Close()
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestScanImageLayersAndConfigInEveryArchiveForm(t *testing.T) {
	s := mustScanner(t)
	for _, leak := range []bool{true, false} {
		img := testImage(t, leak)
		dir := t.TempDir()

		// OCI layout directory.
		lp, err := layout.Write(filepath.Join(dir, "oci"), empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendImage(img); err != nil {
			t.Fatal(err)
		}
		// docker save tarball.
		tag, _ := name.NewTag("registry.invalid/bookme/api:0123456789ab")
		if err := tarball.WriteToFile(filepath.Join(dir, "docker.tar"), tag, img); err != nil {
			t.Fatal(err)
		}
		// OCI archive (the layout, tarred, as an engine export writes it).
		tarDir(t, filepath.Join(dir, "oci"), filepath.Join(dir, "oci.tar"))

		forms := map[string]func() ([]Finding, error){
			"oci layout":     func() ([]Finding, error) { return s.ScanOCILayout(filepath.Join(dir, "oci")) },
			"docker tarball": func() ([]Finding, error) { return s.ScanImageTarball(filepath.Join(dir, "docker.tar")) },
			"oci archive":    func() ([]Finding, error) { return s.ScanImageTarball(filepath.Join(dir, "oci.tar")) },
		}
		for form, scan := range forms {
			f, err := scan()
			if err != nil {
				t.Fatalf("%s: %v", form, err)
			}
			if !leak {
				if len(f) != 0 {
					t.Errorf("%s: clean image gave findings:\n%s", form, Report(f))
				}
				continue
			}
			var inLayer, inConfig bool
			for _, x := range f {
				inLayer = inLayer || (x.Secret == 1 && strings.Contains(x.Where, "!layer sha256:") && strings.HasSuffix(x.Where, "!app/.env"))
				inConfig = inConfig || (x.Secret == 0 && strings.Contains(x.Where, "!config sha256:"))
			}
			if !inLayer || !inConfig {
				t.Errorf("%s: layer finding %v, config finding %v:\n%s", form, inLayer, inConfig, Report(f))
			}
		}
	}
	if _, err := s.ScanImageTarball(filepath.Join(t.TempDir(), "nope.tar")); err == nil {
		t.Error("missing tarball gave no error")
	}
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func addTar(t *testing.T, tw *tar.Writer, name, content string) {
	t.Helper()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
}

func tarDir(t *testing.T, src, dst string) {
	t.Helper()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	defer tw.Close()
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		addTar(t, tw, filepath.ToSlash(rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
