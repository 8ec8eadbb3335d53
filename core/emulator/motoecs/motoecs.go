// Package motoecs makes aws-sdk-go-v2's ECS client accept moto 5.x's task responses. moto plays the
// whole Plan → Migrate → Roll flow of core/rollout (a RunTask task reaches STOPPED with exit code 0
// after four DescribeTasks calls; with MOTO_ECS_SERVICE_RUNNING ≥ desired the deployment is
// COMPLETED), but it writes task containers' cpu/memory as JSON numbers where ECS sends strings, which
// the SDK refuses to decode ("expected string, got 0"). Wrap rewrites those numbers to strings in
// RunTask, DescribeTasks and StopTask responses.
//
// It is a leaf package (no project imports) so that core/emulator, which imports core/rollout, can
// hand it to the rollout engine (emulator.RolloutOptions). Use it only against moto; it is never
// needed against AWS.
package motoecs

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Wrap returns an HTTP client that sends through base (http.DefaultClient when nil) and fixes moto's
// ECS task responses on the way back. Other responses pass through untouched.
func Wrap(base aws.HTTPClient) aws.HTTPClient {
	if base == nil {
		base = http.DefaultClient
	}
	return motoCompat{base: base}
}

type motoCompat struct {
	base aws.HTTPClient
}

func (m motoCompat) Do(r *http.Request) (*http.Response, error) {
	resp, err := m.base.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	t := r.Header.Get("X-Amz-Target")
	if !strings.HasSuffix(t, ".RunTask") && !strings.HasSuffix(t, ".DescribeTasks") && !strings.HasSuffix(t, ".StopTask") {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		var tasks []any
		if ts, ok := doc["tasks"].([]any); ok {
			tasks = ts
		}
		if t, ok := doc["task"].(map[string]any); ok {
			tasks = append(tasks, t)
		}
		for _, t := range tasks {
			tm, _ := t.(map[string]any)
			stringify(tm)
			cs, _ := tm["containers"].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				stringify(cm)
			}
		}
		if fixed, err := json.Marshal(doc); err == nil {
			body = fixed
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// stringify turns numeric cpu/memory/memoryReservation into the strings the ECS model declares.
func stringify(m map[string]any) {
	for _, k := range []string{"cpu", "memory", "memoryReservation"} {
		if f, ok := m[k].(float64); ok {
			m[k] = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
}
