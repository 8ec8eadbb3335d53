package release

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// localFile is one regular file of the bundle with its hash and desired headers.
type localFile struct {
	Path         string // slash-separated, relative to the bundle
	Abs          string
	Size         int64
	MD5          string // hex
	ContentType  string
	CacheControl string
	Class        Class
}

// checkBundle returns one clear error if dir cannot be released.
func checkBundle(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release: bundle directory %s does not exist (build the client first)", dir)
	}
	if err != nil {
		return fmt.Errorf("release: bundle directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("release: bundle %s is not a directory", dir)
	}
	st, err = os.Stat(filepath.Join(dir, "index.html"))
	if err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("release: bundle %s has no index.html: not an SPA build output (wrong directory?)", dir)
	}
	return nil
}

// scanBundle lists dir's regular files (symlinks to regular files included) and hashes them with
// up to workers goroutines.
func scanBundle(ctx context.Context, dir string, rules []Rule, workers int) ([]*localFile, error) {
	var files []*localFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, &localFile{Path: filepath.ToSlash(rel), Abs: p, Size: st.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release: read bundle %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	err = runPool(ctx, workers, len(files), func(_ context.Context, i int) error {
		return hashFile(files[i], rules)
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

func hashFile(f *localFile, rules []Rule) error {
	fh, err := os.Open(f.Abs)
	if err != nil {
		return fmt.Errorf("release: read bundle file: %w", err)
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("release: read bundle file %s: %w", f.Path, err)
	}
	head = head[:n]
	h := md5.New()
	h.Write(head)
	m, err := io.Copy(h, fh)
	if err != nil {
		return fmt.Errorf("release: read bundle file %s: %w", f.Path, err)
	}
	f.Size = int64(n) + m
	f.MD5 = hex.EncodeToString(h.Sum(nil))
	f.ContentType, f.CacheControl = Headers(f.Path, head, rules)
	switch {
	case IsHTML(f.Path):
		f.Class = ClassHTML
	case IsHashed(f.Path):
		f.Class = ClassHashed
	default:
		f.Class = ClassOther
	}
	return nil
}

// bundleDigest identifies a release by content and headers: equal digests, identical release.
func bundleDigest(files []*localFile) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\t%s\t%s\t%s\n", f.Path, f.MD5, f.ContentType, f.CacheControl)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// keyFor joins the prefix and a bundle-relative path.
func keyFor(prefix, rel string) string {
	if prefix == "" {
		return rel
	}
	return prefix + "/" + rel
}

func cleanPrefix(p string) string { return strings.Trim(p, "/") }
