// Package reliability holds the cross-cutting proofs of bookme-deploy's promises: the fault-injection
// matrix (every pipeline stage against moto or the scripted ECS fake behind a fault-injecting proxy),
// the bad-input matrix (one clear error, nothing changed in the emulated account) and the secret
// scanner the end-to-end dry-run test runs over everything the pipeline produced.
//
// The matrices are integration tests (`go test -tags integration ./test/reliability/ -v`); the
// scanner (this file) and the account snapshot (snapshot.go) are plain Go so other test packages can
// import them. See RELIABILITY.md at the repository root for what is proven and the measured tables.
package reliability

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"bookme-deploy/internal/ocitar"
)

// MinSecretLen is the shortest secret value the scanner accepts: shorter values match by chance.
const MinSecretLen = 8

// maxNested bounds how deep archives inside archives are opened (a tar in a gzip in a layer …).
const maxNested = 4

// Finding is one place a secret value was found. It never holds the value itself.
type Finding struct {
	// Secret is the index of the value in the secrets slice given to the scan.
	Secret int `json:"secret"`
	// Redacted names the value without revealing it: its first two characters and its length.
	Redacted string `json:"redacted"`
	// Where is the file, archive member or image part: "bundle/index.html",
	// "image.tar!layer sha256:…!app/settings.py", "image config sha256:…".
	Where string `json:"where"`
	// Encoding is how the value appeared: raw, json, url, base64, hex.
	Encoding string `json:"encoding"`
	// Offset is the byte offset of the first occurrence in the scanned (decompressed) content.
	Offset int `json:"offset"`
}

// String is one line for a test failure message, without the secret value.
func (f Finding) String() string {
	return fmt.Sprintf("secret #%d (%s) found %s-encoded in %s at byte %d", f.Secret, f.Redacted, f.Encoding, f.Where, f.Offset)
}

// Redact returns the form of a secret value used in findings: its first two characters, an
// ellipsis and its length ("hu…(32 chars)").
func Redact(secret string) string {
	r := []rune(secret)
	if len(r) <= 2 {
		return fmt.Sprintf("…(%d chars)", len(r))
	}
	return fmt.Sprintf("%s…(%d chars)", string(r[:2]), len(r))
}

// pattern is one encoded form of one secret.
type pattern struct {
	secret   int
	encoding string
	needle   []byte
}

// Scanner looks for a fixed set of secret values in bytes, files, archives and container images.
// Each value is searched raw and in the encodings a pipeline typically writes: JSON string escaping,
// URL query escaping, base64 (at any alignment) and hex. Build it with NewScanner.
type Scanner struct {
	secrets  []string
	patterns []pattern
}

// NewScanner returns a scanner for secrets. Every value must be at least MinSecretLen bytes long
// (short values match by chance, so the scan would prove nothing).
func NewScanner(secrets []string) (*Scanner, error) {
	if len(secrets) == 0 {
		return nil, errors.New("secret scan: no secret values given")
	}
	s := &Scanner{secrets: append([]string(nil), secrets...)}
	for i, v := range secrets {
		if len(v) < MinSecretLen {
			return nil, fmt.Errorf("secret scan: secret #%d is %d bytes; use recognisable values of at least %d", i, len(v), MinSecretLen)
		}
		seen := map[string]bool{}
		add := func(enc, needle string) {
			if needle == "" || seen[needle] {
				return
			}
			seen[needle] = true
			s.patterns = append(s.patterns, pattern{secret: i, encoding: enc, needle: []byte(needle)})
		}
		add("raw", v)
		add("json", jsonEscape(v, true))
		add("json", jsonEscape(v, false))
		add("url", url.QueryEscape(v))
		add("url", url.PathEscape(v))
		for _, b := range base64Needles(v) {
			add("base64", b)
		}
		add("hex", hex.EncodeToString([]byte(v)))
	}
	return s, nil
}

