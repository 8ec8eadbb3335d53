// Command golangimage writes an OCI image layout that stands in for golang:1.26-bookworm on machines
// without a container registry: the Dagger test harness's debian:bookworm-slim image plus this
// machine's Go toolchain (GOROOT) at /usr/local/go. It is test tooling, used by scripts/harness-images.
//
//	go run ./internal/tools/golangimage -base $H/images/debian -out /var/cache/bookme-deploy/images/golang
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"bookme-deploy/internal/tools/lookalike"
)

func main() {
	base := flag.String("base", "", "OCI layout of the base image (one image)")
	out := flag.String("out", "", "output OCI layout directory (replaced)")
	goroot := flag.String("goroot", runtime.GOROOT(), "Go toolchain to copy to /usr/local/go")
	flag.Parse()
	if *base == "" || *out == "" {
		log.Fatal("usage: golangimage -base LAYOUT -out DIR")
	}
	if err := run(*base, *out, *goroot); err != nil {
		log.Fatal(err)
	}
}

func run(base, out, goroot string) error {
	var buf bytes.Buffer
	if err := tarTree(&buf, goroot, "usr/local/go"); err != nil {
		return fmt.Errorf("pack GOROOT: %w", err)
	}
	d, err := lookalike.Build(base, out, buf.Bytes(), func(cfg *v1.Config) {
		cfg.Env = []string{
			"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"GOPATH=/go", "GOTOOLCHAIN=local",
		}
		cfg.WorkingDir = "/go"
		cfg.Cmd = []string{"bash"}
	})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s)\n", out, d)
	return nil
}

// tarTree writes root's tree into w under prefix, skipping what a build never needs.
func tarTree(w io.Writer, root, prefix string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "test" || rel == "doc" || rel == "api" || strings.HasPrefix(rel, "pkg/linux_amd64_race") {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(filepath.Join(prefix, rel))
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
