// Package audit keeps the tamper-evident audit log: every entry carries a
// monotonic seq and hash = sha256(prev_hash + canonical entry), so editing,
// removing or reordering any row breaks the chain from that row on.
//
// Entries are inserted with plain SQL inside the caller's transaction (the
// write they describe), reading only the last row by the unique seq index:
// the audit write stays cheap on every write's hot path.
package audit

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"

	"rapport/internal/txstate"
)

// Entry is one audited write.
type Entry struct {
	Actor          string
	ActorSuperuser string
	ClientID       string
	Action         string // create, update, delete
	Collection     string
	RecordID       string
	Changes        map[string][2]any // field: [old, new]
}

// row is an audit_log row as stored.
type row struct {
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

// hash is sha256(prev_hash + canonical entry) in hex. The canonical entry
// is the JSON of its fields in a fixed order, with changes canonicalised.
func (r *row) hash() (string, error) {
	changes, err := canonical([]byte(r.Changes))
	if err != nil {
		return "", err
	}
	return r.hashWith(changes)
}

// hashWith is hash with r's changes already canonical.
func (r *row) hashWith(changes []byte) (string, error) {
	entry, err := json.Marshal(struct {
		Seq            int64           `json:"seq"`
		Created        string          `json:"created"`
		Actor          string          `json:"actor"`
		ActorSuperuser string          `json:"actor_superuser"`
		ClientID       string          `json:"client_id"`
		Action         string          `json:"action"`
		Collection     string          `json:"collection"`
		RecordID       string          `json:"record_id"`
		Changes        json.RawMessage `json:"changes"`
	}{r.Seq, r.Created, r.Actor, r.ActorSuperuser, r.ClientID, r.Action, r.Collection, r.RecordID, json.RawMessage(changes)})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(r.PrevHash), entry...))
	return hex.EncodeToString(sum[:]), nil
}

