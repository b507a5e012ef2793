// Package schedule is the care programme's daily job (docs/care.md): per
// active customer one upcoming cadence visit, after-purchase follow-up
// calls and care tasks before birthdays and holidays; generated tasks
// whose window ended are marked missed, those of dormant or lost customers
// cancelled. Every write goes through the record events (rules, audit,
// change log, poke) via save, as the server.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/txstate"
)

// Sources of the visits the job generates; it never touches others.
const (
	SourceCadence  = "schedule"
	SourceFollowup = "followup"
	SourceCare     = "care"
)

var generatedSources = []any{SourceCadence, SourceFollowup, SourceCare}

// batchSize is how many customers one transaction plans: reps' writes wait
// at most one batch, and a failure loses at most one batch's work.
const batchSize = 1000

// Result counts what a run changed.
type Result struct {
	Created, Moved, Missed, Cancelled int
}

func (r Result) String() string {
	return fmt.Sprintf("%d created, %d moved, %d missed, %d cancelled", r.Created, r.Moved, r.Missed, r.Cancelled)
}

// save is the one way the job writes: as the server, through the record
// events of app (a transaction of the job or of the write that caused it).
// Every business rule, audit entry and change-log row hangs on those
// events; PocketBase's field validation (and the value checks bound to it)
// is skipped: it guards what a client sends, and the job writes only values
// it built itself — statuses and kinds from its own constants, days it
// formatted, the customer it has just read in the same transaction. The
// validation was a fifth of a created visit's CPU (docs/benchmarks.md, P6).
func save(app core.App, r *core.Record) error {
	actor.AsServer(r)
	return app.SaveNoValidate(r)
}

// planner holds what one run reads once: settings and tiers.
type planner struct {
	s     *org.Settings
	tiers []org.Tier
	day   string // the org-local day the run is as of
	res   Result
}

func newPlanner(app core.App, day string) (*planner, error) {
	s, err := org.LoadSettings(app)
	if err != nil {
		return nil, err
	}
	tiers, err := org.LoadTiers(app)
	if err != nil {
		return nil, err
	}
	if day == "" {
		day = s.Today(time.Now())
	}
	if _, err := s.ParseDay(day); err != nil {
		return nil, fmt.Errorf("%q is not a day (YYYY-MM-DD)", day)
	}
	return &planner{s: s, tiers: tiers, day: day}, nil
}

// Run runs the daily job as of day (org-local YYYY-MM-DD; "" is today).
func Run(app core.App, day string) (Result, error) {
	p, err := newPlanner(app, day)
	if err != nil {
		return Result{}, err
	}
	if err := p.closeWindows(app); err != nil {
		return p.res, err
	}
	next := p.readAhead(app, "")
	for {
		b := <-next
		if b.err != nil || len(b.ids) == 0 {
			return p.res, b.err
		}
		next = p.readAhead(app, b.ids[len(b.ids)-1])
		err := app.RunInTransaction(func(tx core.App) error { return p.plan(tx, b.ids, &b) })
		if err != nil {
			<-next // its reads end before the run does
			return p.res, err
		}
	}
}

// Customer plans one customer as of today, inside the caller's write: a
// done visit moved its cadence, or it stopped being active.
func Customer(app core.App, customer string) error {
	p, err := newPlanner(app, "")
	if err != nil {
		return err
	}
	return p.plan(app, []string{customer}, &batch{})
}

