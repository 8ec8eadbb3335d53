// Command bench-release compares the release engine (core/release) with `aws s3 sync --delete`
// on generated SPA bundles against one local moto_server, and prints a table.
//
// For each bundle size it runs three scenarios per tool, on a fresh bucket per tool:
//
//	cold       first upload into an empty bucket
//	identical  the same bundle again, from a fresh copy (new mtimes, as in a CI checkout)
//	1% changed a fresh copy in which 1 % of the files were rebuilt under new hashed names
//
// Both tools talk to moto through the same counting proxy (testenv.FaultProxy with no faults),
// which counts PUT requests and request-body bytes. Needs moto_server and aws on PATH.
//
//	go run ./cmd/bench-release -sizes 100,1000,10000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/release"
	"bookme-deploy/internal/testenv"
)

const region = "eu-central-1"

type row struct {
	files    int
	scenario string
	tool     string
	wall     time.Duration
	puts     int
	bytes    int64
	changed  int64
}

func main() {
	sizes := flag.String("sizes", "100,1000", "comma-separated bundle sizes (files)")
	workers := flag.Int("concurrency", release.DefaultConcurrency, "worker pool size of the release engine")
	keepTmp := flag.Bool("keep", false, "keep the generated bundles")
	flag.Parse()
	if err := run(*sizes, *workers, *keepTmp); err != nil {
		fmt.Fprintln(os.Stderr, "bench-release:", err)
		os.Exit(1)
	}
}

func run(sizeList string, workers int, keepTmp bool) error {
	for _, bin := range []string{"moto_server", "aws"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s is not on PATH", bin)
		}
	}
	tmp, err := os.MkdirTemp("", "bench-release-")
	if err != nil {
		return err
	}
	if !keepTmp {
		defer os.RemoveAll(tmp)
	}
	port, err := testenv.FreePort()
	if err != nil {
		return err
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	moto := exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	moto.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	if err := moto.Start(); err != nil {
		return fmt.Errorf("start moto_server: %w", err)
	}
	defer func() { _ = moto.Process.Kill(); _, _ = moto.Process.Wait() }()
	if err := waitUp(endpoint); err != nil {
		return err
	}
	proxy, err := testenv.NewFaultProxy(endpoint, 1)
	if err != nil {
		return err
	}
	defer proxy.Close()
	ctx := context.Background()
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: region, AccessKeyID: "testing", SecretAccessKey: "testing", Endpoint: proxy.URL})
	if err != nil {
		return err
	}
	cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	directCfg := cfg.Copy()
	directCfg.BaseEndpoint = aws.String(endpoint)
	direct := s3.NewFromConfig(directCfg, func(o *s3.Options) { o.UsePathStyle = true })

	var rows []row
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad size %q", s)
		}
		base := filepath.Join(tmp, fmt.Sprint(n))
		b, err := testenv.GenerateBundle(filepath.Join(base, "v1"), n, int64(n))
		if err != nil {
			return err
		}
		changedDir := filepath.Join(base, "v2")
		if err := testenv.CopyTree(b.Dir, changedDir); err != nil {
			return err
		}
		ch, err := testenv.ChangeBundle(changedDir, 0.01, int64(n)+1)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bundle of %d files, %.1f MiB; 1%% change = %d files, %.1f KiB\n", b.Files, mb(b.Bytes), ch.Files, float64(ch.Bytes)/1024)
		for _, tool := range []string{"ours", "aws s3 sync"} {
			bucket := fmt.Sprintf("bench-%d-%s", n, map[string]string{"ours": "ours", "aws s3 sync": "aws"}[tool])
			resp, err := http.Post(endpoint+"/moto-api/reset", "application/json", nil)
			if err != nil {
				return fmt.Errorf("reset moto: %w", err)
			}
			resp.Body.Close()
			if _, err := direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}}); err != nil {
				return fmt.Errorf("create bucket: %w", err)
			}
			scenarios := []struct {
				name    string
				src     string
				changed int64
			}{
				{"cold", b.Dir, b.Bytes},
				{"identical", "", 0},
				{"1% changed", "", ch.Bytes},
			}
			for i, sc := range scenarios {
				dir := sc.src
				if dir == "" { // a fresh copy: new mtimes, as in a CI checkout
					src := b.Dir
					if i == 2 {
						src = changedDir
					}
					dir = filepath.Join(base, fmt.Sprintf("copy-%s-%d", bucket, i))
					if err := testenv.CopyTree(src, dir); err != nil {
						return err
					}
				}
				proxy.ResetCounters()
				start := time.Now()
				if tool == "ours" {
					err = deployOurs(ctx, client, bucket, dir, workers)
				} else {
					err = deployAWS(proxy.URL, bucket, dir)
				}
				wall := time.Since(start)
				if err != nil {
					return fmt.Errorf("%s %s %d: %w", tool, sc.name, n, err)
				}
				r := row{files: n, scenario: sc.name, tool: tool, wall: wall, puts: proxy.Count("PUT", ""), bytes: proxy.BytesIn(), changed: sc.changed}
				rows = append(rows, r)
				fmt.Fprintf(os.Stderr, "  %-11s %-10s %8.2fs %6d PUTs %10d bytes\n", tool, sc.name, wall.Seconds(), r.puts, r.bytes)
			}
		}
	}
	printTable(os.Stdout, rows)
	return nil
}

func deployOurs(ctx context.Context, c *s3.Client, bucket, dir string, workers int) error {
	p, err := release.PlanRelease(ctx, release.Input{Client: c, Bucket: bucket, Dir: dir, Concurrency: workers})
	if err != nil {
		return err
	}
	_, err = release.Apply(ctx, p)
	return err
}

func deployAWS(endpoint, bucket, dir string) error {
	cmd := exec.Command("aws", "s3", "sync", dir, "s3://"+bucket, "--delete", "--endpoint-url", endpoint, "--only-show-errors")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("aws s3 sync: %v\n%s", err, out)
	}
	return nil
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintf(w, "| files | scenario | tool | wall time | PUTs | bytes sent | sent / changed bytes |\n")
	fmt.Fprintf(w, "|---:|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ratio := "—"
		if r.changed > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(r.bytes)/float64(r.changed))
		}
		fmt.Fprintf(w, "| %d | %s | %s | %.2f s | %d | %s | %s |\n", r.files, r.scenario, r.tool, r.wall.Seconds(), r.puts, human(r.bytes), ratio)
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if r.tool != "ours" || r.scenario == "cold" {
			continue
		}
		for _, a := range rows {
			if a.tool != "ours" && a.files == r.files && a.scenario == r.scenario {
				fmt.Fprintf(w, "%5d files, %-10s: ours %.2f s vs aws s3 sync %.2f s → %.1f× faster\n", r.files, r.scenario, r.wall.Seconds(), a.wall.Seconds(), a.wall.Seconds()/r.wall.Seconds())
			}
		}
	}
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", mb(n))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func waitUp(endpoint string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("moto_server did not answer on %s", endpoint)
}
