package sync_test

import (
	"testing"
)

// TestPushCreateNeedsItsRecordId: a create must carry the id the client
// generated (the client files the record under it); one without is
// rejected and nothing is created under an id of the server's choosing.
func TestPushCreateNeedsItsRecordId(t *testing.T) {
	e := newEnv(t)
	before, _ := e.app.CountRecords("visits")
	status, res := e.call("rita", "POST", "/api/sync/push", map[string]any{"clientId": "ritaphone01", "schemaVersion": 1,
		"mutations": []map[string]any{{"id": 1, "op": "create", "collection": "visits", "data": map[string]any{"customer": e.o.Customers["rita"].Id}}}})
	results, _ := res["results"].([]any)
	if status != 200 || len(results) != 1 {
		t.Fatalf("push: %d %v", status, res)
	}
	r := results[0].(map[string]any)
	apiErr, _ := r["error"].(map[string]any)
	data, _ := apiErr["data"].(map[string]any)
	field, _ := data["recordId"].(map[string]any)
	if r["status"] != "rejected" || field["code"] != "validation_required" {
		t.Errorf("a create without recordId: %v, want rejected with data.recordId.code validation_required", r)
	}
	if after, _ := e.app.CountRecords("visits"); after != before {
		t.Errorf("%d visits after the rejected create, want %d", after, before)
	}
}
