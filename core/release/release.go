// Package release publishes a single-page-app bundle (a local directory such as React's build/)
// to an S3 bucket by content, in an order that never breaks a page that is open in a browser.
//
// PlanRelease reads only: it hashes the bundle, lists the bucket, reads the release manifest and decides,
// per file, upload (new or changed bytes), update headers (same bytes, different Content-Type or
// Cache-Control: CopyObject onto itself with MetadataDirective REPLACE) or nothing. Remote objects
// the new release does not contain are deleted, unless one of the previous KeepReleases releases
// referenced them (browser tabs still running an older index.html load those chunks lazily).
//
// Apply writes in this order, each phase only after the previous one fully succeeded. It is two
// calls a deploy may separate (the backend rolls in between):
//
// Stage — nothing a browser or the CDN can reach changes: only new keys are written, nothing is
// overwritten or deleted:
//
//  1. content-hashed assets (main.8f3a2b1c.js …)
//     1b. kept copies of this release's non-hashed files (HTML and the others) under
//     KeptPrefix/<digest>/, so that a later roll-back can put them back without the bundle
//
// CutOver — the release becomes the one served:
//
//  2. other non-HTML files (favicon.ico, manifest.webmanifest, asset-manifest.json …)
//  3. HTML entry points (index.html last of all)
//  4. the release manifest object (ManifestName under the prefix)
//  5. deletes of objects no retained release references (and of their releases' kept copies)
//
// So at every moment each HTML page in the bucket references only objects that exist.
//
// PlanRestore and Restore put a retained release's non-hashed files back from its kept copies
// (its hashed assets are still there: they are kept for KeepReleases releases) and record it as
// the newest release in the manifest: the roll-back of a cut-over.
//
// The release manifest is a small gzip-compressed JSON object that records the last KeepReleases+1
// releases and, per object, which of them referenced it, its MD5 and the headers this engine set
// (so an identical redeploy needs no HEAD per object and sends 0 PUTs: a manifest identical to the
// stored one is not rewritten).
package release

import (
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults of Input.
const (
	// DefaultKeepReleases is how many previous releases' objects are kept.
	DefaultKeepReleases = 2
	// DefaultConcurrency is the worker-pool size for hashing, HEADs, uploads and copies.
	DefaultConcurrency = 16
	// ManifestName is the release manifest's key, relative to the prefix.
	ManifestName = ".bookme/releases.json.gz"
	// KeptPrefix holds each retained release's non-hashed files (KeptKey), relative to the prefix.
	KeptPrefix = ".bookme/releases/"
	// metaDir holds the engine's own objects: never part of a bundle, never served by a page.
	metaDir = ".bookme/"
)

// KeptKey is where the kept copy of a release's non-hashed file lives, relative to the prefix:
// KeptPrefix + the bundle digest + "/" + path.
func KeptKey(digest, path string) string { return KeptPrefix + digest + "/" + path }

// ReleaseRef names a release of the manifest.
type ReleaseRef struct {
	Seq       int    `json:"seq"`
	ID        string `json:"id"`
	Digest    string `json:"digest"`
	CreatedAt string `json:"createdAt,omitempty"`
	// RestoredFrom is the seq this entry re-released (a roll-back), 0 otherwise.
	RestoredFrom int `json:"restoredFrom,omitempty"`
}

// Input says what to release where.
type Input struct {
	// Client is the S3 client (path-style when talking to an emulator; see awsconf).
	Client *s3.Client
	// Bucket is the target bucket (the frontend stack's output).
	Bucket string
	// Prefix is an optional key prefix ("app" → objects app/index.html …); slashes are trimmed.
	Prefix string
	// Dir is the local bundle directory; it must contain index.html.
	Dir string
	// ReleaseID names the release in the manifest and reports (e.g. the git commit). Empty: the
	// bundle's content digest.
	ReleaseID string
	// Rules override the default headers (see LoadRules); nil uses the defaults only.
	Rules []Rule
	// KeepReleases is how many previous releases' objects are kept; 0 means DefaultKeepReleases,
	// a negative value keeps none.
	KeepReleases int
	// Concurrency bounds the worker pool; 0 means DefaultConcurrency.
	Concurrency int
	// VerifyHeaders HEADs every unchanged object instead of trusting the headers the manifest
	// recorded (use it once after someone edited the bucket by hand).
	VerifyHeaders bool
	// Progress receives one line per write during Apply (upload, header update, manifest,
	// delete); nil discards. Plan prints nothing: use Plan.Text.
	Progress io.Writer
}

// Action is what Apply does with one object.
type Action string

// Actions of a Change.
const (
	ActionUpload       Action = "upload"
	ActionUpdateHeader Action = "update-headers"
	ActionDelete       Action = "delete"
	ActionKeep         Action = "keep"
	// ActionCopy copies Source (a served object holding the same bytes) server-side.
	ActionCopy Action = "copy"
)

// Class orders writes: hashed assets, then other files, then HTML.
type Class string

// Classes of bundle files.
const (
	ClassHashed Class = "hashed"
	ClassOther  Class = "other"
	ClassHTML   Class = "html"
)

// Change is one object Apply touches (or keeps, for the report).
type Change struct {
	Action Action `json:"action"`
	// Path is relative to the prefix (and the bundle): "static/js/main.8f3a2b1c.js".
	Path string `json:"path"`
	// Key is the S3 key (prefix + "/" + Path).
	Key   string `json:"key"`
	Class Class  `json:"class"`
	Size  int64  `json:"size"`
	// MD5 is the hex MD5 of the local file (uploads, header updates).
	MD5          string `json:"md5,omitempty"`
	ContentType  string `json:"contentType,omitempty"`
	CacheControl string `json:"cacheControl,omitempty"`
	// Reason says why: "new", "content changed", "cache-control: a → b", "release 7" (keep) …
	Reason string `json:"reason"`
	// Source is where the bytes come from when it is not Path: the bundle path of a kept copy
	// (Plan.Entries), the kept copy's key of a restored file (RestorePlan.Changes).
	Source string `json:"source,omitempty"`
}

// Counter is a count of objects and their bytes.
type Counter struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"`
}

