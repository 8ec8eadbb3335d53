package redact_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"bookme-deploy/core/redact"
)

// benchLog is about 1 MB of API and worker log lines (access lines, SQL, Celery, near misses: SHAs,
// digests, ARNs, URLs, and lines that trigger a pattern without holding a credential) with each of
// secrets planted once, and a few credential-looking lines.
func benchLog(secrets []string) string {
	rng := rand.New(rand.NewPCG(1, 2))
	lines := []string{
		`10.0.1.23:51234 - - [26/Nov/2026:10:00:%02d] "GET /api/bookings/%d/ HTTP/1.1" 200 %d "-" "Mozilla/5.0"`,
		`[2026-11-26 10:00:%02d,123: INFO/ForkPoolWorker-%d] Task bookings.tasks.send_reminder[%08x-1c2d-4e5f] succeeded in 0.%03ds: None`,
		`django.db.backends: (0.%03d) SELECT "bookings_booking"."id" FROM "bookings_booking" WHERE "id" = %d; args=(%d,)`,
		`deploying 123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:%064x to task-definition %d`,
		`commit %040x arn:aws:ecs:eu-central-1:123456789012:task/bookme/%032x`,
		`GET https://api.staging.book-me.example.com/health?ts=%d 200 %dms`,
		`WARNING csrf token missing for session %d (%d); password authentication failed for user "u%d"`,
		`websocket: channel layer secretsmanager:GetSecretValue ok in %dms (max_tokens=%d)`,
	}
	var b strings.Builder
	n := 0
	for b.Len() < 1<<20 {
		l := lines[rng.IntN(len(lines))]
		switch strings.Count(l, "%") {
		case 2:
			fmt.Fprintf(&b, l, rng.IntN(60), rng.IntN(100000))
		case 3:
			fmt.Fprintf(&b, l, rng.IntN(60), rng.IntN(100000), rng.IntN(1000))
		default:
			fmt.Fprintf(&b, l, rng.IntN(60), rng.IntN(100000), rng.IntN(1000), rng.IntN(1000))
		}
		b.WriteByte('\n')
		n++
		if n%2000 == 0 {
			b.WriteString("DATABASE_URL=postgres://book_me:Xy9secret@db:5432/book_me AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
		}
		if n%(500) == 0 && len(secrets) > 0 {
			fmt.Fprintf(&b, "error: auth with %s refused\n", secrets[(n/500)%len(secrets)])
		}
	}
	return b.String()
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and also reports MB per CPU second: on a shared machine the wall clock
// (MB/s) counts other processes' time too, the CPU time does not.
func loop(b *testing.B, size int, f func()) {
	b.SetBytes(int64(size))
	b.ResetTimer()
	c0 := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if d := cpuTime() - c0; d > 0 {
		b.ReportMetric(float64(size)*float64(n)/1e6/d.Seconds(), "MB/cpu-s")
	}
}

func benchSecrets() []string {
	s := make([]string, 20)
	for i := range s {
		s[i] = fmt.Sprintf("sEcReT-%02d-%s", i, strings.Repeat(string(rune('a'+i)), 24))
	}
	return s
}

// BenchmarkString: a 1 MB log, a Redactor knowing 20 secrets (each in its ~10 forms).
func BenchmarkString(b *testing.B) {
	secrets := benchSecrets()
	r := mustNew(b, secrets...)
	log := benchLog(secrets)
	out := r.String(log)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			b.Fatalf("secret %s survived", s)
		}
	}
	loop(b, len(log), func() { _ = r.String(log) })
}

// BenchmarkStringClean: the same log without any secret or credential (nothing to replace).
func BenchmarkStringClean(b *testing.B) {
	r := mustNew(b, benchSecrets()...)
	log := benchLog(nil)
	log = strings.ReplaceAll(log, "DATABASE_URL=postgres://book_me:Xy9secret@db:5432/book_me AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", "")
	loop(b, len(log), func() { _ = r.String(log) })
}

// BenchmarkWriter: the same log written through a Writer in 4 KiB pieces.
func BenchmarkWriter(b *testing.B) {
	secrets := benchSecrets()
	r := mustNew(b, secrets...)
	log := []byte(benchLog(secrets))
	loop(b, len(log), func() {
		w := redact.NewWriter(io.Discard, r)
		for i := 0; i < len(log); i += 4096 {
			_, _ = w.Write(log[i:min(i+4096, len(log))])
		}
		_ = w.Flush()
	})
}
