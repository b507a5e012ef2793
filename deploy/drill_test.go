// The restore drill: the deployment's Litestream configuration replicates a
// live server to a replica while people write, and a restore into an empty
// directory brings back every record with the audit chain intact.
package deploy_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"rapport/internal/testkit"
)

func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and replicates for real")
	}
	tmp := t.TempDir()
	rapport := testkit.BuildServer(t)
	litestream := litestreamBinary(t)
	data, replica, restored := filepath.Join(tmp, "pb_data"), filepath.Join(tmp, "replica"), filepath.Join(tmp, "restored")
	env := append(os.Environ(), "RAPPORT_DATA="+data, "LITESTREAM_REPLICA_URL=file://"+replica)
	config, _ := filepath.Abs("litestream.yml")

	// migrations first, so Litestream finds the database it replicates
	testkit.Run(t, env, rapport, "migrate", "up", "--dir", data)
	replicator := testkit.Start(t, env, litestream, "replicate", "-config", config)
	url, server := testkit.ServeBinary(t, env, rapport, data)

	// writes while Litestream replicates: the demo organisation (one big
	// transaction), then a rep's REST writes one by one
	testkit.Run(t, env, rapport, "demo", "--dir", data, "--customers", "40")
	token := testkit.SignIn(t, url, "rita@rapport-demo.example.com", "demo-pass-2026")
	for i := range 25 {
		testkit.Call(t, token, http.MethodPost, url+"/api/collections/customers/records",
			map[string]any{"name": fmt.Sprintf("Drill customer %d", i), "annual_contract_amount": 1_000_000 * i})
	}
	ritas := testkit.Call(t, token, http.MethodGet, url+"/api/collections/customers/records?perPage=1", nil)["totalItems"]

	// the server stops; Litestream's graceful stop sends what is left
	server.Stop(t)
	head := strings.TrimSpace(testkit.Run(t, env, rapport, "audit", "verify", "--dir", data))
	replicator.Stop(t)

	testkit.Run(t, env, litestream, "restore", "-o", filepath.Join(restored, "data.db"), "file://"+replica)
	for _, c := range []string{"users", "teams", "customers", "plans", "visits", "expenses", "approvals", "budgets", "audit_log", "_sync_changes"} {
		if want, got := count(t, data, c), count(t, restored, c); got != want || want == 0 {
			t.Errorf("%s: %d restored, %d on the server", c, got, want)
		}
	}
	if out := testkit.Run(t, env, rapport, "audit", "verify", "--dir", restored, "--anchor", head); strings.TrimSpace(out) != head {
		t.Errorf("restored chain's head %q, the server's %q", out, head)
	}

	// the restored server serves Rita what she had
	testkit.Run(t, env, rapport, "sync", "mark-restored", "--dir", restored)
	url, _ = testkit.ServeBinary(t, env, rapport, restored)
	token = testkit.SignIn(t, url, "rita@rapport-demo.example.com", "demo-pass-2026")
	if got := testkit.Call(t, token, http.MethodGet, url+"/api/collections/customers/records?perPage=1", nil)["totalItems"]; got != ritas {
		t.Errorf("Rita lists %v customers on the restored server, had %v", got, ritas)
	}
}

// litestreamBinary is the Litestream version deploy/litestream.version
// names: on PATH, else built once into the user's cache directory from the
// Go module proxy.
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