func (c *Counter) add(size int64) { c.Count++; c.Bytes += size }

// Plan is what Apply will do. Its JSON form goes into the deploy record.
type Plan struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	Dir    string `json:"dir"`
	// ReleaseID and Digest identify the release; Seq is its number in the manifest.
	ReleaseID    string `json:"releaseId"`
	Digest       string `json:"digest"`
	Seq          int    `json:"seq"`
	KeepReleases int    `json:"keepReleases"`
	Concurrency  int    `json:"concurrency"`
	// Previous is the release the stored manifest names as the newest (the one served before this
	// release's cut-over); nil on the first managed release and when this release is that one.
	Previous *ReleaseRef `json:"previous,omitempty"`
	// Changes in Apply's order: uploads and header updates (hashed, other, HTML), then deletes;
	// keeps last (nothing is done to them).
	Changes []Change `json:"changes"`
	// Entries are the kept copies (KeptKey): uploads of this release's missing ones (Stage) and
	// deletes of those of releases no longer retained (CutOver). Not counted in Upload or Delete.
	Entries []Change `json:"entries,omitempty"`
	// Counts of the plan; Unchanged objects are not listed in Changes.
	Upload        Counter `json:"upload"`
	UpdateHeaders Counter `json:"updateHeaders"`
	Unchanged     Counter `json:"unchanged"`
	Delete        Counter `json:"delete"`
	Keep          Counter `json:"keep"`
	// WriteManifest says whether the manifest object changes (false on an identical redeploy).
	WriteManifest bool `json:"writeManifest"`
	// ChangedPaths are the non-hashed paths whose content or headers change or that are deleted, and
	// the hashed paths whose bytes change under the same name: what a CDN must invalidate (feed them
	// to cdn.Plan).
	ChangedPaths []string `json:"changedPaths"`
	// Warnings name what the build did that it should not: a hashed name whose bytes changed (CRA's
	// .map after a comment-only change) — served with a year's immutable caching, so edges and
	// browsers keep the old bytes unless invalidated; the plan invalidates it and says so.
	Warnings []string `json:"warnings,omitempty"`

	client   *s3.Client
	progress io.Writer
	manifest *manifest
	oldJSON  []byte
	// staged is Stage's result once it succeeded: CutOver refuses to run before it.
	staged *Result
	mu     sync.Mutex
}

// Result is what Apply did. Its JSON form goes into the deploy record.
type Result struct {
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix,omitempty"`
	ReleaseID string `json:"releaseId"`
	Digest    string `json:"digest"`
	Seq       int    `json:"seq"`
	// Uploaded … Kept count objects and bytes per outcome.
	Uploaded      Counter `json:"uploaded"`
	HeaderUpdated Counter `json:"headerUpdated"`
	Unchanged     Counter `json:"unchanged"`
	Deleted       Counter `json:"deleted"`
	Kept          Counter `json:"kept"`
	// EntriesWritten and EntriesDeleted count the kept copies of entry files (Plan.Entries).
	EntriesWritten Counter `json:"entriesWritten"`
	EntriesDeleted Counter `json:"entriesDeleted"`
	// ManifestWritten is false when the stored manifest already described this release.
	ManifestWritten bool `json:"manifestWritten"`
	// CutOver is true once the release is the one served (CutOver ran); false after Stage alone.
	CutOver bool `json:"cutOver"`
	// ChangedPaths as in Plan: the input of the CDN invalidation.
	ChangedPaths []string `json:"changedPaths"`
	// DurationMS is Apply's wall time.
	DurationMS int64 `json:"durationMs"`
}