// closeWindows marks missed the generated visits whose window ended before
// the run's day, and cancels those of customers no longer active.
func (p *planner) closeWindows(app core.App) error {
	var missed []string
	err := app.DB().Select("id").From("visits").
		Where(dbx.HashExp{"status": "scheduled"}).AndWhere(dbx.In("source", generatedSources...)).
		AndWhere(dbx.NewExp("window_end != '' AND window_end < {:day}", dbx.Params{"day": p.day})).
		Column(&missed)
	if err != nil {
		return err
	}
	var cancelled []string
	err = app.DB().NewQuery(`SELECT v.id FROM visits v JOIN customers c ON c.id = v.customer
		WHERE v.status = 'scheduled' AND v.source IN ('schedule', 'followup', 'care') AND c.status IN ('dormant', 'lost')`).
		Column(&cancelled)
	if err != nil {
		return err
	}
	for status, ids := range map[string][]string{"missed": missed, "cancelled": cancelled} {
		for chunk := range slices.Chunk(ids, batchSize) {
			err := app.RunInTransaction(func(tx core.App) error {
				for _, id := range chunk {
					if err := p.setStatus(tx, id, status); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// setStatus moves a generated visit that is still scheduled (a rep may
// have started it since it was listed) to status.
func (p *planner) setStatus(app core.App, id, status string) error {
	v, err := app.FindRecordById("visits", id)
	if err != nil || v.GetString("status") != "scheduled" {
		return nil // gone or taken over by its rep meanwhile
	}
	v.Set("status", status)
	if err := save(app, v); err != nil {
		return err
	}
	if status == "missed" {
		p.res.Missed++
	} else {
		p.res.Cancelled++
	}
	return nil
}

// task is a visit the job wants to exist.
type task struct {
	source, kind, occasion string
	due, start, end        string
	notes                  string
}

// plan brings the generated visits of customers ids in line with the
// rules (ahead: what was read of them before the transaction, if anything).
func (p *planner) plan(app core.App, ids []string, ahead *batch) error {
	customers, err := current(app, ids, ahead.customers)
	if err != nil {
		return err
	}
	txstate.Know(app, customers...) // each visit's owner comes from its customer
	open, err := p.openVisits(app, ids)
	if err != nil {
		return err
	}
	for _, c := range customers {
		mine := open[c.Id]
		if c.GetString("status") != "active" {
			for _, v := range mine {
				if v.Status == "scheduled" {
					if err := p.setStatus(app, v.Id, "cancelled"); err != nil {
						return err
					}
				}
			}
			continue
		}
		if err := p.cadence(app, c, mine); err != nil {
			return err
		}
		have := map[string]bool{}
		for _, v := range mine {
			have[v.Occasion] = true
		}
		occasions, known := ahead.occasions[c] // c as read ahead, still current
		if !known {
			occasions = p.occasions(c)
		}
		for _, t := range occasions {
			if have[t.occasion] {
				continue
			}
			have[t.occasion] = true
			if err := p.create(app, c, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// openVisit is what the plan compares of a generated visit; the record
// itself is read only to change it.
type openVisit struct {
	Id        string `db:"id"`
	Customer  string `db:"customer"`
	Status    string `db:"status"`
	Source    string `db:"source"`
	Occasion  string `db:"occasion"`
	DueDate   string `db:"due_date"`
	WindowEnd string `db:"window_end"`
}

// openVisits are, per customer, the generated visits the plan compares
// with: cadence visits not yet done, and tasks whose window has not ended.
// The query seeks by customer (idx_visits_customer); the rest is sorted
// out here, so that SQLite never scans the table. Only the columns the
// plan compares are read: most runs change nothing, and building whole
// records was two fifths of such a run's CPU.
func (p *planner) openVisits(app core.App, ids []string) (map[string][]openVisit, error) {
	var visits []openVisit
	err := app.DB().Select("id", "customer", "status", "source", "occasion", "due_date", "window_end").From("visits").
		Where(dbx.In("customer", anys(ids)...)).AndWhere(dbx.In("source", generatedSources...)).All(&visits)
	if err != nil {
		return nil, err
	}
	byCustomer := map[string][]openVisit{}
	for _, v := range visits {
		cadence := v.Source == SourceCadence && (v.Status == "scheduled" || v.Status == "in_progress")
		task := v.Occasion != "" && v.WindowEnd >= p.day
		if cadence || task {
			byCustomer[v.Customer] = append(byCustomer[v.Customer], v)
		}
	}
	return byCustomer, nil
}

// cadence keeps exactly one upcoming cadence visit: due on the customer's
// next_visit_due, or today when that is past or unknown.
func (p *planner) cadence(app core.App, c *core.Record, mine []openVisit) error {
	tier, ok := org.Find(p.tiers, c.GetString("tier"))
	if !ok || tier.VisitIntervalDays <= 0 {
		return nil
	}
	anchor := NextVisitDue(p.s, p.tiers, c)
	target := max(p.day, anchor)
	var current []openVisit
	for _, v := range mine {
		if v.Source == SourceCadence && v.Occasion == "" {
			if v.Status == "in_progress" {
				return nil // the rep is on it
			}
			current = append(current, v)
		}
	}
	if len(current) == 0 {
		return p.create(app, c, p.cadenceTask(tier, target))
	}
	slices.SortFunc(current, func(a, b openVisit) int { return strings.Compare(a.DueDate, b.DueDate) })
	for _, extra := range current[1:] { // two runs raced: one is enough
		if err := p.setStatus(app, extra.Id, "cancelled"); err != nil {
			return err
		}
	}
	// A done visit moved the anchor later, or a shorter interval earlier;
	// otherwise the visit stays, so that an overdue one can be missed.
	if due := current[0].DueDate; due >= anchor && due <= target {
		return nil
	}
	v, err := app.FindRecordById("visits", current[0].Id)
	if err != nil {
		return err
	}
	t := p.cadenceTask(tier, target)
	v.Set("due_date", t.due)
	v.Set("window_start", t.start)
	v.Set("window_end", t.end)
	if err := save(app, v); err != nil {
		return err
	}
	p.res.Moved++
	return nil
}

// The ids of the visits the job creates are this process's start time (in
// milliseconds) then a counter, each part in base 36 and zero-padded to 15
// characters, PocketBase's id alphabet and length: each insert lands at
// the end of the id index instead of on a random page of it, and the id
// needs no random draw (docs/benchmarks.md, P6). Two processes started in
// different milliseconds never share an id. Ids in order can be guessed: a
// client may have created a visit under the next one, and the job then
// takes a random id for that visit (idTaken); an id is never overwritten.
var (
	idPrefix = pad36(time.Now().UnixMilli(), 9)
	idCount  atomic.Int64
)

func newID() string { return idPrefix + pad36(idCount.Add(1), 6) }

func pad36(n int64, width int) string {
	s := strconv.FormatInt(n, 36)
	return strings.Repeat("0", max(0, width-len(s))) + s
}

func (p *planner) cadenceTask(tier org.Tier, due string) task {
	w := tier.VisitWindowDays
	return task{source: SourceCadence, kind: "visit", due: due,
		start: addDays(p.s, due, -w), end: addDays(p.s, due, w),
		notes: fmt.Sprintf("Tier %s visit, every %d days.", tier.Tier, tier.VisitIntervalDays)}
}

func (p *planner) create(app core.App, c *core.Record, t task) error {
	col, err := app.FindCachedCollectionByNameOrId("visits")
	if err != nil {
		return err
	}
	v := core.NewRecord(col)
	v.Id = newID()
	v.Load(map[string]any{"customer": c.Id, "kind": t.kind, "status": "scheduled", "source": t.source,
		"occasion": t.occasion, "due_date": t.due, "window_start": t.start, "window_end": t.end, "notes": t.notes})
	err = save(app, v)
	if idTaken(err) { // a client chose that id first: the job's ids can be guessed
		v.Id = core.GenerateDefaultRandomId()
		err = save(app, v)
	}
	if err != nil {
		return fmt.Errorf("customer %s: %s: %w", c.Id, t.notes, err)
	}
	p.res.Created++
	return nil
}

// idTaken tells an insert refused because a visit with its id exists
// (PocketBase reports the primary key's refusal as id not unique): SQLite
// undid that statement alone, and the transaction goes on.
func idTaken(err error) bool {
	var errs validation.Errors
	var e validation.Error
	return errors.As(err, &errs) && errors.As(errs[core.FieldNameId], &e) && e.Code() == "validation_not_unique"
}
