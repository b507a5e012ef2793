package bench

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
)

// ---------------------------------------------------------------- P8

// storm is the shape of quality.md's end-of-day sync storm: each install
// pushes stormMutations, stormConcurrency installs at a time.
const (
	stormMutations   = 50
	stormConcurrency = 64
)

// stormInstall is one phone of the storm: its rep and what it will touch
// among the records the rep already has (read before the storm).
type stormInstall struct {
	rep      person
	clientId string
	drafts   []string // draft expenses it edits or submits
	visits   []string // scheduled visits it edits
}

// stormBefore is what the storm's records looked like before it: the
// versions of the existing records it updates.
type stormBefore map[string]int // "collection/id" → version

// syncStorm: at the end of the day every install pulls from zero, pushes
// the day's 50 mutations (creates and updates of visits and expenses of its
// rep's own customers, some submits) and pulls again, 64 installs at a
// time. Afterwards the database must hold every mutation exactly once:
// each created record once with the version its updates imply, each
// updated record exactly one version further, and one `applied` stored
// result per mutation. The baseline is one stock REST create (P1's), so
// that the push's p99 stands beside a plain write's.
func (r *run) syncStorm() error {
	stock, err := r.stockCreate()
	if err != nil {
		return err
	}
	s := r.cfg.Sizes
	stamp := time.Now().UnixNano() % 1e9
	installs := make([]stormInstall, s.Installs)
	for i := range installs {
		installs[i] = stormInstall{rep: r.world.Reps[i%len(r.world.Reps)], clientId: fmt.Sprintf("bench-p8-%d-%d", stamp, i)}
	}
	before, err := r.stormTargets(installs)
	if err != nil {
		return err
	}

	srv, err := r.rapport("P8")
	if err != nil {
		return err
	}
	c := r.client(srv.URL, stormConcurrency)
	var (
		mu                     sync.Mutex
		pushLat                []time.Duration
		pulled, pages          atomic.Int64
		applied, notApplied    atomic.Int64
		firstOutcome           string
		failedCalls, callsMade atomic.Int64
		firstFail              error
	)
	fail := func(err error) error {
		failedCalls.Add(1)
		mu.Lock()
		if firstFail == nil {
			firstFail = err
		}
		mu.Unlock()
		return err
	}
	bar := newProgress(r.cfg.Log, fmt.Sprintf("%d installs: pull, push %d, pull", len(installs), stormMutations), len(installs))
	res := runLoad(stormConcurrency, len(installs), 30*time.Minute, func(_, i int) (int, error) {
		defer bar.add(1)
		in := installs[i]
		cursor, n, p, err := pullAll(c, in.rep.Token, in.clientId, "")
		callsMade.Add(int64(p))
		if err != nil {
			return 0, fail(err)
		}
		pulled.Add(int64(n))
		pages.Add(int64(p))
		var out pushResult
		t := time.Now()
		err = c.do(http.MethodPost, "/api/sync/push", in.rep.Token, map[string]any{
			"clientId": in.clientId, "schemaVersion": 1, "mutations": r.stormMutations(i, in)}, &out)
		callsMade.Add(1)
		if err != nil {
			return 0, fail(err)
		}
		mu.Lock()
		pushLat = append(pushLat, time.Since(t))
		mu.Unlock()
		for _, m := range out.Results {
			if m.Status == "applied" {
				applied.Add(1)
				continue
			}
			notApplied.Add(1)
			mu.Lock()
			if firstOutcome == "" {
				firstOutcome = fmt.Sprintf("mutation %d of %s: %s %v", m.Id, in.clientId, m.Status, m.Error.Data)
			}
			mu.Unlock()
		}
		_, n, p, err = pullAll(c, in.rep.Token, in.clientId, cursor)
		callsMade.Add(int64(p))
		if err != nil {
			return 0, fail(err)
		}
		pulled.Add(int64(n))
		pages.Add(int64(p))
		return 1, nil
	})
	bar.done()
	srv.stop()

	wrong, err := r.stormCheck(installs, before)
	if err != nil {
		return err
	}
	p99, p50 := ms(percentile(pushLat, 99)), ms(percentile(pushLat, 50))
	sp := 1000 / stock.perSecond() * float64(r.cfg.Sizes.Clients) // a stock create's mean latency at its concurrency
	want := int64(len(installs) * stormMutations)
	notes := fmt.Sprintf("%d installs × %d mutations, %d at a time, in %.1f s; %d requests, %d failed; %d of %d mutations applied (%.0f /s)%s; %s; push p50 %.0f ms; %d changes pulled in %d pages; baseline = a stock REST create's mean latency at %d connections",
		len(installs), stormMutations, stormConcurrency, res.Elapsed.Seconds(), callsMade.Load(), failedCalls.Load(), applied.Load(), want, float64(applied.Load())/res.Elapsed.Seconds(),
		orNone(firstOutcome), wrong, p50, pulled.Load(), pages.Load(), r.cfg.Sizes.Clients)
	if firstFail != nil {
		notes += fmt.Sprintf("; first failed call: %v", firstFail)
	}
	r.add(Row{ID: "P8", What: "sync storm, push p99", Ours: p99, Baseline: sp, Unit: "ms", Ratio: ratio(sp, p99),
		Target: "0 failed, each mutation once",
		Pass:   failedCalls.Load() == 0 && applied.Load() == want && notApplied.Load() == 0 && wrong == stormExact,
		Notes:  notes})
	return nil
}

