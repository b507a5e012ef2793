package clientwrite_test

import (
	"net/http"
	"testing"

	"rapport/internal/testkit"
)

// approvedPlan seeds an approved plan of rita's customer, {plan}.
func approvedPlan(t testing.TB, o *testkit.Org) {
	o.Refs = map[string]string{"plan": o.ApprovedPlan(t, 1000).Id}
}

// The events of a client's write through the records API, pinned: one
// request event enters it, then the expense's create runs each model event
// once; nothing else is saved as a record of its own.
func TestRESTCreateEvents(t *testing.T) {
	testkit.Case{
		Name: "rita creates a draft expense", As: "rita", Method: http.MethodPost,
		URL:    "/api/collections/expenses/records",
		Body:   `{"plan": "{plan}", "category": "meal", "amount": 12050, "incurred_on": "` + testkit.Day(0) + `", "description": "lunch"}`,
		Setup:  approvedPlan,
		Status: http.StatusOK, Contains: []string{`"amount":12050`, `"status":"draft"`},
		Events: map[string]int{"*": 0, "OnRecordCreateRequest": 1,
			"OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
			"OnRecordCreateExecute": 1, "OnModelCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1,
			"OnRecordEnrich": 1},
	}.Run(t)
}

// Submitting an expense over REST is one update request: one update
// pipeline for the expense; the plan's committed sum is a narrow statement
// that still fires the plan's after-update event once committed.
func TestRESTSubmitEvents(t *testing.T) {
	testkit.Case{
		Name: "rita submits her expense", As: "rita", Method: http.MethodPatch,
		URL:  "/api/collections/expenses/records/{expense}",
		Body: `{"status": "submitted"}`,
		Setup: func(t testing.TB, o *testkit.Org) {
			approvedPlan(t, o)
			x := testkit.MustCreate(t, o.App, o.Users["rita"], "expenses", map[string]any{"plan": o.Refs["plan"], "category": "meal",
				"amount": 12050, "incurred_on": testkit.Day(0), "description": "lunch"})
			o.Refs["expense"] = x.Id
		},
		Status: http.StatusOK, Contains: []string{`"status":"submitted"`},
		// the plan's sums are one narrow statement, not a second save: one
		// update pipeline, yet two after-update events (realtime sees both)
		Events: map[string]int{"*": 0, "OnRecordUpdateRequest": 1,
			"OnRecordUpdate": 1, "OnModelUpdate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
			"OnRecordUpdateExecute": 1, "OnModelUpdateExecute": 1, "OnRecordAfterUpdateSuccess": 2, "OnModelAfterUpdateSuccess": 2,
			"OnRecordEnrich": 1},
		Check: func(t testing.TB, o *testkit.Org) {
			if p, _ := o.App.FindRecordById("plans", o.Refs["plan"]); p.GetInt("committed") != 12050 {
				t.Errorf("the plan's committed sum is %d, want 12050", p.GetInt("committed"))
			}
		},
	}.Run(t)
}
