package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/crypto/bcrypt"
)

// newHandler returns the registry API behind the Basic-auth check (when cfg.Auth is htpasswd) and
// a request logger writing one line per request to logger.
func newHandler(cfg config, logger *log.Logger) (http.Handler, error) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	a := &authenticator{realm: cfg.Realm, users: cfg.Users, ok: map[string][sha256.Size]byte{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rw.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		user := "-"
		if cfg.Auth == "htpasswd" && strings.HasPrefix(r.URL.Path, "/v2") {
			u, ok := a.check(r)
			if !ok {
				a.challenge(rw)
				logger.Printf("%s %s %d user=%s %s", r.Method, r.URL.Path, rw.status, u, time.Since(start).Round(time.Microsecond))
				return
			}
			user = u
		}
		reg.ServeHTTP(rw, r)
		logger.Printf("%s %s %d user=%s %s", r.Method, r.URL.Path, rw.status, user, time.Since(start).Round(time.Microsecond))
	}), nil
}

// authenticator checks Basic credentials against the htpasswd entries. bcrypt is slow by design
// (~50-100 ms at cost 10) and a push makes dozens of requests, so the SHA-256 of a verified
// password is remembered per user (in memory) and later requests compare it in constant time.
type authenticator struct {
	realm string
	users map[string][]byte
	mu    sync.Mutex
	ok    map[string][sha256.Size]byte // user -> SHA-256 of the password verified against users[user]
}

// check returns the user name given in the request (or "-") and whether its password is right.
func (a *authenticator) check(r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "-", false
	}
	hash, known := a.users[user]
	if !known {
		return user, false
	}
	sum := sha256.Sum256([]byte(pass))
	a.mu.Lock()
	prev, seen := a.ok[user]
	a.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(prev[:], sum[:]) == 1 {
		return user, true
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
		return user, false
	}
	a.mu.Lock()
	a.ok[user] = sum
	a.mu.Unlock()
	return user, true
}

// challenge writes distribution's answer to a request without valid credentials.
func (a *authenticator) challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+strings.ReplaceAll(a.realm, `"`, `\"`)+`"`)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`+"\n")
}

// statusWriter remembers the status code written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
