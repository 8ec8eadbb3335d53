// Package lookalike builds the test harness's stand-in images: a one-image OCI layout (the
// harness's debian base), one more layer, an edited config, written as a linux/amd64 layout that
// scripts/harness-images adds to the harness registry. Test tooling only.
package lookalike

import (
	"bytes"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Build reads the one image of the layout at base, appends layerTar (an uncompressed tar), lets
// edit change the image config, and writes the result to out (replaced). It returns the digest.
func Build(base, out string, layerTar []byte, edit func(*v1.Config)) (v1.Hash, error) {
	idx, err := layout.ImageIndexFromPath(base)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read base layout: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	if len(im.Manifests) != 1 {
		return v1.Hash{}, fmt.Errorf("base layout holds %d manifests, want 1", len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return v1.Hash{}, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return v1.Hash{}, err
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return v1.Hash{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	cfg := cf.Config.DeepCopy()
	edit(cfg)
	if img, err = mutate.Config(img, *cfg); err != nil {
		return v1.Hash{}, err
	}
	if err := os.RemoveAll(out); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
