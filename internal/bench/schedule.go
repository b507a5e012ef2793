package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/org"
	"rapport/internal/schedule"
)

// ---------------------------------------------------------------- P6

// scheduleCustomers is how many active customers P6 plans: 100 per rep
// of the sizes (full: 100,000 as quality.md says; quick: 10,000).
func scheduleCustomers(s Sizes) int { return 100 * s.Reps }

// scheduleJob: the daily job over a fresh organisation of active
// customers (never visited, bought over the last three years, one or two
// contacts with birthdays), in process as the cron runs it: a first run,
// then a second that must change nothing. The floor is SQLite inserting
// the rows the first run created, in one transaction.
func (r *run) scheduleJob() error {
	app, err := openApp(r.dir("p6"), modeRapport)
	if err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	w, err := generate(app, shape{Reps: 100, CustomersEach: 1, OrgBudgetYuan: 1_000_000, PlanBudgetYuan: 1_000}, r.cfg.Log)
	if err != nil {
		return err
	}
	n := scheduleCustomers(r.cfg.Sizes)
	fmt.Fprintf(r.cfg.Log, "P6: inserting %d customers\n", n)
	if err := insertCustomers(app, w, n, r.cfg.Seed); err != nil {
		return err
	}
	before, err := countVisits(app)
	if err != nil {
		return err
	}

	t, cpu := time.Now(), cpuTime()
	first, err := labelled("first", func() (schedule.Result, error) { return schedule.Run(app, w.Today) })
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	firstDur, firstCPU := time.Since(t), cpuTime()-cpu
	t, cpu = time.Now(), cpuTime()
	second, err := labelled("second", func() (schedule.Result, error) { return schedule.Run(app, w.Today) })
	if err != nil {
		return fmt.Errorf("second run: %w", err)
	}
	secondDur, secondCPU := time.Since(t), cpuTime()-cpu
	floor, rows, err := insertFloor(app, before)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}

	pass := firstDur <= 30*time.Second && secondDur <= 5*time.Second && second == (schedule.Result{})
	r.add(Row{ID: "P6", What: fmt.Sprintf("daily schedule job, %d active customers", n),
		Ours: firstDur.Seconds(), Baseline: floor.Seconds(), Unit: "s", Ratio: floor.Seconds() / firstDur.Seconds(),
		Target: "first ≤ 30 s, second ≤ 5 s", Pass: pass,
		Notes: fmt.Sprintf("first run %.1f s, %.1f s CPU (%s); second run %.2f s, %.2f s CPU (%s); raw-SQL floor: the first run's %d visits inserted in one transaction in %.2f s",
			firstDur.Seconds(), firstCPU.Seconds(), first, secondDur.Seconds(), secondCPU.Seconds(), second, rows, floor.Seconds())})
	return nil
}

// labelled runs one of P6's runs under the profile label p6=run, so that
// a --cpuprofile of the bench tells the job's samples from the data's
// generation and the floor (go tool pprof -tagfocus p6=first).
func labelled(run string, job func() (schedule.Result, error)) (res schedule.Result, err error) {
	pprof.Do(context.Background(), pprof.Labels("p6", run), func(context.Context) { res, err = job() })
	return res, err
}

// cpuTime is the CPU time this process has used (user and system): on a
// shared machine it tells the job's own cost from waiting for a core.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// insertCustomers adds n active customers spread over the world's reps,
// with plain SQL: data to plan, not writes under test.
func insertCustomers(app core.App, w *world, n int, seed uint64) error {
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	tiers, err := org.LoadTiers(app)
	if err != nil {
		return err
	}
	col, err := app.FindCollectionByNameOrId("customers")
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 6))
	today, _ := s.ParseDay(w.Today)
	contracts := []int64{150_000_000, 40_000_000, 8_000_000, 1_000_000} // tiers A to D
	now := types.NowDateTime()
	return app.RunInTransaction(func(tx core.App) error {
		for i := range n {
			rep := w.Reps[i%len(w.Reps)]
			contract := contracts[rng.IntN(len(contracts))]
			contacts := []map[string]string{{"name": "Contact", "birthday": today.AddDate(-30-rng.IntN(30), 0, -rng.IntN(365)).Format(org.DayLayout)}}
			if rng.IntN(2) == 0 {
				contacts = append(contacts, map[string]string{"name": "Deputy", "birthday": today.AddDate(-40, 0, -rng.IntN(365)).Format(org.DayLayout)})
			}
			raw, _ := json.Marshal(contacts)
			c := core.NewRecord(col)
			c.Load(map[string]any{"id": fmt.Sprintf("p6c%012d", i), "name": fmt.Sprintf("Customer %d", i), "owner": rep.ID, "team": rep.Team,
				"status": "active", "annual_contract_amount": contract, "tier": org.TierFor(tiers, contract),
				"customer_since": today.AddDate(0, 0, -rng.IntN(3*365)).Format(org.DayLayout), "contacts": string(raw), "version": 1})
			c.Set("next_visit_due", schedule.NextVisitDue(s, tiers, c))
			c.SetRaw("created", now)
			c.SetRaw("updated", now)
			row, err := c.DBExport(tx)
			if err != nil {
				return err
			}
			if _, err := tx.DB().Insert("customers", dbx.Params(row)).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}

func countVisits(app core.App) (int, error) {
	var n int
	err := app.DB().Select("COUNT(*)").From("visits").Row(&n)
	return n, err
}

// insertFloor inserts again the visits the first run created (all but the
// first before) in one transaction of one plain SQL statement, into a copy
// of the table with the same indexes: what the job's rows cost SQLite
// alone, without the record pipeline, the rules, the audit entries or the
// change log.
func insertFloor(app core.App, before int) (time.Duration, int, error) {
	db := app.NonconcurrentDB()
	var indexes []string
	err := db.NewQuery("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visits' AND sql IS NOT NULL").Column(&indexes)
	if err != nil {
		return 0, 0, err
	}
	schema := append([]string{
		"CREATE TABLE _p6_floor AS SELECT * FROM visits WHERE 0",
		"CREATE UNIQUE INDEX _p6_floor_id ON _p6_floor (id)", // visits' primary key
	}, indexes...)
	for i, stmt := range schema {
		if i >= 2 { // the copy's own index names, on the copy
			stmt = strings.Replace(strings.Replace(stmt, "`idx_", "`_p6_floor_idx_", 1), "`visits`", "`_p6_floor`", 1)
		}
		if _, err := db.NewQuery(stmt).Execute(); err != nil {
			return 0, 0, err
		}
	}
	t := time.Now()
	var rows int64
	err = app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("INSERT INTO _p6_floor SELECT * FROM visits LIMIT -1 OFFSET {:n}").Bind(dbx.Params{"n": before}).Execute()
		if err == nil {
			rows, err = res.RowsAffected()
		}
		return err
	})
	return time.Since(t), int(rows), err
}
