package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/audit"
	"rapport/internal/testkit"
)

// stored is an audit_log row as the table holds it.
type stored struct {
	Id             string `db:"id"`
	Seq            int64  `db:"seq"`
	Created        string `db:"created"`
	Actor          string `db:"actor"`
	ActorSuperuser string `db:"actor_superuser"`
	ClientID       string `db:"client_id"`
	Action         string `db:"action"`
	Collection     string `db:"collection"`
	RecordID       string `db:"record_id"`
	Changes        string `db:"changes"`
	PrevHash       string `db:"prev_hash"`
	Hash           string `db:"hash"`
}

func storedRows(t testing.TB, app core.App) []stored {
	t.Helper()
	var rows []stored
	if err := app.DB().Select("*").From("audit_log").OrderBy("seq").All(&rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// chainHash is the documented formula, written out again here rather than
// reusing the package's: sha256 over prev_hash followed by the JSON object
// {seq, created, actor, actor_superuser, client_id, action, collection,
// record_id, changes} in that order, changes with sorted keys and numbers
// as written, in lowercase hex.
func chainHash(t testing.TB, r stored) string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(r.Changes))
	d.UseNumber()
	var changes any
	if err := d.Decode(&changes); err != nil {
		t.Fatalf("seq %d: changes %q: %v", r.Seq, r.Changes, err)
	}
	var entry bytes.Buffer
	entry.WriteString("{")
	for i, kv := range []struct {
		key   string
		value any
	}{{"seq", r.Seq}, {"created", r.Created}, {"actor", r.Actor}, {"actor_superuser", r.ActorSuperuser},
		{"client_id", r.ClientID}, {"action", r.Action}, {"collection", r.Collection}, {"record_id", r.RecordID}, {"changes", changes}} {
		v, err := json.Marshal(kv.value) // maps marshal with sorted keys
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			entry.WriteString(",")
		}
		entry.WriteString(`"` + kv.key + `":`)
		entry.Write(v)
	}
	entry.WriteString("}")
	sum := sha256.Sum256(append([]byte(r.PrevHash), entry.Bytes()...))
	return hex.EncodeToString(sum[:])
}

// TestChainFormula recomputes every entry's hash from its stored fields and
// its predecessor's hash: each entry after the first must chain to the one
// before it, so that none can be altered without rewriting all that follow.
func TestChainFormula(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	err := audit.Append(app, audit.Entry{Actor: "u1", ClientID: "phone", Action: "update", Collection: "plans", RecordID: "p1",
		Changes: map[string][2]any{"title": {"a", "b <&> \u00e9"}, "budget": {int64(9007199254740991), 1.5}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := storedRows(t, app)
	if len(rows) < 3 {
		t.Fatalf("only %d audit entries to check", len(rows))
	}
	if rows[0].PrevHash != "" {
		t.Errorf("the first entry has prev_hash %q, want none", rows[0].PrevHash)
	}
	for i, r := range rows {
		if r.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d", i, r.Seq)
		}
		if i > 0 && r.PrevHash != rows[i-1].Hash {
			t.Errorf("seq %d: prev_hash %s, want the hash of seq %d (%s)", r.Seq, r.PrevHash, rows[i-1].Seq, rows[i-1].Hash)
		}
		if want := chainHash(t, r); r.Hash != want {
			t.Errorf("seq %d (%s %s): hash %s, want sha256(prev_hash + entry) = %s", r.Seq, r.Action, r.Collection, r.Hash, want)
		}
	}
}

// TestVerifyCatchesAConsistentRewrite: a forger rewrites one entry and
// re-hashes it by the formula, so the entry matches its own hash. Only its
// successor's prev_hash still names the original: Verify must report the
// successor.
func TestVerifyCatchesAConsistentRewrite(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	rows := storedRows(t, app)
	if len(rows) < 6 {
		t.Fatalf("only %d audit entries", len(rows))
	}
	forged := rows[4]
	forged.Changes = `{"approval_limit":[0,999999999]}`
	forged.Hash = chainHash(t, forged)
	if _, err := app.DB().Update("audit_log", dbx.Params{"changes": forged.Changes, "hash": forged.Hash},
		dbx.HashExp{"id": forged.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	var broken *audit.BrokenError
	n, err := audit.Verify(app)
	if !errors.As(err, &broken) || broken.Seq != forged.Seq+1 || !strings.Contains(broken.Reason, "prev_hash") {
		t.Fatalf("a consistently re-hashed seq %d: Verify checked %d, %v; want the chain broken at seq %d by its prev_hash",
			forged.Seq, n, err, forged.Seq+1)
	}
	if n != int(forged.Seq) {
		t.Errorf("Verify checked %d entries before the break, want %d", n, forged.Seq)
	}
}

// TestVerifyReadsEveryPage: Verify reads the log a thousand entries at a
// time; an entry altered on a later page is still found, and a clean log
// longer than a page is counted whole.
func TestVerifyReadsEveryPage(t *testing.T) {
	app := testkit.NewApp(t)
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range 1003 {
			if err := audit.Append(tx, audit.Entry{Action: "update", Collection: "plans", RecordID: "p1",
				Changes: map[string][2]any{"budget": {i, i + 1}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total, err := app.CountRecords("audit_log")
	if err != nil || total <= 1001 {
		t.Fatalf("%d audit entries, %v", total, err)
	}
	if n, err := audit.Verify(app); err != nil || int64(n) != total {
		t.Fatalf("a clean chain of %d entries: Verify checked %d, %v", total, n, err)
	}
	if _, err := app.DB().NewQuery(`UPDATE audit_log SET changes = '{"budget":[0,99]}' WHERE seq = 1001`).Execute(); err != nil {
		t.Fatal(err)
	}
	var broken *audit.BrokenError
	if _, err := audit.Verify(app); !errors.As(err, &broken) || broken.Seq != 1001 {
		t.Fatalf("seq 1001 altered, on the second page: Verify says %v", err)
	}
}

// TestVerifyCommandAnchorMustBeSeqAndHash: an --anchor whose seq is not a
// number is refused as malformed, not looked up.
func TestVerifyCommandAnchorMustBeSeqAndHash(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.NewOrg(t, app)
	for _, anchor := range []string{"x:0123abcd", "3:", "twelve"} {
		cmd := audit.Command(app)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs([]string{"verify", "--anchor", anchor})
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "seq:hash") {
			t.Errorf("--anchor %q: %v, want it refused as not seq:hash", anchor, err)
		}
	}
}