func jsonEscape(v string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(v)
	out := strings.TrimSpace(b.String())
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// base64Needles returns, for the three alignments a value can have inside a longer base64 text,
// the characters that depend only on the value (the edges, which mix in neighbouring bytes, are
// cut off). Standard and URL alphabets both.
func base64Needles(v string) []string {
	var out []string
	for pad := 0; pad < 3; pad++ {
		data := append(bytes.Repeat([]byte{0}, pad), v...)
		enc := base64.StdEncoding.EncodeToString(data)
		// Characters covering only the value: skip the ones touching the pad bytes and the tail.
		start := (pad*8 + 5) / 6
		end := (len(data) * 8) / 6
		if end-start < 4 {
			continue
		}
		core := enc[start:end]
		out = append(out, core, strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

// ScanBytes returns the findings in data, labelled where. Compressed (gzip) and archived (tar)
// content is opened and scanned too, member by member.
func (s *Scanner) ScanBytes(where string, data []byte) []Finding {
	return s.scan(where, data, 0)
}

func (s *Scanner) scan(where string, data []byte, depth int) []Finding {
	var out []Finding
	if depth < maxNested && isTar(data) {
		// Members are scanned one by one (headers included): no duplicate for the archive itself.
		return s.scanTar(where, bytes.NewReader(data), depth+1)
	}
	for _, p := range s.patterns {
		if i := bytes.Index(data, p.needle); i >= 0 {
			out = append(out, Finding{Secret: p.secret, Redacted: Redact(s.secrets[p.secret]), Where: where, Encoding: p.encoding, Offset: i})
		}
	}
	if depth >= maxNested {
		return out
	}
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if plain, err := io.ReadAll(io.LimitReader(zr, 1<<30)); err == nil {
				out = append(out, s.scan(where+"!gunzip", plain, depth+1)...)
			}
		}
	}
	return out
}

// isTar reports whether data starts with a ustar header.
func isTar(data []byte) bool {
	return len(data) >= 512 && (string(data[257:262]) == "ustar")
}

func (s *Scanner) scanTar(where string, r io.Reader, depth int) []Finding {
	var out []Finding
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			return out
		}
		// Names, link targets and PAX records can carry a value too.
		meta := h.Name + "\x00" + h.Linkname
		for k, v := range h.PAXRecords {
			meta += "\x00" + k + "=" + v
		}
		out = append(out, s.scan(where+"!"+h.Name+" (header)", []byte(meta), maxNested)...)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		body, err := io.ReadAll(io.LimitReader(tr, 1<<30))
		if err != nil {
			return out
		}
		out = append(out, s.scan(where+"!"+h.Name, body, depth)...)
	}
}

// ScanFiles scans every regular file under root (root itself may be a file), archives and gzip
// files included. Findings name files by their path relative to root (a file root: its base name).
func (s *Scanner) ScanFiles(root string) ([]Finding, error) {
	var out []Finding
	base := filepath.Clean(root)
	if st, err := os.Stat(base); err == nil && !st.IsDir() {
		base = filepath.Dir(base)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		out = append(out, s.ScanBytes(filepath.ToSlash(rel), data)...)
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("secret scan: %w", err)
	}
	return out, nil
}

// ScanImage scans a container image: its config blob (environment, labels, history, entrypoint)
// and every file of every layer (uncompressed, names and contents). where labels the findings.
func (s *Scanner) ScanImage(where string, img v1.Image) ([]Finding, error) {
	var out []Finding
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("secret scan: %s: read the image config: %w", where, err)
	}
	cfgDigest, _ := img.ConfigName()
	out = append(out, s.ScanBytes(fmt.Sprintf("%s!config %s", where, cfgDigest), raw)...)
	manifest, err := img.RawManifest()
	if err == nil {
		out = append(out, s.ScanBytes(where+"!manifest", manifest)...)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("secret scan: %s: list layers: %w", where, err)
	}
	for _, l := range layers {
		d, _ := l.Digest()
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, fmt.Errorf("secret scan: %s: open layer %s: %w", where, d, err)
		}
		out = append(out, s.scanTar(fmt.Sprintf("%s!layer %s", where, d), rc, 1)...)
		rc.Close()
	}
	return out, nil
}

// ScanOCILayout scans every image of an OCI image layout directory (index.json, blobs/), following
// nested indexes (multi-platform images).
func (s *Scanner) ScanOCILayout(dir string) ([]Finding, error) {
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("secret scan: %s is not an OCI layout: %w", dir, err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("secret scan: %s: read index.json: %w", dir, err)
	}
	out, n, err := s.scanIndex(filepath.Base(dir), idx)
	if err != nil {
		return out, err
	}
	if n == 0 {
		return out, fmt.Errorf("secret scan: %s holds no image", dir)
	}
	return out, nil
}

