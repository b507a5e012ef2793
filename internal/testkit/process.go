package testkit

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Tests that run the real binary — the crash test, the restore drill, the
// documented examples, the browser suites — build it, start it and talk to
// it over loopback with these.

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildServer builds the rapport binary into a test temp directory.
func BuildServer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rapport")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = RepoRoot()
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Process is a program a test started; its output is shown if the test fails.
type Process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

// Start runs bin with args (and env, when not nil) in the repository's root
// (where pb_public/ is), until Stop or the end of the test.
func Start(t testing.TB, env []string, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Dir = RepoRoot()
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(bin), p.logs.String())
		}
	})
	return p
}

// Stop ends p as systemd does (SIGTERM) and waits for its clean exit.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("%s did not stop cleanly: %v\n%s", p.cmd.Path, err, p.logs.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s did not stop in a minute\n%s", p.cmd.Path, p.logs.String())
	}
}

// ServeBinary starts `rapport serve` on dataDir at a free loopback port and
// returns the server's URL once it answers.
func ServeBinary(t testing.TB, env []string, bin, dataDir string) (string, *Process) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := Start(t, env, bin, "serve", "--http", addr, "--dir", dataDir)
	url := "http://" + addr
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up in a minute\n%s", p.logs.String())
		}
	}
}

// Run runs bin with args to its end and returns its standard output.
func Run(t testing.TB, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", filepath.Base(bin), args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Call sends a JSON request (body may be nil) with token and decodes the
// JSON answer; any status but 200 fails the test.
func Call(t testing.TB, token, method, url string, body any) map[string]any {
	t.Helper()
	c := &Client{t: t, org: &Org{}} // no router, no base: over HTTP to url
	res := c.SendToken(token, method, url, "application/json", c.jsonBody(body))
	if res.Status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, res.Status, res.Body)
	}
	return res.JSON()
}

// SignIn is a user's auth token from the standard sign-in endpoint.
func SignIn(t testing.TB, url, email, password string) string {
	t.Helper()
	out := Call(t, "", http.MethodPost, url+"/api/collections/users/auth-with-password",
		map[string]any{"identity": email, "password": password})
	token, _ := out["token"].(string)
	return token
}