func orNone(first string) string {
	if first == "" {
		return ""
	}
	return " (first other outcome: " + first + ")"
}

// stormTargets reads, before the storm, the drafts and scheduled visits
// each install will update, and their versions.
func (r *run) stormTargets(installs []stormInstall) (stormBefore, error) {
	app, err := openApp(r.dir("rapport"), modeRapport)
	if err != nil {
		return nil, err
	}
	defer app.ResetBootstrapState()
	before := stormBefore{}
	taken := map[string]bool{} // a rep with several installs gives each its own records
	for i := range installs {
		in := &installs[i]
		for _, t := range []struct {
			collection, owner, status string
			into                      *[]string
		}{{"expenses", "rep", "draft", &in.drafts}, {"visits", "rep", "scheduled", &in.visits}} {
			records, err := app.FindAllRecords(t.collection, dbx.HashExp{t.owner: in.rep.ID, "status": t.status})
			if err != nil {
				return nil, err
			}
			for _, rec := range records {
				key := t.collection + "/" + rec.Id
				if taken[key] || len(*t.into) == stormUpdates {
					continue
				}
				taken[key] = true
				*t.into = append(*t.into, rec.Id)
				before[key] = rec.GetInt("version")
			}
		}
	}
	return before, nil
}

// stormUpdates is how many existing drafts (and scheduled visits) an install
// updates at most.
const stormUpdates = 10

// stormMutations is install i's day: 50 mutations in the order a phone
// queues them. Every install makes, with k = 0..9:
//
//	10 expense creates, the even ones submitted right after (5 updates)
//	10 visit creates, the first 5 given notes afterwards (5 updates)
//	up to 10 edits of existing drafts' descriptions, every third submitted
//	up to 10 edits of existing scheduled visits' notes
//
// and fills up to 50 with further expense creates when the rep has fewer
// existing records.
func (r *run) stormMutations(i int, in stormInstall) []map[string]any {
	plans := r.world.Plans[in.rep.ID]
	muts := make([]map[string]any, 0, stormMutations)
	add := func(op, collection, id string, data, base map[string]any) {
		m := map[string]any{"id": len(muts) + 1, "op": op, "collection": collection, "recordId": id, "data": data}
		if base != nil {
			m["base"] = base
		}
		muts = append(muts, m)
	}
	for k := 0; len(muts) < stormMutations; k++ {
		p := plans[k%len(plans)]
		switch {
		case k < 10:
			id := stormId(i, "x", k)
			add("create", "expenses", id, expenseData(p, r.world.Today, i*100+k, 1900), nil)
			if k%2 == 0 {
				add("update", "expenses", id, map[string]any{"status": "submitted"}, map[string]any{"status": "draft"})
			}
		case k < 20:
			id := stormId(i, "v", k)
			add("create", "visits", id, map[string]any{"customer": p.Customer, "plan": p.ID, "kind": "visit",
				"status": "scheduled", "due_date": r.world.Today, "notes": "Booked at the end of the day"}, nil)
			if k < 15 {
				add("update", "visits", id, map[string]any{"notes": "Agenda: renewal and the new line"}, nil)
			}
		case k < 30 && k-20 < len(in.drafts):
			d := in.drafts[k-20]
			if (k-20)%3 == 0 {
				add("update", "expenses", d, map[string]any{"description": "Client lunch, receipt kept", "status": "submitted"},
					map[string]any{"status": "draft"})
			} else {
				add("update", "expenses", d, map[string]any{"description": "Client lunch, receipt kept"}, nil)
			}
		case k < 40 && k-30 < len(in.visits):
			add("update", "visits", in.visits[k-30], map[string]any{"notes": "Confirmed by phone"}, nil)
		case k >= 40:
			add("create", "expenses", stormId(i, "y", k), expenseData(p, r.world.Today, i*100+k, 1900), nil)
		}
	}
	return muts
}

