package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Postgres is one PostgreSQL server started from Debian's server binaries for a test.
type Postgres struct {
	// Host and Port are where it listens (loopback only).
	Host string
	Port int
	// SuperUser and SuperPassword are the bootstrap superuser's credentials (scram-sha-256).
	SuperUser     string
	SuperPassword string
	// Version is the major version of the binaries used, e.g. "15".
	Version string

	dir string
	cmd *exec.Cmd
	log *SyncBuffer
}

// PostgresBinDir returns the newest /usr/lib/postgresql/<ver>/bin holding initdb and postgres,
// or an error saying how to install them.
func PostgresBinDir() (dir, version string, err error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return pgMajor(matches[i]) > pgMajor(matches[j]) })
	for _, m := range matches {
		bin := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil {
			return bin, strconv.Itoa(pgMajor(m)), nil
		}
	}
	return "", "", fmt.Errorf("PostgreSQL server binaries not found (/usr/lib/postgresql/<ver>/bin/initdb); run scripts/install-test-deps (apt-get install postgresql)")
}

func pgMajor(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// StartPostgres initialises a fresh cluster in a temporary directory and starts postgres on a
// free loopback port; both are removed when the test ends. TCP logins use scram-sha-256 (wrong
// passwords are refused, as on RDS). As root, initdb and postgres run as the "postgres" user
// (PostgreSQL refuses to run as root) through the process credentials, no su or sudo needed.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin, version, err := PostgresBinDir()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var cred *syscall.Credential
	dir, err := os.MkdirTemp("", "bookme-pg-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testenv: running as root and there is no \"postgres\" user to run the server as (install the postgresql package): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("testenv: %v", err)
		}
	}
	p := &Postgres{Host: "127.0.0.1", SuperUser: "postgres", SuperPassword: "superpw-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Version: version, dir: dir, log: &SyncBuffer{Limit: 1 << 20}}
	data := filepath.Join(dir, "data")
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.SuperPassword+"\n"), 0o600); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if cred != nil {
		_ = os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", p.SuperUser, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Env = pgEnv(dir)
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb failed: %v\n%s", err, out)
	}

	// A port can be taken between FreePort and the server's bind: try a few.
	for attempt := 0; ; attempt++ {
		port, err := FreePort()
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		p.Port = port
		p.log = &SyncBuffer{Limit: 1 << 20}
		cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=40", "-c", "shared_buffers=16MB")
		cmd.Env = pgEnv(dir)
		cmd.Stdout, cmd.Stderr = p.log, p.log
		// Pdeathsig: the server dies with the test binary even if cleanup never runs.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: start postgres: %v", err)
		}
		p.cmd = cmd
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if p.waitReady(exited, 30*time.Second) {
			t.Cleanup(func() { p.stop(exited) })
			return p
		}
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		if attempt == 2 {
			t.Fatalf("testenv: postgres did not become ready on 127.0.0.1:%d:\n%s", port, p.log.String())
		}
	}
}

// waitReady polls the TCP port until the server has finished startup (its log says so).
func (p *Postgres) waitReady(exited <-chan error, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.Port), time.Second)
		if err == nil {
			c.Close()
			if containsReady(p.log.String()) {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func containsReady(log string) bool {
	return strings.Contains(log, "database system is ready to accept connections")
}

// stop asks for a fast shutdown (SIGINT) and kills the server if it is not gone in 10 s.
func (p *Postgres) stop(exited <-chan error) {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-exited
	}
}

// Log returns what the server printed so far (for failure messages).
func (p *Postgres) Log() string { return p.log.String() }

// DSN returns a key=value connection string for user/password to database db (tests only).
func (p *Postgres) DSN(user, password, db string) string {
	return fmt.Sprintf("host=%s port=%d user='%s' password='%s' dbname='%s' sslmode=disable", p.Host, p.Port,
		escapeConn(user), escapeConn(password), escapeConn(db))
}

func escapeConn(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func pgEnv(dir string) []string {
	return []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "HOME=" + dir, "TZ=UTC"}
}
