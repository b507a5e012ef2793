package report_test

import (
	"testing"

	"rapport/internal/report"
)

type sumRow struct {
	Month     string `db:"month"`
	Customer  string `db:"customer"`
	Rep       string `db:"rep"`
	Team      string `db:"team"`
	Committed int64  `db:"committed"`
	Approved  int64  `db:"approved"`
	Paid      int64  `db:"paid"`
	Expenses  int64  `db:"expenses"`
}

// TestSpendSumsEqualRecomputation: after expenses were created, submitted,
// approved, paid, rejected and deleted through the rules, the sums kept
// write by write equal the sums recomputed from the expenses.
func TestSpendSumsEqualRecomputation(t *testing.T) {
	w := newWorld(t)
	// a submitted expense withdrawn and a draft deleted, by their rep
	repName := func(id string) string {
		for name, u := range w.Users {
			if u.Id == id {
				return name
			}
		}
		t.Fatalf("no user %s", id)
		return ""
	}
	x, err := w.App.FindFirstRecordByData("expenses", "status", "submitted")
	if err != nil {
		t.Fatal(err)
	}
	if res := w.client.Do(repName(x.GetString("rep")), "PATCH", "/api/collections/expenses/records/"+x.Id, map[string]any{"status": "draft"}); res.Status != 200 {
		t.Fatalf("withdraw: %d %s", res.Status, res.Body)
	}
	if res := w.client.Do(repName(x.GetString("rep")), "DELETE", "/api/collections/expenses/records/"+x.Id, nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	read := func() map[sumRow]bool {
		var rows []sumRow
		err := w.App.DB().NewQuery("SELECT * FROM report_spend_sums WHERE committed != 0 OR approved != 0 OR paid != 0 OR expenses != 0").All(&rows)
		if err != nil {
			t.Fatal(err)
		}
		m := map[sumRow]bool{}
		for _, r := range rows {
			m[r] = true
		}
		return m
	}
	kept := read()
	if len(kept) == 0 {
		t.Fatal("no sums kept")
	}
	if err := report.RebuildSums(w.App); err != nil {
		t.Fatal(err)
	}
	again := read()
	for r := range kept {
		if !again[r] {
			t.Errorf("kept %+v, not in the recomputation", r)
		}
	}
	for r := range again {
		if !kept[r] {
			t.Errorf("recomputed %+v, not kept", r)
		}
	}
}
