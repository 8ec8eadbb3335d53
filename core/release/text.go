package release

import (
	"fmt"
	"strings"
)

// Text prints exactly what Apply would do, in Apply's order (the dry-run form).
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %s (#%d, digest %s) → s3://%s/%s\n", p.ReleaseID, p.Seq, p.Digest, p.Bucket, p.Prefix)
	fmt.Fprintf(&b, "  from %s, keeping objects of the previous %d releases, %d workers\n", p.Dir, p.KeepReleases, p.Concurrency)
	if p.Previous != nil {
		fmt.Fprintf(&b, "  replaces release %s (#%d, digest %s)\n", p.Previous.ID, p.Previous.Seq, p.Previous.Digest)
	}
	titles := []string{"1. hashed assets", "2. other files", "3. HTML entry points"}
	var phases [3][]Change
	for _, c := range p.Changes {
		if c.Action == ActionUpload || c.Action == ActionUpdateHeader {
			phases[phaseOf(c.Class)] = append(phases[phaseOf(c.Class)], c)
		}
	}
	writeChanges := func(ph int) {
		if len(phases[ph]) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", titles[ph])
		for _, c := range phases[ph] {
			if c.Action == ActionUpload {
				fmt.Fprintf(&b, "  upload          %s  %s  %s | %s  (%s)\n", c.Key, humanBytes(c.Size), c.ContentType, c.CacheControl, c.Reason)
			} else {
				fmt.Fprintf(&b, "  update headers  %s  (%s)\n", c.Key, c.Reason)
			}
		}
	}
	b.WriteString("stage (new keys only: what is served does not change):\n")
	writeChanges(0)
	own := keyFor(p.Prefix, KeptKey(p.Digest, ""))
	entries := func(title string, mine bool) {
		header := false
		for _, c := range p.Entries {
			if c.Action == ActionCopy && strings.HasPrefix(c.Key, own) == mine {
				if !header {
					b.WriteString(title)
					header = true
				}
				fmt.Fprintf(&b, "  copy            %s → %s\n", c.Source, c.Key)
			}
		}
	}
	entries("1b. kept copies of the served release's entry files (for a roll-back):\n", false)
	b.WriteString("cut-over (the release becomes the one served):\n")
	writeChanges(1)
	writeChanges(2)
	entries("3b. kept copies of this release's entry files (for a roll-back):\n", true)
	if p.WriteManifest {
		fmt.Fprintf(&b, "4. write release manifest %s\n", keyFor(p.Prefix, ManifestName))
	}
	header := false
	for _, c := range p.Changes {
		if c.Action == ActionDelete {
			if !header {
				b.WriteString("5. delete stale objects:\n")
				header = true
			}
			fmt.Fprintf(&b, "  delete          %s  %s\n", c.Key, humanBytes(c.Size))
		}
	}
	for _, c := range p.Entries {
		if c.Action == ActionDelete {
			if !header {
				b.WriteString("5. delete stale objects:\n")
				header = true
			}
			fmt.Fprintf(&b, "  delete          %s  %s\n", c.Key, humanBytes(c.Size))
		}
	}
	header = false
	for _, c := range p.Changes {
		if c.Action == ActionKeep {
			if !header {
				b.WriteString("kept for open browser tabs (not in this release):\n")
				header = true
			}
			fmt.Fprintf(&b, "  keep            %s  (%s)\n", c.Key, c.Reason)
		}
	}
	fmt.Fprintf(&b, "summary: upload %s, update headers %s, unchanged %s, delete %s, keep %s\n",
		counter(p.Upload), counter(p.UpdateHeaders), counter(p.Unchanged), counter(p.Delete), counter(p.Keep))
	if p.Upload.Count+p.UpdateHeaders.Count+p.Delete.Count+len(p.Entries) == 0 && !p.WriteManifest {
		b.WriteString("nothing to do: the bucket already holds this release\n")
	}
	fmt.Fprintf(&b, "changed non-hashed paths (for the CDN): %s\n", pathList(p.ChangedPaths))
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// Text is the human summary of what Apply did.
func (r *Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "released %s (#%d) to s3://%s/%s in %.1fs\n", r.ReleaseID, r.Seq, r.Bucket, r.Prefix, float64(r.DurationMS)/1000)
	fmt.Fprintf(&b, "  uploaded        %s\n", counter(r.Uploaded))
	fmt.Fprintf(&b, "  headers updated %s\n", counter(r.HeaderUpdated))
	fmt.Fprintf(&b, "  unchanged       %s\n", counter(r.Unchanged))
	fmt.Fprintf(&b, "  deleted         %s\n", counter(r.Deleted))
	fmt.Fprintf(&b, "  kept            %s\n", counter(r.Kept))
	if r.EntriesWritten.Count+r.EntriesDeleted.Count > 0 {
		fmt.Fprintf(&b, "  entry copies    %s written, %s deleted\n", counter(r.EntriesWritten), counter(r.EntriesDeleted))
	}
	if !r.CutOver {
		b.WriteString("  staged only: not cut over\n")
	}
	if r.ManifestWritten {
		b.WriteString("  release manifest written\n")
	} else {
		b.WriteString("  release manifest unchanged\n")
	}
	fmt.Fprintf(&b, "  changed non-hashed paths: %s\n", pathList(r.ChangedPaths))
	return b.String()
}

func counter(c Counter) string { return fmt.Sprintf("%d (%s)", c.Count, humanBytes(c.Bytes)) }

func pathList(ps []string) string {
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
