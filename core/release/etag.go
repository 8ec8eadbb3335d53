package release

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// How remote objects are compared with local files.
//
// This engine always uploads with a single PutObject (S3 accepts up to 5 GiB that way; SPA files
// are far smaller), so the ETags it creates are the plain hex MD5 of the bytes. Objects written
// by other tools may carry a multipart ETag "<md5 of the part MD5s>-<N>" (the AWS CLI switches
// to multipart at 8 MiB with 8 MiB parts). For those we recompute the multipart ETag locally
// with each common part size that yields exactly N parts (MultipartPartSizes) and compare; if
// none matches, the file is treated as changed and re-uploaded once, single-part, after which
// its ETag is a plain MD5 again. Buckets with SSE-KMS return ETags that are not MD5s at all: the
// release manifest remembers the ETag S3 returned for each object we wrote together with its
// MD5, so those compare correctly too. No per-object metadata (and no HEAD per object) is needed.

// ParseETag splits an S3 ETag (quotes allowed) into its hex digest and its part count (0 for a
// single-part ETag).
func ParseETag(etag string) (digest string, parts int) {
	e := strings.Trim(etag, `"`)
	if i := strings.LastIndexByte(e, '-'); i > 0 {
		n, err := strconv.Atoi(e[i+1:])
		if err == nil && n > 0 {
			return strings.ToLower(e[:i]), n
		}
	}
	return strings.ToLower(e), 0
}

// PartCount is how many parts a multipart upload of size bytes with partSize-byte parts has.
func PartCount(size, partSize int64) int {
	if size <= 0 || partSize <= 0 {
		return 1
	}
	return int((size + partSize - 1) / partSize)
}

const mib = 1 << 20

// commonPartSizes are the part sizes used by the AWS CLI (8 MiB), the SDK upload managers
// (5 MiB, 8 MiB, 16 MiB), s3cmd (15 MiB) and common configurations.
var commonPartSizes = []int64{8 * mib, 5 * mib, 16 * mib, 15 * mib, 10 * mib, 32 * mib, 50 * mib, 64 * mib, 100 * mib, 128 * mib, 256 * mib, 512 * mib, 1024 * mib}

// MultipartPartSizes returns the candidate part sizes that give exactly parts parts for size
// bytes: the common sizes first, then the smallest whole-MiB size that fits.
func MultipartPartSizes(size int64, parts int) []int64 {
	var out []int64
	seen := map[int64]bool{}
	add := func(p int64) {
		if p > 0 && !seen[p] && PartCount(size, p) == parts {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range commonPartSizes {
		add(p)
	}
	if parts > 0 {
		min := (size + int64(parts) - 1) / int64(parts)
		add((min + mib - 1) / mib * mib)
	}
	return out
}

// MultipartETag computes the ETag S3 gives a multipart upload of r's size bytes with partSize
// parts: hex(md5(md5(part1) || md5(part2) || …)) + "-" + N.
func MultipartETag(r io.ReaderAt, size, partSize int64) (string, error) {
	if partSize <= 0 {
		return "", fmt.Errorf("part size must be positive")
	}
	all := md5.New()
	n := 0
	for off := int64(0); off < size || n == 0; off += partSize {
		l := partSize
		if off+l > size {
			l = size - off
		}
		h := md5.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, off, l)); err != nil {
			return "", err
		}
		all.Write(h.Sum(nil))
		n++
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), n), nil
}

// matchesMultipart reports whether the local file (opened by open) has the multipart etag.
func matchesMultipart(open func() (io.ReaderAt, func() error, error), size int64, etag string) bool {
	want, parts := ParseETag(etag)
	if parts == 0 {
		return false
	}
	for _, ps := range MultipartPartSizes(size, parts) {
		r, closeFn, err := open()
		if err != nil {
			return false
		}
		got, err := MultipartETag(r, size, ps)
		_ = closeFn()
		if err == nil && got == fmt.Sprintf("%s-%d", want, parts) {
			return true
		}
	}
	return false
}
