package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The real server serves the clients in pb_public/: the field app and the
// console at their directory URLs, the sync library as a JavaScript module
// (browsers refuse a module of another type). The test runs main in a
// child process of the test binary, from the repository root.
func TestServesClients(t *testing.T) {
	if addr := os.Getenv("RAPPORT_TEST_SERVE"); addr != "" {
		os.Args = []string{"rapport", "serve", "--http", addr, "--dir", os.Getenv("RAPPORT_TEST_MAIN_DIR")}
		main()
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServesClients$")
	cmd.Env = append(os.Environ(), "RAPPORT_TEST_SERVE="+addr, "RAPPORT_TEST_MAIN_DIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
			resp, err := client.Get("http://" + addr + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(body)
			}
			if time.Since(start) > 60*time.Second {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
	}
	for path, want := range map[string]struct{ typ, body string }{
		"/app/":                  {"text/html", `<script type="module" src="app.js">`},
		"/app/sw.js":             {"javascript", "caches"},
		"/app/manifest.json":     {"json", `"start_url": "/app/"`},
		"/sdk/rapport-sync.js":   {"javascript", "export class Rapport"},
		"/sdk/rapport-sync.d.ts": {"text/plain", "export declare class Rapport"},
		"/console/":              {"text/html", `<script type="module" src="console.js">`},
		"/console/console.js":    {"javascript", "/api/reports/"},
	} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), want.typ) || !strings.Contains(body, want.body) {
			t.Errorf("GET %s: %d %s, body has %q: %v", path, resp.StatusCode, resp.Header.Get("Content-Type"), want.body, strings.Contains(body, want.body))
		}
	}
	if resp, _ := get("/app"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/app/" {
		t.Errorf("GET /app: %d to %q, want a redirect to /app/", resp.StatusCode, resp.Header.Get("Location"))
	}
}
