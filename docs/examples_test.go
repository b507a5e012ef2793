// The documented examples run: every fenced block marked `<!-- example -->` in
// the README and in docs/*.md is executed against a real server seeded with
// the demo organisation, as a reader would paste it.
//
// Each block runs on its own, as a reader would paste it: sh under bash with
// set -euo pipefail in an empty directory (curl fails on an HTTP error unless
// the block is marked `<!-- example: may-fail -->`), js as an ES module under
// Node with the official `pocketbase` SDK installed. The documents say
// http://127.0.0.1:8090; the test's server listens elsewhere and the address
// is replaced.
package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	documentedURL = "http://127.0.0.1:8090"
	sdkVersion    = "0.28.1" // the official JS SDK the examples are checked with
)

func TestDocumentedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs Node")
	}
	docs := append([]string{"../README.md"}, must(filepath.Glob("*.md"))...)
	var examples []example
	for _, doc := range docs {
		examples = append(examples, examplesOf(t, doc)...)
	}
	if len(examples) == 0 {
		t.Fatal("no documented example is marked <!-- example -->")
	}
	url := demoServer(t)
	nodeDir := sdkDir(t)
	for _, e := range examples {
		t.Run(e.name, func(t *testing.T) { e.run(t, url, nodeDir) })
	}
}

// example is one marked block.
type example struct {
	name, lang, script string
	mayFail            bool // sh: a curl may show an HTTP error
}

var (
	marker = regexp.MustCompile(`^<!-- example(?::\s*([a-z-]+))?\s*-->$`)
	fence  = regexp.MustCompile("^\\s*```([a-z]*)")
)

// examplesOf reads the marked blocks of doc.
func examplesOf(t *testing.T, doc string) []example {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out []example
	var open *example // the marked block being read
	var mark []string // the marker just above a fence
	for i, text := range strings.Split(string(raw), "\n") {
		m := fence.FindStringSubmatch(text)
		switch {
		case open != nil && m != nil: // the block's closing fence
			out = append(out, *open)
			open = nil
		case open != nil:
			open.script += text + "\n"
		case mark != nil && m != nil:
			open = &example{name: fmt.Sprintf("%s:%d", filepath.Base(doc), i+1), lang: m[1], mayFail: mark[1] == "may-fail"}
			mark = nil
		default:
			mark = marker.FindStringSubmatch(strings.TrimSpace(text))
		}
	}
	return out
}

func (e example) run(t *testing.T, url, nodeDir string) {
	script := strings.ReplaceAll(e.script, documentedURL, url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	switch e.lang {
	case "sh":
		preamble := "set -euo pipefail\ncd \"$(mktemp -d)\"\n"
		if !e.mayFail {
			preamble += "curl() { command curl --fail-with-body \"$@\"; }\n"
		}
		cmd = exec.CommandContext(ctx, "bash", "-c", preamble+script)
	case "js":
		file := filepath.Join(nodeDir, strings.NewReplacer(":", "_", ".", "_").Replace(e.name)+".mjs")
		if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = exec.CommandContext(ctx, "node", file)
		cmd.Dir = nodeDir
	default:
		t.Fatalf("no runner for %q blocks", e.lang)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n--- output\n%s\n--- script\n%s", err, out, numbered(script))
	}
	t.Logf("%s", out)
}

func numbered(script string) string {
	var b strings.Builder
	for i, line := range strings.Split(script, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}

// demoServer builds the server, seeds the demo organisation into a fresh
// data directory, serves it on a free loopback port and returns its URL.
// Sign-in limits are lifted for the run: the examples sign in more than ten
// times a minute from one address.
func demoServer(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "rapport")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "pb_data")
	for _, args := range [][]string{
		{"demo", "--dir", data},
		{"superuser", "upsert", "root@example.com", "docs-example-pass", "--dir", data},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("rapport %s: %v\n%s", args[0], err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	server := exec.Command(bin, "serve", "--http", addr, "--dir", data)
	server.Dir = ".." // pb_public/ of the repository
	var logs bytes.Buffer
	server.Stdout, server.Stderr = &logs, &logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Kill()
		_ = server.Wait()
		if t.Failed() {
			t.Logf("server:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/api/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up\n%s", logs.String())
		}
	}
	token := request(t, "", "POST", url+"/api/collections/_superusers/auth-with-password",
		map[string]any{"identity": "root@example.com", "password": "docs-example-pass"})["token"].(string)
	request(t, token, "PATCH", url+"/api/settings", map[string]any{"rateLimits": map[string]any{"enabled": false}})
	return url
}

func request(t *testing.T, token, method, url string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
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

// sdkDir is a directory where `import PocketBase from "pocketbase"` works:
// the SDK is installed once from the npm registry into the user's cache.
func sdkDir(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "rapport", "docs-node-"+sdkVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pocketbase")); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir,
		"pocketbase@"+sdkVersion, "eventsource@2")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	return dir
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
