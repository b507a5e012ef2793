// Package bench is `rapport bench`: it measures the performance targets of
// shared/spec/quality.md (P1–P8) against stock PocketBase doing the same kind
// of work in the same run, on servers it starts itself on loopback ports and
// temporary data directories, and prints one table.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Sizes bound every scenario: data volumes, concurrency, request counts and
// durations.
type Sizes struct {
	Name string `json:"name"`

	Reps          int `json:"reps"`          // reps in the org (10 per team, 100 per region)
	CustomersEach int `json:"customersEach"` // customers (one approved plan each) per rep
	VisitsEach    int `json:"visitsEach"`
	ExpensesEach  int `json:"expensesEach"` // draft expenses per rep

	Clients  int           `json:"clients"`  // concurrent clients / connections (P1, P2)
	Batch    int           `json:"batch"`    // expenses per push (two mutations each)
	WriteDur time.Duration `json:"writeDur"` // per write measurement (P1, P2 and baseline)
	WriteMax int           `json:"writeMax"` // max requests per write measurement

	ChangeLogRows int           `json:"changeLogRows"` // change-log rows before P3
	PullReps      int           `json:"pullReps"`      // reps sampled for incremental pulls
	PullDur       time.Duration `json:"pullDur"`       // per pull measurement
	PullMax       int           `json:"pullMax"`

	BigVisible  int `json:"bigVisible"`  // records the initial-sync rep sees (P4)
	InitialRuns int `json:"initialRuns"` // initial syncs measured

	SSEClients int `json:"sseClients"` // realtime subscribers (P5)
	Commits    int `json:"commits"`    // commits whose pokes are timed

	ReportExpenses int `json:"reportExpenses"` // expenses under the spend report (P7)

	Installs int `json:"installs"` // app installs in the end-of-day sync storm (P8)
}

// Full are the sizes of quality.md.
var Full = Sizes{Name: "full",
	Reps: 1000, CustomersEach: 2, VisitsEach: 6, ExpensesEach: 20,
	Clients: 16, Batch: 10, WriteDur: 15 * time.Second, WriteMax: 200_000,
	ChangeLogRows: 1_000_000, PullReps: 50, PullDur: 10 * time.Second, PullMax: 20_000,
	BigVisible: 5000, InitialRuns: 5,
	SSEClients: 5000, Commits: 40,
	ReportExpenses: 1_000_000,
	Installs:       1000,
}

// Quick fits a run in about a minute.
var Quick = Sizes{Name: "quick",
	Reps: 100, CustomersEach: 2, VisitsEach: 4, ExpensesEach: 10,
	Clients: 16, Batch: 10, WriteDur: 3 * time.Second, WriteMax: 50_000,
	ChangeLogRows: 100_000, PullReps: 20, PullDur: 2 * time.Second, PullMax: 5_000,
	BigVisible: 5000, InitialRuns: 2,
	SSEClients: 500, Commits: 10,
	ReportExpenses: 1_000_000, // P7's point is a million
	Installs:       100,
}

// Scenarios lists every scenario id in table order.
var Scenarios = []string{"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"}

// Config is one bench run.
type Config struct {
	Only       []string // scenario ids; empty = all
	Sizes      Sizes
	CPUProfile string // parent profile; servers write <name>.<scenario>-<server>.prof beside it
	Seed       uint64
	Log        io.Writer // progress
}

// Row is one line of the table. Ratio is always "how many times better
// than stock" (higher is better) whatever the unit.
type Row struct {
	ID       string  `json:"id"`
	What     string  `json:"what"`
	Ours     float64 `json:"ours"`
	Baseline float64 `json:"baseline"`
	Unit     string  `json:"unit"`
	Ratio    float64 `json:"ratio"`
	Target   string  `json:"target"`
	Pass     bool    `json:"pass"`
	Notes    string  `json:"notes,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Sizes    Sizes             `json:"sizes"`
	Machine  map[string]string `json:"machine"`
	Rows     []Row             `json:"rows"`
	Notes    []string          `json:"notes,omitempty"` // about the generated data
	Profiles []string          `json:"profiles,omitempty"`
	Elapsed  string            `json:"elapsed"`
}

// Run generates the data, runs the chosen scenarios and returns the table.
// A missed target is a result, not an error.
func Run(cfg Config) (*Report, error) {
	start := time.Now()
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	only := func(id string) bool { return len(cfg.Only) == 0 || slices.Contains(cfg.Only, id) }
	for _, id := range cfg.Only {
		if !slices.Contains(Scenarios, id) {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", id, strings.Join(Scenarios, ","))
		}
	}
	raiseFileLimit()
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}

	root, err := os.MkdirTemp("", "rapport-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)

	r := &run{cfg: cfg, root: root, report: &Report{Sizes: cfg.Sizes, Machine: machine()}}
	if cfg.CPUProfile != "" {
		r.report.Profiles = append(r.report.Profiles, cfg.CPUProfile)
	}
	if err := r.prepare(only("P3")); err != nil {
		return nil, err
	}
	r.report.Notes = r.world.Notes
	for _, s := range []struct {
		id  string
		run func() error
	}{{"P4", r.initialSync}, {"P3", r.incrementalPull}, {"P1", r.push}, {"P2", r.restCreate}, {"P5", r.poke}, {"P6", r.scheduleJob}, {"P7", r.reportSpend}, {"P8", r.syncStorm}} {
		if !only(s.id) {
			continue
		}
		fmt.Fprintf(cfg.Log, "%s\n", s.id)
		t := time.Now()
		if err := s.run(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.id, err)
		}
		fmt.Fprintf(cfg.Log, "%s done in %.1fs\n", s.id, time.Since(t).Seconds())
	}
	slices.SortStableFunc(r.report.Rows, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })
	r.report.Elapsed = time.Since(start).Round(time.Second).String()
	return r.report, nil
}

func machine() map[string]string {
	m := map[string]string{"cpus": fmt.Sprint(runtime.NumCPU()), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(data), "\n"); ok {
			m["memory"] = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// profile is where the server of a scenario writes its CPU profile ("" = none).
func (r *run) profile(scenario, server string) string {
	if r.cfg.CPUProfile == "" {
		return ""
	}
	ext := filepath.Ext(r.cfg.CPUProfile)
	p := strings.TrimSuffix(r.cfg.CPUProfile, ext) + "." + scenario + "-" + server + ext
	r.report.Profiles = append(r.report.Profiles, p)
	return p
}

// WriteTable prints the report for people.
func (rep *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "Rapport bench (%s sizes, %s; %s CPUs, %s, %s)\n\n", rep.Sizes.Name, rep.Elapsed, rep.Machine["cpus"], rep.Machine["memory"], rep.Machine["go"])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tRapport\tstock PocketBase\tratio\ttarget\tresult\tnotes")
	for _, row := range rep.Rows {
		result := "FAIL"
		if row.Pass {
			result = "pass"
		}
		fmt.Fprintf(tw, "%s %s\t%s %s\t%s %s\t%.2f×\t%s\t%s\t%s\n", row.ID, row.What,
			num(row.Ours), row.Unit, num(row.Baseline), row.Unit, row.Ratio, row.Target, result, row.Notes)
	}
	tw.Flush()
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, p := range rep.Profiles {
		fmt.Fprintf(w, "cpu profile: %s\n", p)
	}
}

// WriteJSON prints the report for machines.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
