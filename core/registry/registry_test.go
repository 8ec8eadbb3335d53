package registry

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeToken(t *testing.T) {
	c, err := DecodeToken(base64.StdEncoding.EncodeToString([]byte("AWS:pa:ss-with-colon")))
	if err != nil || c.Username != "AWS" || c.Password != "pa:ss-with-colon" {
		t.Fatalf("decode: %+v %v", c, err)
	}
	for _, bad := range []string{"%%%", base64.StdEncoding.EncodeToString([]byte("nocolon-s3cret")), base64.StdEncoding.EncodeToString([]byte("AWS:"))} {
		_, err := DecodeToken(bad)
		if err == nil {
			t.Errorf("DecodeToken(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), bad) {
			t.Errorf("error leaks the token: %v", err)
		}
	}
}

func TestTag(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	if got, _ := Tag(sha, false); got != "0123456789ab" {
		t.Fatalf("short tag = %q", got)
	}
	if got, _ := Tag(sha, true); got != sha {
		t.Fatalf("long tag = %q", got)
	}
	for _, bad := range []string{"", "latest", "0123456789AB" + sha[12:], sha[:39], sha + "0", "g123456789abcdef0123456789abcdef01234567"} {
		if _, err := Tag(bad, false); err == nil {
			t.Errorf("Tag(%q) accepted", bad)
		}
	}
	if err := ValidateTag("latest"); err == nil || !strings.Contains(err.Error(), "never a deploy reference") {
		t.Fatalf("latest: %v", err)
	}
	if err := ValidateTag("LATEST"); err == nil {
		t.Fatal("LATEST accepted")
	}
	if err := ValidateTag("0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if err := ValidateTag("-bad"); err == nil {
		t.Fatal("-bad accepted")
	}
}

func TestDigestRefs(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	repo := "123456789012.dkr.ecr.eu-central-1.amazonaws.com/book-me-prod-api"
	ref, err := WithDigest(repo, d)
	if err != nil || ref != repo+"@"+d {
		t.Fatalf("WithDigest = %q %v", ref, err)
	}
	if _, err := WithDigest(repo+":v1", d); err == nil {
		t.Fatal("repo with tag accepted")
	}
	if _, err := WithDigest(repo, "sha256:abc"); err == nil {
		t.Fatal("short digest accepted")
	}
	if _, err := WithDigest(repo, ""); err == nil {
		t.Fatal("empty digest (moto's PutImage answer) accepted")
	}
	for _, in := range []string{repo + "@" + d, repo + ":0123456789ab@" + d} {
		r, got, err := ParseDigestRef(in)
		if err != nil || r != repo || got != d {
			t.Fatalf("ParseDigestRef(%q) = %q %q %v", in, r, got, err)
		}
	}
	r, _, err := ParseDigestRef("127.0.0.1:5000/bookme/api@" + d)
	if err != nil || r != "127.0.0.1:5000/bookme/api" {
		t.Fatalf("host:port repo = %q %v", r, err)
	}
	for _, bad := range []string{repo + ":latest", repo + "@sha256:xyz", "@" + d, "UPPER/Repo@" + d} {
		if _, _, err := ParseDigestRef(bad); err == nil {
			t.Errorf("ParseDigestRef(%q) accepted", bad)
		}
	}
}

func TestStages(t *testing.T) {
	df := "# syntax=docker/dockerfile:1\nARG PY=3.12\nFROM --platform=$BUILDPLATFORM python:${PY} as Builder\nRUN echo FROM x AS fake\n" +
		"FROM debian \\\n  AS   base\n# FROM x AS commented\nfrom base AS Production\nFROM base\n"
	got := Stages([]byte(df))
	if !reflect.DeepEqual(got, []string{"builder", "base", "production"}) {
		t.Fatalf("stages = %v", got)
	}
	if err := CheckProductionStage([]byte(df)); err != nil {
		t.Fatal(err)
	}
	err := CheckProductionStage([]byte("FROM debian AS base\nFROM base AS development\n"))
	if err == nil || !strings.Contains(err.Error(), `no "production" stage (named stages: base, development)`) {
		t.Fatalf("missing stage: %v", err)
	}
	if err := CheckProductionStage([]byte("FROM debian\n")); err == nil || !strings.Contains(err.Error(), "named stages: none") {
		t.Fatalf("no stages: %v", err)
	}
}

// The reference API's Dockerfile has the stage the deploy builds.
func TestExampleDockerfileHasProductionStage(t *testing.T) {
	df, err := os.ReadFile(filepath.Join("..", "..", "examples", "bookme", "api", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckProductionStage(df); err != nil {
		t.Fatal(err)
	}
}

func TestNewResult(t *testing.T) {
	d := "sha256:" + strings.Repeat("cd", 32)
	p := &PublishPlan{RepositoryURI: "r.example/api", Tag: "0123456789ab"}
	r, err := NewResult(p, d, []string{"linux/amd64"})
	if err != nil || !r.Pushed || r.Ref != "r.example/api@"+d || !strings.Contains(r.Text(), "pushed as tag 0123456789ab for linux/amd64") {
		t.Fatalf("pushed result: %+v %v", r, err)
	}
	if _, err := NewResult(p, "", nil); err == nil {
		t.Fatal("a push without digest accepted")
	}
	p.Reuse, p.Digest, p.Ref = true, d, "r.example/api@"+d
	r, err = NewResult(p, "", nil)
	if err != nil || r.Pushed || !strings.Contains(r.Text(), "nothing pushed") {
		t.Fatalf("reused result: %+v %v", r, err)
	}
}
