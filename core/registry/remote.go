package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteDigest asks a registry (HEAD on the manifest) for the digest of ref (repo:tag or
// repo@digest), logged in with creds (nil for anonymous). Loopback registries are spoken to over
// plain HTTP, as go-containerregistry does for localhost and 127.0.0.1.
func RemoteDigest(ctx context.Context, ref string, creds *Credentials) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %v", ref, err)
	}
	auth := authn.Anonymous
	if creds != nil {
		auth = authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	}
	desc, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuth(auth))
	if err != nil {
		return "", fmt.Errorf("registry: look up %s: %v", ref, err)
	}
	return desc.Digest.String(), nil
}
