package main

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func img(t *testing.T, layers ...string) v1.Image {
	t.Helper()
	im := empty.Image
	for _, l := range layers {
		var err error
		im, err = mutate.AppendLayers(im, static.NewLayer([]byte(l), types.OCILayer))
		if err != nil {
			t.Fatal(err)
		}
	}
	return im
}

func TestOnlyTheChangedLayerIsPushed(t *testing.T) {
	a := img(t, strings.Repeat("base", 1000), strings.Repeat("deps", 1000), "app v1")
	b := img(t, strings.Repeat("base", 1000), strings.Repeat("deps", 1000), "app v2 with a changed line")
	r, err := diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Layers != 3 || r.Changed != 1 {
		t.Fatalf("layers %d changed %d, want 3 and 1", r.Layers, r.Changed)
	}
	cfg, _ := b.RawConfigFile()
	man, _ := b.RawManifest()
	if want := int64(len("app v2 with a changed line") + len(cfg) + len(man)); r.Push != want {
		t.Errorf("push %d bytes, want %d (the changed layer, config and manifest)", r.Push, want)
	}
	same, _ := diff(a, a)
	if same.Changed != 0 {
		t.Errorf("identical images: %d changed layers", same.Changed)
	}
}
