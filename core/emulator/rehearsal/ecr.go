package rehearsal

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/registry"
)

// moto keeps ECR's API only; a registry stands in for its image storage. After a push, RecordPush
// reads the manifest back from that registry, checks its digest, keeps the image as an OCI layout
// (for inspection and the secret scan) and records the manifest under the tag in moto's ECR
// (PutImage), so DescribeImages finds the tag and the next deploy of the commit reuses the image —
// as with ECR.
func RecordPush(ctx context.Context, ecrc *ecr.Client, registryHost string, plan *registry.PublishPlan, digest string,
	creds *registry.Credentials, layoutDir string) error {
	ref, err := name.ParseReference(registryHost+"/"+plan.Repository+"@"+digest, name.Insecure)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuth(auth))
	if err != nil {
		return fmt.Errorf("image: read back %s from the emulated registry: %v", plan.Repository+"@"+digest, err)
	}
	if desc.Digest.String() != digest {
		return fmt.Errorf("image: the emulated registry serves %s for the digest the engine pushed (%s)", desc.Digest, digest)
	}
	if layoutDir != "" && !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return err
		}
		lp, err := layout.Write(layoutDir, empty.Index)
		if err != nil {
			return err
		}
		if err := lp.AppendImage(img); err != nil {
			return fmt.Errorf("image: keep the pushed image: %w", err)
		}
	}
	_, err = ecrc.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName: aws.String(plan.Repository), ImageTag: aws.String(plan.Tag),
		ImageManifest: aws.String(string(desc.Manifest)), ImageManifestMediaType: aws.String(string(desc.MediaType)),
		ImageDigest: aws.String(digest),
	})
	if err != nil {
		return fmt.Errorf("image: record %s in the emulated ECR: %w", plan.TagRef, err)
	}
	got, found, err := registry.DigestForTag(ctx, ecrc, plan.Repository, plan.Tag)
	if err != nil {
		return err
	}
	if !found || got != digest {
		return fmt.Errorf("image: the emulated ECR reports %q for tag %s after recording %s", got, plan.Tag, digest)
	}
	return nil
}

// Htpasswd is the registry stand-in's htpasswd line for the credentials moto's
// GetAuthorizationToken hands out, so a push without them is refused.
func Htpasswd(creds *registry.Credentials) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(creds.Password), bcrypt.MinCost)
	if err != nil {
		return "", err
	}
	return creds.Username + ":" + string(hash) + "\n", nil
}

// Registry is the registry standing in for ECR's storage, refusing pushes without the credentials
// moto's GetAuthorizationToken hands out.
func Registry(creds *registry.Credentials) (emulator.Service, error) {
	htpasswd, err := Htpasswd(creds)
	if err != nil {
		return emulator.Service{}, err
	}
	return emulator.Service{Image: emulator.RegistryImage, Port: 5001,
		SecretFiles: map[string]string{"/auth/htpasswd": htpasswd},
		Env: map[string]string{"REGISTRY_AUTH": "htpasswd", "REGISTRY_AUTH_HTPASSWD_REALM": "bookme-dry-run",
			"REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd", "REGISTRY_HTTP_ADDR": ":5001"}}, nil
}
