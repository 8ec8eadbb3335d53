package testenv

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Bundle describes a generated SPA build directory.
type Bundle struct {
	// Dir is the bundle's root (it holds index.html).
	Dir string
	// Files and Bytes count every file of the bundle.
	Files int
	Bytes int64
}

// ChangeStats says what ChangeBundle changed.
type ChangeStats struct {
	// Files is how many files are new or rewritten (renamed chunks plus index.html).
	Files int
	// Bytes is the size of those files: what a content-based deploy has to send.
	Bytes int64
	// Removed are the bundle-relative paths of the chunks that were replaced.
	Removed []string
}

// GenerateBundle writes a realistic React/Vite-style build of n files (n ≥ 10) into dir,
// deterministic for a seed: index.html referencing every JS/CSS chunk (modulepreload links), many
// small content-hashed JS and CSS chunks, some images and fonts, a few large source maps, and a
// handful of non-hashed files (favicon.ico, robots.txt, manifest.webmanifest). Average file size
// is about 15 KiB. Hash segments are the first 8 hex digits of the content's MD5, as bundlers do.
func GenerateBundle(dir string, n int, seed int64) (Bundle, error) {
	if n < 10 {
		return Bundle{}, fmt.Errorf("bundle: need at least 10 files, got %d", n)
	}
	rng := rand.New(rand.NewSource(seed))
	b := Bundle{Dir: dir}
	write := func(rel string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b.Files++
		b.Bytes += int64(len(data))
		return os.WriteFile(p, data, 0o644)
	}
	fixed := map[string][]byte{
		"favicon.ico":          randBytes(rng, 15406),
		"robots.txt":           []byte("User-agent: *\nDisallow:\n"),
		"manifest.webmanifest": []byte(`{"short_name":"book_me","name":"book_me","start_url":".","display":"standalone"}` + "\n"),
	}
	for rel, data := range fixed {
		if err := write(rel, data); err != nil {
			return b, err
		}
	}
	var refs []string
	for i := 0; i < n-1-len(fixed); i++ {
		rel, data := genAsset(rng, i)
		if err := write(rel, data); err != nil {
			return b, err
		}
		if strings.HasSuffix(rel, ".js") || strings.HasSuffix(rel, ".css") {
			refs = append(refs, rel)
		}
	}
	html := renderIndex(refs, seed)
	if err := write("index.html", html); err != nil {
		return b, err
	}
	return b, nil
}

// genAsset returns the i-th asset: its hashed path and content.
func genAsset(rng *rand.Rand, i int) (string, []byte) {
	r := rng.Float64()
	var dir, stem, ext string
	var size int
	switch {
	case r < 0.62: // JS chunks: mostly small
		dir, stem, ext, size = "static/js", fmt.Sprint(i), ".chunk.js", logSize(rng, 600, 40_000)
	case r < 0.74:
		dir, stem, ext, size = "static/css", fmt.Sprint(i), ".chunk.css", logSize(rng, 300, 12_000)
	case r < 0.92:
		im := []string{".png", ".svg", ".webp", ".jpg"}[rng.Intn(4)]
		dir, stem, ext, size = "static/media", fmt.Sprintf("img%d", i), im, logSize(rng, 2_000, 60_000)
	case r < 0.97:
		dir, stem, ext, size = "static/media", fmt.Sprintf("font%d", i), ".woff2", logSize(rng, 15_000, 45_000)
	default: // a few large source maps
		dir, stem, ext, size = "static/js", fmt.Sprint(i), ".chunk.js.map", logSize(rng, 60_000, 400_000)
	}
	data := randText(rng, size)
	return hashedName(dir, stem, ext, data), data
}

func hashedName(dir, stem, ext string, data []byte) string {
	sum := md5.Sum(data)
	return fmt.Sprintf("%s/%s.%s%s", dir, stem, hex.EncodeToString(sum[:])[:8], ext)
}

func logSize(rng *rand.Rand, lo, hi int) int {
	// Log-uniform between lo and hi: many small files, few large ones.
	f := float64(lo) * math.Pow(float64(hi)/float64(lo), rng.Float64())
	return int(f)
}

func randText(rng *rand.Rand, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789(){};=.,+-* \n"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	return b
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func renderIndex(refs []string, seed int64) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>book_me</title><!-- build %d -->\n", seed)
	b.WriteString("<link rel=\"manifest\" href=\"/manifest.webmanifest\"><link rel=\"icon\" href=\"/favicon.ico\">\n")
	for _, r := range refs {
		if strings.HasSuffix(r, ".css") {
			fmt.Fprintf(&b, "<link rel=\"stylesheet\" href=\"/%s\">\n", r)
		} else {
			fmt.Fprintf(&b, "<link rel=\"modulepreload\" href=\"/%s\">\n", r)
		}
	}
	b.WriteString("</head><body><div id=\"root\"></div></body></html>\n")
	return []byte(b.String())
}

var refRE = regexp.MustCompile(`(?:src|href)="/([^"]+)"`)

// IndexRefs returns the bundle-relative paths an index.html generated here references.
func IndexRefs(html []byte) []string {
	var out []string
	for _, m := range refRE.FindAllSubmatch(html, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// ChangeBundle simulates a rebuild in which fraction of the JS/CSS chunks changed (at least one):
// each picked chunk is replaced by new content under a new hashed name, and index.html is
// rewritten to reference the new names. Deterministic for a seed.
func ChangeBundle(dir string, fraction float64, seed int64) (ChangeStats, error) {
	var chunks []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".chunk.js") || strings.HasSuffix(rel, ".chunk.css") {
			chunks = append(chunks, rel)
		}
		return nil
	})
	if err != nil {
		return ChangeStats{}, err
	}
	sort.Strings(chunks)
	total := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			total++
		}
		return nil
	})
	k := int(float64(total)*fraction + 0.5)
	if k < 1 {
		k = 1
	}
	if k > len(chunks) {
		k = len(chunks)
	}
	rng := rand.New(rand.NewSource(seed))
	rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
	indexPath := filepath.Join(dir, "index.html")
	html, err := os.ReadFile(indexPath)
	if err != nil {
		return ChangeStats{}, err
	}
	var st ChangeStats
	for _, old := range chunks[:k] {
		oldAbs := filepath.Join(dir, filepath.FromSlash(old))
		info, err := os.Stat(oldAbs)
		if err != nil {
			return st, err
		}
		data := randText(rng, int(info.Size())+rng.Intn(200))
		base := filepath.Base(old)
		stem := base[:strings.IndexByte(base, '.')]
		ext := base[strings.IndexByte(base[len(stem)+1:], '.')+len(stem)+1:]
		nu := hashedName(filepath.ToSlash(filepath.Dir(old)), stem, ext, data)
		if err := os.Remove(oldAbs); err != nil {
			return st, err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(nu)), data, 0o644); err != nil {
			return st, err
		}
		html = []byte(strings.ReplaceAll(string(html), "/"+old+`"`, "/"+nu+`"`))
		st.Files++
		st.Bytes += int64(len(data))
		st.Removed = append(st.Removed, old)
	}
	html = append(html, []byte(fmt.Sprintf("<!-- rebuild %d -->\n", seed))...)
	if err := os.WriteFile(indexPath, html, 0o644); err != nil {
		return st, err
	}
	st.Files++
	st.Bytes += int64(len(html))
	return st, nil
}

// CopyTree copies the regular files of src into dst (created), like a fresh checkout: every file
// gets a new modification time.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
