package registry

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var (
	hexRE    = regexp.MustCompile(`^[0-9a-f]+$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// repoRE: [host[:port]/]path, lower-case path components.
	repoRE = regexp.MustCompile(`^([A-Za-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
)

// ShortTagLen is the length of a short git-SHA tag.
const ShortTagLen = 12

// Tag returns the image tag for a commit: the first 12 hex digits (long=false) or the whole
// SHA (long=true). The SHA must be lower-case hex of 40 (SHA-1) or 64 (SHA-256) digits.
func Tag(gitSHA string, long bool) (string, error) {
	if !hexRE.MatchString(gitSHA) || (len(gitSHA) != 40 && len(gitSHA) != 64) {
		return "", fmt.Errorf("git SHA %q is not a full lower-case hex commit id (40 or 64 digits); pass `git rev-parse HEAD`", gitSHA)
	}
	if long {
		return gitSHA, nil
	}
	return gitSHA[:ShortTagLen], nil
}

// ValidateTag refuses tags that cannot identify a release: `latest` (mutable by convention) and
// anything that is not a valid OCI tag.
func ValidateTag(tag string) error {
	if strings.EqualFold(tag, "latest") {
		return errors.New("the tag `latest` is never a deploy reference: tag by git SHA")
	}
	if !tagRE.MatchString(tag) {
		return fmt.Errorf("%q is not a valid image tag", tag)
	}
	return nil
}

// ValidateDigest checks a "sha256:<64 hex>" digest.
func ValidateDigest(digest string) error {
	if !digestRE.MatchString(digest) {
		return fmt.Errorf("digest %q is not sha256:<64 lower-case hex digits>", digest)
	}
	return nil
}

// WithDigest returns repoURI@digest, the reference everything downstream deploys. repoURI must
// carry no tag or digest.
func WithDigest(repoURI, digest string) (string, error) {
	if err := ValidateDigest(digest); err != nil {
		return "", err
	}
	if !repoRE.MatchString(repoURI) {
		return "", fmt.Errorf("%q is not a repository reference (host/path without tag or digest)", repoURI)
	}
	return repoURI + "@" + digest, nil
}

// WithTag returns repoURI:tag after checking both.
func WithTag(repoURI, tag string) (string, error) {
	if err := ValidateTag(tag); err != nil {
		return "", err
	}
	if !repoRE.MatchString(repoURI) {
		return "", fmt.Errorf("%q is not a repository reference (host/path without tag or digest)", repoURI)
	}
	return repoURI + ":" + tag, nil
}

// ParseDigestRef splits "repo@sha256:…" into repository and digest; a tag before the digest
// (repo:tag@sha256:…) is accepted and dropped.
func ParseDigestRef(ref string) (repo, digest string, err error) {
	repo, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return "", "", fmt.Errorf("%q is not pinned by digest (want repo@sha256:…)", ref)
	}
	if err := ValidateDigest(digest); err != nil {
		return "", "", err
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	if !repoRE.MatchString(repo) {
		return "", "", fmt.Errorf("%q: %q is not a repository reference", ref, repo)
	}
	return repo, digest, nil
}
