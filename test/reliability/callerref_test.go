//go:build integration

package reliability

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"bookme-deploy/internal/testenv"
)

var invalidationPath = regexp.MustCompile(`^/2020-05-31/distribution/([^/]+)/invalidation$`)

// startCallerReferenceShim starts a reverse proxy in front of moto that does what CloudFront does
// with CreateInvalidation's CallerReference and moto does not: a second request with the same
// reference and the same paths creates nothing and answers with the invalidation made the first
// time; with other paths it is refused (409 InvalidationBatchAlreadyExists). Creates are serialised,
// as CloudFront's check is atomic. Everything else passes through untouched.
func startCallerReferenceShim(t testing.TB, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	type created struct {
		paths  string
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	made := map[string]created{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := invalidationPath.FindStringSubmatch(r.URL.Path)
		if r.Method != http.MethodPost || m == nil {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var batch struct {
			CallerReference string   `xml:"CallerReference"`
			Paths           []string `xml:"Paths>Items>Path"`
		}
		_ = xml.Unmarshal(body, &batch)
		key, paths := m[1]+"\x00"+batch.CallerReference, strings.Join(batch.Paths, "\n")
		mu.Lock()
		defer mu.Unlock()
		if c, ok := made[key]; ok {
			if c.paths != paths {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(http.StatusConflict)
				_, _ = io.WriteString(w, `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>InvalidationBatchAlreadyExists</Code><Message>caller reference reused with other paths</Message></Error><RequestId>shim</RequestId></ErrorResponse>`)
				return
			}
			for k, v := range c.header {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(c.body)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		if rec.Code == http.StatusCreated {
			made[key] = created{paths: paths, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The shim behaves as CloudFront: the same request twice makes one invalidation (moto alone
// makes two), the same reference with other paths is refused.
func TestCallerReferenceShim(t *testing.T) {
	m := testenv.StartMoto(t)
	direct := m.Config(t)
	testenv.CreateBucket(t, direct, "shim-bucket")
	id := testenv.CreateDistribution(t, direct, "shim-bucket")
	ctx := context.Background()
	create := func(cfg aws.Config, ref string, paths ...string) (string, error) {
		out, err := cloudfront.NewFromConfig(cfg).CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String(id),
			InvalidationBatch: &cftypes.InvalidationBatch{CallerReference: aws.String(ref), Paths: &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths}}})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Invalidation.Id), nil
	}
	count := func() int {
		out, err := cloudfront.NewFromConfig(direct).ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.InvalidationList.Items)
	}
	// moto alone: two invalidations for one reference (why the shim exists).
	if _, err := create(direct, "moto-ref", "/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := create(direct, "moto-ref", "/a"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("moto made %d invalidations for a repeated reference; if it now makes 1, drop the shim", n)
	}
	shim := testenv.ConfigFor(t, startCallerReferenceShim(t, m.Endpoint))
	a, err := create(shim, "release-1", "/index.html", "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	b, err := create(shim, "release-1", "/index.html", "/favicon.ico")
	if err != nil || a != b {
		t.Fatalf("repeated create: %s vs %s, %v", a, b, err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d invalidations, want 2 (moto) + 1 (shim)", n)
	}
	if _, err := create(shim, "release-1", "/other"); err == nil || !strings.Contains(err.Error(), "InvalidationBatchAlreadyExists") {
		t.Fatalf("same reference, other paths: %v", err)
	}
}
