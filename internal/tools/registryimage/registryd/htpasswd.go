package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// parseHtpasswd reads `user:hash` lines as `htpasswd -B` writes them. Only bcrypt hashes
// ($2a$, $2b$, $2y$) are accepted, like distribution's htpasswd access controller; blank lines
// and lines starting with # are skipped. A file without any entry is an error.
func parseHtpasswd(r io.Reader) (map[string][]byte, error) {
	users := map[string][]byte{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d is not user:hash", n)
		}
		if !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$") {
			return nil, fmt.Errorf("line %d (user %s) is not a bcrypt hash: write it with `htpasswd -Bbn USER PASSWORD`", n, user)
		}
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("no user:hash entries")
	}
	return users, nil
}
