package main

import (
	"fmt"
	"os"
)

// config is the part of distribution's configuration registryd implements.
type config struct {
	Addr  string            // REGISTRY_HTTP_ADDR
	Auth  string            // REGISTRY_AUTH: "" or "htpasswd"
	Realm string            // REGISTRY_AUTH_HTPASSWD_REALM
	Users map[string][]byte // user -> bcrypt hash, from REGISTRY_AUTH_HTPASSWD_PATH
}

// configFromEnv reads the configuration from distribution's environment variables. With
// REGISTRY_AUTH=htpasswd a missing or unreadable htpasswd file is an error, as the real registry
// refuses to start then.
func configFromEnv(getenv func(string) string) (config, error) {
	c := config{Addr: getenv("REGISTRY_HTTP_ADDR"), Auth: getenv("REGISTRY_AUTH")}
	if c.Addr == "" {
		c.Addr = ":5000"
	}
	switch c.Auth {
	case "":
		return c, nil
	case "htpasswd":
	default:
		return c, fmt.Errorf("REGISTRY_AUTH=%q is not supported by this stand-in: use htpasswd or leave it unset", c.Auth)
	}
	c.Realm = getenv("REGISTRY_AUTH_HTPASSWD_REALM")
	if c.Realm == "" {
		c.Realm = "Registry Realm"
	}
	path := getenv("REGISTRY_AUTH_HTPASSWD_PATH")
	if path == "" {
		return c, fmt.Errorf("REGISTRY_AUTH=htpasswd needs REGISTRY_AUTH_HTPASSWD_PATH (an htpasswd file with bcrypt entries)")
	}
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("htpasswd file: %w (REGISTRY_AUTH_HTPASSWD_PATH must name a readable file)", err)
	}
	defer f.Close()
	users, err := parseHtpasswd(f)
	if err != nil {
		return c, fmt.Errorf("htpasswd file %s: %w", path, err)
	}
	c.Users = users
	return c, nil
}
