package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Action is what a plan does to one resource.
type Action string

// The actions of a plan, as counted by PlanSummary.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionDelete  Action = "delete"
	ActionForget  Action = "forget" // removed from state, left in AWS (OpenTofu `removed` blocks)
)

// Change is one resource the plan changes.
type Change struct {
	Address string `json:"address"`
	Action  Action `json:"action"`
}

// PlanSummary is what a saved OpenTofu plan would do, read from `tofu show -json <planfile>`.
type PlanSummary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	Forget  int `json:"forget"`
	// Changes lists every changed managed resource, sorted by address.
	Changes []Change `json:"changes"`
	// OutputChanges names the root outputs whose value changes.
	OutputChanges []string `json:"output_changes"`
	// Hash identifies the planned changes (addresses, actions, before/after values): two plans
	// with the same hash make the same changes, so a reviewed plan can be checked before apply.
	Hash string `json:"hash"`
	// TofuVersion is the OpenTofu version that wrote the plan.
	TofuVersion string `json:"tofu_version"`
}

type planJSON struct {
	FormatVersion    string `json:"format_version"`
	TerraformVersion string `json:"terraform_version"`
	ResourceChanges  []struct {
		Address string          `json:"address"`
		Mode    string          `json:"mode"`
		Change  json.RawMessage `json:"change"`
	} `json:"resource_changes"`
	OutputChanges map[string]json.RawMessage `json:"output_changes"`
}

type changeJSON struct {
	Actions      []string `json:"actions"`
	Before       any      `json:"before"`
	After        any      `json:"after"`
	AfterUnknown any      `json:"after_unknown"`
}

// SummarizePlan reads `tofu show -json <planfile>` and counts what the plan creates, updates,
// replaces, deletes and forgets. Data-source reads and no-ops are not changes.
func SummarizePlan(data []byte) (*PlanSummary, error) {
	var p planJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("stack: not the JSON of `tofu show -json <planfile>`: %v", err)
	}
	if p.FormatVersion == "" {
		return nil, fmt.Errorf("stack: plan JSON has no format_version: pass the output of `tofu show -json <planfile>`, not the plan file itself")
	}
	s := &PlanSummary{TofuVersion: p.TerraformVersion, Changes: []Change{}, OutputChanges: []string{}}
	type hashed struct {
		Address string     `json:"address"`
		Change  changeJSON `json:"change"`
	}
	var forHash []hashed
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		var c changeJSON
		if err := json.Unmarshal(rc.Change, &c); err != nil {
			return nil, fmt.Errorf("stack: plan change of %s: %v", rc.Address, err)
		}
		action, ok := classify(c.Actions)
		if !ok {
			continue
		}
		switch action {
		case ActionCreate:
			s.Create++
		case ActionUpdate:
			s.Update++
		case ActionReplace:
			s.Replace++
		case ActionDelete:
			s.Delete++
		case ActionForget:
			s.Forget++
		}
		s.Changes = append(s.Changes, Change{Address: rc.Address, Action: action})
		forHash = append(forHash, hashed{Address: rc.Address, Change: c})
	}
	sort.Slice(s.Changes, func(i, j int) bool { return s.Changes[i].Address < s.Changes[j].Address })
	sort.Slice(forHash, func(i, j int) bool { return forHash[i].Address < forHash[j].Address })

	outs := map[string]changeJSON{}
	for name, raw := range p.OutputChanges {
		var c changeJSON
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("stack: plan output change of %s: %v", name, err)
		}
		if _, ok := classify(c.Actions); ok {
			s.OutputChanges = append(s.OutputChanges, name)
			outs[name] = c
		}
	}
	sort.Strings(s.OutputChanges)

	// encoding/json writes map keys sorted, so this encoding is canonical.
	canon, err := json.Marshal(struct {
		Resources []hashed              `json:"resources"`
		Outputs   map[string]changeJSON `json:"outputs"`
	}{forHash, outs})
	if err != nil {
		return nil, fmt.Errorf("stack: hash plan: %v", err)
	}
	sum := sha256.Sum256(canon)
	s.Hash = "sha256:" + hex.EncodeToString(sum[:])
	return s, nil
}

// classify maps the plan's action list to one Action; ok is false for no-op and read.
func classify(actions []string) (Action, bool) {
	switch strings.Join(actions, ",") {
	case "create":
		return ActionCreate, true
	case "update":
		return ActionUpdate, true
	case "delete":
		return ActionDelete, true
	case "delete,create", "create,delete":
		return ActionReplace, true
	case "forget":
		return ActionForget, true
	}
	return "", false
}

// Empty reports whether the plan changes no resource and no output.
func (s *PlanSummary) Empty() bool {
	return len(s.Changes) == 0 && len(s.OutputChanges) == 0
}

var actionSymbol = map[Action]string{
	ActionCreate:  "+",
	ActionUpdate:  "~",
	ActionReplace: "-/+",
	ActionDelete:  "-",
	ActionForget:  ".",
}

// Text is the plan for people: one count line, then one line per changed resource.
func (s *PlanSummary) Text() string {
	var b strings.Builder
	if s.Empty() {
		b.WriteString("OpenTofu plan: no changes\n")
		return b.String()
	}
	fmt.Fprintf(&b, "OpenTofu plan: %d to create, %d to update, %d to replace, %d to delete", s.Create, s.Update, s.Replace, s.Delete)
	if s.Forget > 0 {
		fmt.Fprintf(&b, ", %d to forget", s.Forget)
	}
	if len(s.OutputChanges) > 0 {
		fmt.Fprintf(&b, "; outputs changing: %s", strings.Join(s.OutputChanges, ", "))
	}
	b.WriteString("\n")
	for _, c := range s.Changes {
		fmt.Fprintf(&b, "  %-3s %s\n", actionSymbol[c.Action], c.Address)
	}
	return b.String()
}

// JSON is the plan summary for the deploy record.
func (s *PlanSummary) JSON() ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}
