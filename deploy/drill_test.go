// The restore drill: the deployment's Litestream configuration replicates a
// live server to a replica while people write, and a restore into an empty
// directory brings back every record with the audit chain intact.
package deploy_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and replicates for real")
	}
	tmp := t.TempDir()
	rapport := buildRapport(t, tmp)
	litestream := litestreamBinary(t)
	data, replica, restored := filepath.Join(tmp, "pb_data"), filepath.Join(tmp, "replica"), filepath.Join(tmp, "restored")
	env := append(os.Environ(), "RAPPORT_DATA="+data, "LITESTREAM_REPLICA_URL=file://"+replica)

	// migrations first, so Litestream finds the database it replicates
	run(t, env, rapport, "migrate", "up", "--dir", data)
	replicator := start(t, env, litestream, "replicate", "-config", "litestream.yml")
	addr := freeAddr(t)
	server := start(t, env, rapport, "serve", "--http", addr, "--dir", data)
	waitHealthy(t, addr)

	// writes while Litestream replicates: the demo organisation (one big
	// transaction), then a rep's REST writes one by one
	run(t, env, rapport, "demo", "--dir", data, "--customers", "40")
	token := signIn(t, addr, "rita@rapport-demo.example.com", "demo-pass-2026")
	for i := range 25 {
		post(t, addr, token, "/api/collections/customers/records",
			map[string]any{"name": fmt.Sprintf("Drill customer %d", i), "annual_contract_amount": 1_000_000 * i})
	}
	ritas := get(t, addr, token, "/api/collections/customers/records?perPage=1")["totalItems"]

	// the server stops; Litestream's graceful stop sends what is left
	stop(t, server)
	head := strings.TrimSpace(run(t, env, rapport, "audit", "verify", "--dir", data))
	stop(t, replicator)

	run(t, env, litestream, "restore", "-o", filepath.Join(restored, "data.db"), "file://"+replica)
	for _, c := range []string{"users", "teams", "customers", "plans", "visits", "expenses", "approvals", "budgets", "audit_log", "_sync_changes"} {
		if want, got := count(t, data, c), count(t, restored, c); got != want || want == 0 {
			t.Errorf("%s: %d restored, %d on the server", c, got, want)
		}
	}
	if out := run(t, env, rapport, "audit", "verify", "--dir", restored, "--anchor", head); strings.TrimSpace(out) != head {
		t.Errorf("restored chain's head %q, the server's %q", out, head)
	}

	// the restored server serves Rita what she had
	run(t, env, rapport, "sync", "mark-restored", "--dir", restored)
	addr = freeAddr(t)
	start(t, env, rapport, "serve", "--http", addr, "--dir", restored)
	waitHealthy(t, addr)
	token = signIn(t, addr, "rita@rapport-demo.example.com", "demo-pass-2026")
	if got := get(t, addr, token, "/api/collections/customers/records?perPage=1")["totalItems"]; got != ritas {
		t.Errorf("Rita lists %v customers on the restored server, had %v", got, ritas)
	}
}

func buildRapport(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "rapport")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// litestreamBinary is the Litestream version deploy/litestream.version
// names: on PATH (.ci/run installs it), else built once into the user's
// cache directory from the Go module proxy.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("litestream.version")
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(raw))
	if path, err := exec.LookPath("litestream"); err == nil {
		if out, _ := exec.Command(path, "version").Output(); strings.TrimSpace(string(out)) == version {
			return path
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "rapport", "litestream-"+version)
	bin := filepath.Join(dir, "litestream")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("building Litestream %s into %s (once)", version, dir)
	install := exec.Command("go", "install", "github.com/benbjohnson/litestream/cmd/litestream@"+version)
	install.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOBIN="+dir)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install litestream: %v\n%s", err, out)
	}
	return bin
}

// run runs a command to its end and returns its standard output.
func run(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

func start(t *testing.T, env []string, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
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

// stop ends p as systemd does (SIGTERM) and waits for its clean exit.
func stop(t *testing.T, p *process) {
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

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatal("the server did not come up in a minute")
}

func post(t *testing.T, addr, token, path string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	return call(t, token, http.MethodPost, "http://"+addr+path, bytes.NewReader(raw))
}

func get(t *testing.T, addr, token, path string) map[string]any {
	t.Helper()
	return call(t, token, http.MethodGet, "http://"+addr+path, nil)
}

func call(t *testing.T, token, method, url string, body io.Reader) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %v", method, url, resp.StatusCode, out)
	}
	return out
}

func signIn(t *testing.T, addr, email, password string) string {
	t.Helper()
	out := post(t, addr, "", "/api/collections/users/auth-with-password", map[string]any{"identity": email, "password": password})
	token, _ := out["token"].(string)
	return token
}

func count(t *testing.T, dataDir, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "data.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("%s in %s: %v", table, dataDir, err)
	}
	return n
}
