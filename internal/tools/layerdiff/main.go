// Command layerdiff says what pushing image B costs when a registry already holds image A: the
// layers (by digest) B shares with A are skipped by every registry client, the others and B's
// config and manifest are uploaded. It reads two image tarballs as `Container.export` writes them
// (an OCI layout in a tar, or `docker save` format) and prints a table. Used by scripts/bench-image.
//
//	go run ./internal/tools/layerdiff before.tar after.tar
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"bookme-deploy/internal/ocitar"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: layerdiff BEFORE.tar AFTER.tar")
		os.Exit(2)
	}
	a, err := load(os.Args[1])
	if err != nil {
		fail(err)
	}
	b, err := load(os.Args[2])
	if err != nil {
		fail(err)
	}
	d, err := diff(a, b)
	if err != nil {
		fail(err)
	}
	fmt.Print(d.table())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "layerdiff:", err)
	os.Exit(1)
}

// result is what a push of the second image moves.
type result struct {
	Layers, Changed     int
	ImageBytes, Push    int64
	ChangedLayerDetails []string
}

func diff(a, b v1.Image) (*result, error) {
	have := map[v1.Hash]bool{}
	la, err := a.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range la {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		have[d] = true
	}
	lb, err := b.Layers()
	if err != nil {
		return nil, err
	}
	r := &result{Layers: len(lb)}
	for i, l := range lb {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		r.ImageBytes += size
		if !have[d] {
			r.Changed++
			r.Push += size
			r.ChangedLayerDetails = append(r.ChangedLayerDetails, fmt.Sprintf("layer %d %s %s", i+1, d.Hex[:12], human(size)))
		}
	}
	cfg, err := b.RawConfigFile()
	if err != nil {
		return nil, err
	}
	man, err := b.RawManifest()
	if err != nil {
		return nil, err
	}
	r.Push += int64(len(cfg) + len(man))
	r.ImageBytes += int64(len(cfg) + len(man))
	return r, nil
}

func (r *result) table() string {
	var s strings.Builder
	fmt.Fprintf(&s, "| layers | changed layers | image (compressed) | pushed after the change | share |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&s, "| %d | %d | %s | %s | %.2f %% |\n", r.Layers, r.Changed, human(r.ImageBytes), human(r.Push), 100*float64(r.Push)/float64(r.ImageBytes))
	for _, l := range r.ChangedLayerDetails {
		fmt.Fprintf(&s, "\n- changed: %s", l)
	}
	s.WriteString("\n")
	return s.String()
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// load reads an image tarball: an OCI layout in a tar (one image), else docker-save format.
func load(path string) (v1.Image, error) {
	dir, err := os.MkdirTemp("", "layerdiff-")
	if err != nil {
		return nil, err
	}
	if err := ocitar.Extract(path, dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		if len(im.Manifests) != 1 {
			return nil, fmt.Errorf("%s: %d manifests in the layout, want one image", path, len(im.Manifests))
		}
		return idx.Image(im.Manifests[0].Digest)
	}
	return tarball.ImageFromPath(path, nil)
}