// canonical re-encodes JSON with sorted keys and numbers kept verbatim.
func canonical(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return []byte("null"), nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// plain reports whether changes hold only values that encoding/json already
// writes canonically — scalars, valid UTF-8 text, lists of text, dates;
// the map's keys it sorts itself —, so that decoding and encoding again
// (canonical) would give the same bytes. Raw JSON (a record's JSON fields)
// keeps its own key order and spacing, and text that is not UTF-8 comes
// back changed, so those go through canonical.
func plain(changes map[string][2]any) bool {
	for _, pair := range changes {
		for _, v := range pair {
			switch x := v.(type) {
			case nil, bool, int, int64, float64, types.DateTime:
			case string:
				if !utf8.ValidString(x) {
					return false
				}
			case []string:
				if !plainTexts(x) {
					return false
				}
			case []any: // file names
				for _, item := range x {
					if s, ok := item.(string); !ok || !utf8.ValidString(s) {
						return false
					}
				}
			default:
				return false
			}
		}
	}
	return true
}

func plainTexts(texts []string) bool {
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// Append writes e as the next entry of the chain through app (pass the
// write's transaction).
func Append(app core.App, e Entry) error {
	changes, err := json.Marshal(e.Changes)
	if err != nil {
		return err
	}
	if !plain(e.Changes) {
		if changes, err = canonical(changes); err != nil {
			return err
		}
	}
	last, err := head(app)
	if err != nil {
		return err
	}
	now := types.NowDateTime().String()
	r := row{
		Id: seqID(last.Seq + 1), Seq: last.Seq + 1, Created: now,
		Actor: e.Actor, ActorSuperuser: e.ActorSuperuser, ClientID: e.ClientID, Action: e.Action,
		Collection: e.Collection, RecordID: e.RecordID, Changes: string(changes), PrevHash: last.Hash,
	}
	if r.Hash, err = r.hashWith(changes); err != nil {
		return err
	}
	// every call binds every placeholder: dbx keeps the first Bind's map
	// and copies later ones into it
	_, err = insertQuery(app).Bind(dbx.Params{
		"id": r.Id, "seq": r.Seq, "created": now, "actor": r.Actor,
		"actor_superuser": r.ActorSuperuser, "client_id": r.ClientID, "action": r.Action,
		"collection": r.Collection, "record_id": r.RecordID, "changes": r.Changes,
		"prev_hash": r.PrevHash, "hash": r.Hash,
	}).Execute()
	if err != nil {
		return err
	}
	last.Seq, last.Hash = r.Seq, r.Hash
	return nil
}

// seqID is the id of the entry numbered seq: its seq in 15 digits, a valid
// record id that sorts as the chain does. An entry's id is not in its hash,
// and ids in chain order let each insert append to the id index, where a
// random id dirtied a random page of it on every write (docs/benchmarks.md,
// P6). Entries written before carry random ids; seq stays the order.
func seqID(seq int64) string { return fmt.Sprintf("%015d", seq) }

// head is the chain's last entry as app's transaction sees it: read once per
// transaction, then advanced by each entry it appends. No other writer can
// append meanwhile: SQLite lets one transaction write at a time, and one
// whose first read predates another's commit cannot write at all. Outside a
// transaction it is read every time.
func head(app core.App) (*row, error) {
	last, inTx := txstate.Of(app, headKey{}, func() *row { return &row{Seq: -1} })
	if !inTx || last.Seq < 0 {
		stored, err := newest(app)
		if err != nil {
			return nil, err
		}
		*last = stored
	}
	return last, nil
}

type headKey struct{}

// newest is the last entry's seq and hash (zero when the log is empty).
func newest(app core.App) (row, error) {
	var last row
	err := app.DB().Select("seq", "hash").From("audit_log").OrderBy("seq DESC").Limit(1).One(&last)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return last, err
}

// insertQuery is the entry insert of app's transaction, built once per
// transaction: dbx rewrites a statement's text with regular expressions
// each time one is built, a sixth of an entry's cost (docs/benchmarks.md).
func insertQuery(app core.App) *dbx.Query {
	q, _ := txstate.Of(app, insertKey{}, func() *dbx.Query { return app.DB().NewQuery(insertSQL) })
	return q
}

type insertKey struct{}

// insertSQL is fixed text, so that its prepared statement is reused.
const insertSQL = `INSERT INTO audit_log (id, seq, created, updated, actor, actor_superuser, client_id, action, collection, record_id, changes, prev_hash, hash)
	VALUES ({:id}, {:seq}, {:created}, {:created}, {:actor}, {:actor_superuser}, {:client_id}, {:action}, {:collection}, {:record_id}, {:changes}, {:prev_hash}, {:hash})`

// BrokenError names the first entry where the chain does not verify.
type BrokenError struct {
	Seq    int64
	Id     string
	Reason string
}

func (e *BrokenError) Error() string {
	if e.Id == "" { // the entry is not there to name
		return fmt.Sprintf("audit chain broken at seq %d: %s", e.Seq, e.Reason)
	}
	return fmt.Sprintf("audit chain broken at seq %d (id %s): %s", e.Seq, e.Id, e.Reason)
}

// Verify walks the whole chain in seq order and returns the number of
// entries checked, or a *BrokenError for the first entry that is altered,
// out of order, or follows a removed one.
func Verify(app core.App) (int, error) {
	const page = 1000
	var prev row
	checked := 0
	for {
		var rows []row
		err := app.DB().Select("id", "seq", "created", "actor", "actor_superuser", "client_id", "action",
			"collection", "record_id", "changes", "prev_hash", "hash").From("audit_log").
			Where(dbx.NewExp("seq > {:seq}", dbx.Params{"seq": prev.Seq})).
			OrderBy("seq").Limit(page).All(&rows)
		if err != nil {
			return checked, err
		}
		for i := range rows {
			r := &rows[i]
			switch h, err := r.hash(); {
			case r.Seq != prev.Seq+1:
				return checked, &BrokenError{r.Seq, r.Id, fmt.Sprintf("expected seq %d: an entry is missing", prev.Seq+1)}
			case r.PrevHash != prev.Hash:
				return checked, &BrokenError{r.Seq, r.Id, "prev_hash does not match the previous entry's hash"}
			case err != nil:
				return checked, &BrokenError{r.Seq, r.Id, "changes are not valid JSON: " + err.Error()}
			case h != r.Hash:
				return checked, &BrokenError{r.Seq, r.Id, "content does not match its hash (the entry was altered)"}
			}
			prev = *r
			checked++
		}
		if len(rows) < page {
			return checked, nil
		}
	}
}

// CheckAnchor checks that the entry seq still holds hash, as recorded from
// an earlier verify: the chain alone cannot show entries deleted from its
// end, nor a chain rewritten whole with fresh hashes.
func CheckAnchor(app core.App, seq int64, hash string) error {
	var stored string
	err := app.DB().NewQuery(`SELECT hash FROM audit_log WHERE seq = {:seq}`).Bind(dbx.Params{"seq": seq}).Row(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &BrokenError{seq, "", "the anchored entry is gone: entries were deleted from the end of the log (or a backup older than the anchor was restored: take a new head after a restore)"}
	case err != nil:
		return err
	case stored != hash:
		return &BrokenError{seq, "", "the hash differs from the anchor: the log was rewritten"}
	}
	return nil
}

// Command is `audit verify`: it exits non-zero naming the first broken
// entry, and prints the head to keep as the next run's --anchor.
func Command(app core.App) *cobra.Command {
	var anchor string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit log hash chain",
		Long: `Walks the audit log's hash chain and names the first altered or missing entry.
It prints the newest entry as seq:hash; keep that where the database's admins
cannot write, and pass it as --anchor later to also catch entries deleted from
the end of the log or a chain rewritten whole.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := Verify(app)
			if err != nil {
				return err
			}
			if anchor != "" {
				seqText, hash, _ := strings.Cut(anchor, ":")
				seq, err := strconv.ParseInt(seqText, 10, 64)
				if err != nil || hash == "" {
					return errors.New("--anchor takes seq:hash, as printed by an earlier verify")
				}
				if err := CheckAnchor(app, seq, hash); err != nil {
					return err
				}
			}
			head, err := newest(app)
			if err != nil {
				return err
			}
			// the head alone on stdout, so that HEAD=$(rapport audit verify)
			// keeps exactly what --anchor takes; the summary is for people
			fmt.Fprintf(cmd.ErrOrStderr(), "audit chain OK: %d entries; head (keep it, pass it as --anchor):\n", n)
			fmt.Fprintf(cmd.OutOrStdout(), "%d:%s\n", head.Seq, head.Hash)
			return nil
		},
	}
	verify.Flags().StringVar(&anchor, "anchor", "", "seq:hash printed by an earlier verify, which the log must still hold")
	cmd := &cobra.Command{Use: "audit", Short: "Audit log tools"}
	cmd.AddCommand(verify)
	return cmd
}
