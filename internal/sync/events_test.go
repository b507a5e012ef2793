package sync_test

import (
	"net/http"
	"testing"

	"rapport/internal/sync"
	"rapport/internal/testkit"
)

// The events of a client's write through the sync push, pinned: the push
// is a route of its own (no records API request event), and the expense's
// create runs the same model events as over REST (internal/clientwrite's
// TestRESTCreateEvents), once each.
func TestPushCreateEvents(t *testing.T) {
	testkit.Case{
		Name: "rita pushes a draft expense", As: "rita", Method: http.MethodPost,
		URL: "/api/sync/push",
		Body: `{"clientId": "ritaphone01", "mutations": [{"id": 1, "op": "create", "collection": "expenses", "recordId": "e00000000000001",
			"data": {"plan": "{plan}", "category": "meal", "amount": 12050, "incurred_on": "` + testkit.Day(0) + `", "description": "lunch"}}]}`,
		Setup: func(t testing.TB, o *testkit.Org) {
			sync.Register(o.App)
			o.Refs = map[string]string{"plan": o.ApprovedPlan(t, 1000).Id}
		},
		Status: http.StatusOK, Contains: []string{`"lastMutationId":1`, `"status":"applied"`, `"amount":12050`},
		Events: map[string]int{"*": 0,
			"OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
			"OnRecordCreateExecute": 1, "OnModelCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1,
			"OnRecordEnrich": 1},
	}.Run(t)
}
