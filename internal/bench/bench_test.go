package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// The bench's servers are this test binary re-executed.
func TestMain(m *testing.M) {
	RunChildIfAsked()
	os.Exit(m.Run())
}

// tiny is bounded by request counts; the durations are only a safety net,
// so that a loaded machine slows the test down instead of failing it.
var tiny = Sizes{Name: "tiny",
	Reps: 10, CustomersEach: 1, VisitsEach: 2, ExpensesEach: 10,
	Clients: 2, Batch: 2, WriteDur: 30 * time.Second, WriteMax: 20,
	ChangeLogRows: 2000, PullReps: 2, PullDur: 30 * time.Second, PullMax: 20,
	BigVisible: 100, InitialRuns: 1,
	SSEClients: 20, Commits: 2,
	ReportExpenses: 2000,
	Installs:       10,
}

// The harness runs end to end and every row has both sides measured. No
// timing is asserted: pass/fail of a target is the bench's output, not a test.
func TestQuickHarness(t *testing.T) {
	rep, err := Run(Config{Sizes: tiny, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"P1": 1, "P2": 1, "P3": 2, "P4": 1, "P5": 2, "P6": 1, "P7": 1, "P8": 1}
	got := map[string]int{}
	for _, row := range rep.Rows {
		got[row.ID]++
		if row.Ours <= 0 || row.Baseline <= 0 {
			t.Errorf("%s %s: not measured on both sides: ours %v, stock %v (%s)", row.ID, row.What, row.Ours, row.Baseline, row.Notes)
		}
		if row.Target == "" {
			t.Errorf("%s %s: no target", row.ID, row.What)
		}
	}
	for _, id := range Scenarios {
		if got[id] != want[id] {
			t.Errorf("%s: %d rows, want %d", id, got[id], want[id])
		}
	}

	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Log(table.String())
	for _, id := range Scenarios {
		if !strings.Contains(table.String(), id+" ") {
			t.Errorf("table has no %s row:\n%s", id, table.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"rows"`) {
		t.Errorf("json: %v\n%s", err, js.String())
	}
}