// stormId is a 15-character record id (PocketBase's length): "p8", kind,
// install, number.
func stormId(install int, kind string, k int) string {
	return fmt.Sprintf("p8%s%09d%03d", kind, install, k)
}

const stormExact = "every record and version as expected"

// stormCheck counts, after the storm, what the database holds against what
// the pushes asked for: created records (once each, at the version their
// updates imply), updated records (exactly one version further) and the
// stored results of the mutations (one `applied` each).
func (r *run) stormCheck(installs []stormInstall, before stormBefore) (string, error) {
	app, err := openApp(r.dir("rapport"), modeRapport)
	if err != nil {
		return "", err
	}
	defer app.ResetBootstrapState()
	var problems []string
	wantVersion := map[string]int{} // "collection/id" → version after the storm
	for i, in := range installs {
		for _, m := range r.stormMutations(i, in) {
			key := m["collection"].(string) + "/" + m["recordId"].(string)
			if _, ok := wantVersion[key]; !ok {
				wantVersion[key] = before[key] // 0 for a create
			}
			wantVersion[key]++
		}
	}
	mismatched := 0
	for _, coll := range []string{"expenses", "visits"} {
		var ids []any
		for key := range wantVersion {
			if c, id, _ := strings.Cut(key, "/"); c == coll && before[key] == 0 {
				ids = append(ids, id)
			}
		}
		var rows []struct {
			Id      string `db:"id"`
			Version int    `db:"version"`
		}
		if err := app.DB().Select("id", "version").From(coll).Where(dbx.In("id", ids...)).All(&rows); err != nil {
			return "", err
		}
		for _, row := range rows {
			if wantVersion[coll+"/"+row.Id] != row.Version {
				mismatched++
			}
		}
		if len(rows) != len(ids) {
			problems = append(problems, fmt.Sprintf("%d %s created, want %d", len(rows), coll, len(ids)))
		}
	}
	for key := range before {
		coll, id, _ := strings.Cut(key, "/")
		rec, err := app.FindRecordById(coll, id)
		if err != nil {
			return "", err
		}
		if rec.GetInt("version") != wantVersion[key] {
			mismatched++
		}
	}
	if mismatched > 0 {
		problems = append(problems, fmt.Sprintf("%d records at an unexpected version", mismatched))
	}
	var results []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := app.DB().NewQuery(`SELECT status, COUNT(*) AS n FROM _sync_mutations WHERE client LIKE {:p} GROUP BY status`).
		Bind(dbx.Params{"p": "bench-p8-%"}).All(&results); err != nil {
		return "", err
	}
	for _, res := range results {
		if want := len(installs) * stormMutations; res.Status != "applied" || res.N != want {
			problems = append(problems, fmt.Sprintf("%d stored results %q (want %d applied)", res.N, res.Status, want))
		}
	}
	if len(results) == 0 {
		problems = append(problems, "no stored results")
	}
	if len(problems) > 0 {
		return strings.Join(problems, ", "), nil
	}
	return stormExact, nil
}
