package ocitar

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

func TestExtractWritesFilesAndSkipsEscapes(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "a.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for name, body := range map[string]string{"./index.json": "{}", "blobs/sha256/ab": "blob", "../escape": "no", "/abs": "no"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	f.Close()
	out := filepath.Join(dir, "out")
	if err := Extract(archive, out); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "blobs/sha256/ab")); err != nil || string(b) != "blob" {
		t.Errorf("blob: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(out, "index.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Error("an entry escaped the target directory")
	}
}
