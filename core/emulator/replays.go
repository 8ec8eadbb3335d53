package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ReplaysPath is where a moto running MotoPatch with ReplayRetriesEnv lists the retries it answered
// with their first answer (patch 7): each one is an answer lost between a client and moto.
const ReplaysPath = "/bookme-emulator/replays"

// Replay is one retried call moto answered with its first attempt's answer.
type Replay struct {
	Call       string `json:"call"`
	Invocation string `json:"invocation"`
}

// Replays reads the list from the moto at endpoint, through client (the account's HTTP client, which
// trusts moto's certificate).
func Replays(ctx context.Context, client aws.HTTPClient, endpoint string) ([]Replay, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+ReplaysPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read moto's replays: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read moto's replays: HTTP %d (is the patch loaded with %s=1?)", resp.StatusCode, ReplayRetriesEnv)
	}
	var out []Replay
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("read moto's replays: %w", err)
	}
	return out, nil
}

// ReplaysText is one line for a report: how many answers were lost and replayed, by call
// ("" when none were).
func ReplaysText(rs []Replay) string {
	if len(rs) == 0 {
		return ""
	}
	n := map[string]int{}
	for _, r := range rs {
		n[r.Call]++
	}
	calls := make([]string, 0, len(n))
	for c, k := range n {
		if k > 1 {
			c = fmt.Sprintf("%s ×%d", c, k)
		}
		calls = append(calls, c)
	}
	sort.Strings(calls)
	return fmt.Sprintf("moto answered %d retried call(s) with their first answer (the answer was lost on the way; without the replay the retry would have run the change twice): %s",
		len(rs), strings.Join(calls, ", "))
}