func (s *Scanner) scanIndex(where string, idx v1.ImageIndex) ([]Finding, int, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, 0, fmt.Errorf("secret scan: %s: read index: %w", where, err)
	}
	var out []Finding
	images := 0
	for _, desc := range m.Manifests {
		label := fmt.Sprintf("%s!%s", where, desc.Digest)
		if desc.Platform != nil {
			label += " (" + desc.Platform.String() + ")"
		}
		if desc.MediaType.IsIndex() {
			child, err := idx.ImageIndex(desc.Digest)
			if err != nil {
				return out, images, fmt.Errorf("secret scan: %s: %w", label, err)
			}
			f, n, err := s.scanIndex(label, child)
			out, images = append(out, f...), images+n
			if err != nil {
				return out, images, err
			}
			continue
		}
		if !desc.MediaType.IsImage() {
			continue // attestations and other artifacts are not images
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return out, images, fmt.Errorf("secret scan: %s: %w", label, err)
		}
		f, err := s.ScanImage(label, img)
		out = append(out, f...)
		images++
		if err != nil {
			return out, images, err
		}
	}
	return out, images, nil
}

// ScanImageTarball scans an image tarball: a `docker save` archive (manifest.json) or an OCI
// archive (index.json + blobs/, as `dagger … export` writes). Every image in it is scanned.
func (s *Scanner) ScanImageTarball(path string) ([]Finding, error) {
	members, err := tarMembers(path)
	if err != nil {
		return nil, err
	}
	where := filepath.Base(path)
	if members["manifest.json"] {
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
		if err != nil {
			return nil, fmt.Errorf("secret scan: %s: read manifest.json: %w", path, err)
		}
		var out []Finding
		for _, d := range m {
			var tag *name.Tag
			if len(d.RepoTags) > 0 {
				t, err := name.NewTag(d.RepoTags[0])
				if err != nil {
					return out, fmt.Errorf("secret scan: %s: bad tag %q: %w", path, d.RepoTags[0], err)
				}
				tag = &t
			} else if len(m) > 1 {
				return out, fmt.Errorf("secret scan: %s holds %d images and %s has no tag to pick it by", path, len(m), d.Config)
			}
			img, err := tarball.ImageFromPath(path, tag)
			if err != nil {
				return out, fmt.Errorf("secret scan: %s: %w", path, err)
			}
			f, err := s.ScanImage(where+"!"+d.Config, img)
			out = append(out, f...)
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	if members["index.json"] {
		dir, err := os.MkdirTemp("", "secret-scan-oci-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := ocitar.Extract(path, dir); err != nil {
			return nil, err
		}
		out, err := s.ScanOCILayout(dir)
		for i := range out {
			out[i].Where = strings.Replace(out[i].Where, filepath.Base(dir), where, 1)
		}
		return out, err
	}
	return nil, fmt.Errorf("secret scan: %s is neither a docker-save nor an OCI image archive (no manifest.json or index.json)", path)
}

// tarMembers lists the top-level member names of a tar file.
func tarMembers(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret scan: %w", err)
	}
	defer f.Close()
	out := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("secret scan: %s is not a tar archive: %w", path, err)
		}
		out[strings.TrimPrefix(h.Name, "./")] = true
	}
}

// ScanFiles is NewScanner(secrets) followed by Scanner.ScanFiles(root).
func ScanFiles(root string, secrets []string) ([]Finding, error) {
	s, err := NewScanner(secrets)
	if err != nil {
		return nil, err
	}
	return s.ScanFiles(root)
}

// ScanBytes is NewScanner(secrets) followed by Scanner.ScanBytes(where, data).
func ScanBytes(where string, data []byte, secrets []string) ([]Finding, error) {
	s, err := NewScanner(secrets)
	if err != nil {
		return nil, err
	}
	return s.ScanBytes(where, data), nil
}

// ScanImageTarball is NewScanner(secrets) followed by Scanner.ScanImageTarball(path).
func ScanImageTarball(path string, secrets []string) ([]Finding, error) {
	s, err := NewScanner(secrets)
	if err != nil {
		return nil, err
	}
	return s.ScanImageTarball(path)
}

// ScanOCILayout is NewScanner(secrets) followed by Scanner.ScanOCILayout(dir).
func ScanOCILayout(dir string, secrets []string) ([]Finding, error) {
	s, err := NewScanner(secrets)
	if err != nil {
		return nil, err
	}
	return s.ScanOCILayout(dir)
}

// Report renders findings one per line, sorted, for a test failure ("" when there are none).
func Report(findings []Finding) string {
	lines := make([]string, len(findings))
	for i, f := range findings {
		lines[i] = f.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
