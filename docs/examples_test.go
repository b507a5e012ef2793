// The documented examples run: every fenced block marked `<!-- example -->` in
// the README and in docs/*.md is executed against a real server seeded with
// the demo organisation, as a reader would paste it.
//
// Each block runs on its own, as a reader would paste it (one marked
// `<!-- example: continued -->` goes on in the session of the example before
// it, with its variables): sh under bash with
// set -euo pipefail in an empty directory (curl fails on an HTTP error unless
// the block is marked `<!-- example: may-fail -->`), js as an ES module under
// Node with the official `pocketbase` SDK installed. The documents say
// http://127.0.0.1:8090; the test's server listens elsewhere and the address
// is replaced.
package docs_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rapport/internal/testkit"
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
		case mark != nil && m != nil && mark[1] == "continued" && len(out) > 0:
			// the previous example goes on: same session, its variables kept
			open = &out[len(out)-1]
			out = out[:len(out)-1]
			mark = nil
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
	bin := testkit.BuildServer(t)
	data := filepath.Join(t.TempDir(), "pb_data")
	testkit.Run(t, nil, bin, "demo", "--dir", data)
	testkit.Run(t, nil, bin, "superuser", "upsert", "root@example.com", "docs-example-pass", "--dir", data)
	url, _ := testkit.ServeBinary(t, nil, bin, data)
	token := testkit.Call(t, "", "POST", url+"/api/collections/_superusers/auth-with-password",
		map[string]any{"identity": "root@example.com", "password": "docs-example-pass"})["token"].(string)
	testkit.Call(t, token, "PATCH", url+"/api/settings", map[string]any{"rateLimits": map[string]any{"enabled": false}})
	return url
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
