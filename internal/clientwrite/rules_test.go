package clientwrite_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/clientwrite"
	"rapport/internal/testkit"
)

// The create check tells "the rule says no" from "the rule could not be
// asked": a failing query is an error (a busy database stops a sync push
// for a retry), never a refusal the phone would drop the mutation for.
func TestCreateCheckFailureIsNotADenial(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	coll, err := app.FindCachedCollectionByNameOrId("customers")
	if err != nil {
		t.Fatal(err)
	}
	check := func(auth *core.Record) error {
		data := map[string]any{"name": "Acme", "owner": o.Users["rita"].Id}
		_, _, err := clientwrite.New(app, &core.RequestInfo{Auth: auth, Method: "POST"}, coll, "c00000000000001", data)
		return err
	}
	if err := check(o.Users["rita"]); err != nil {
		t.Fatalf("rita creating a customer: %v", err)
	}
	var denied *router.ApiError
	if err := check(nil); !errors.As(err, &denied) || denied.Status != 400 || denied.Message != "Failed to create record." {
		t.Fatalf("anonymous create: %v, want a plain denial", err)
	}
	if err := app.ConcurrentDB().(*dbx.DB).Close(); err != nil {
		t.Fatal(err)
	}
	err = check(o.Users["rita"])
	if err == nil || errors.As(err, &denied) || !strings.Contains(err.Error(), "database is closed") {
		t.Fatalf("closed database: %v, want the query's error", err)
	}
}

// A rule that reads the request body sees the values as the records API
// gives them: modifiers resolved against the record, exact numbers cast.
// Any other rule finds the record in one query; both answer 404 for a
// record the caller may not change.
func TestFindUnderTheRule(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	_, x := o.Submitted(t, 1000, 50) // 5,000 minor units
	coll, err := app.FindCollectionByNameOrId("expenses")
	if err != nil {
		t.Fatal(err)
	}
	find := func(as string, data map[string]any) error {
		info := &core.RequestInfo{Auth: o.Users[as], Method: "PATCH"}
		_, err := clientwrite.Find(app, info, coll, coll.UpdateRule, x.Id, data)
		return err
	}
	if err := find("rita", nil); err != nil {
		t.Fatalf("rita finding her expense: %v", err)
	}
	if err := find("ed", nil); !isNotFound(err) {
		t.Fatalf("ed finding rita's expense: %v, want 404", err)
	}

	capped := *coll.UpdateRule + " && @request.body.amount < 5200"
	coll.UpdateRule = &capped
	for _, c := range []struct {
		data map[string]any
		ok   bool
	}{
		{map[string]any{"amount+": 100}, true},
		{map[string]any{"amount+": 300}, false},
		{map[string]any{"amount": json.Number("5199")}, true},
		{map[string]any{"amount": json.Number("5200")}, false},
	} {
		if err := find("rita", c.data); (err == nil) != c.ok || (err != nil && !isNotFound(err)) {
			t.Errorf("%v under %q: %v", c.data, capped, err)
		}
	}
}

func isNotFound(err error) bool {
	var apiErr *router.ApiError
	return errors.As(err, &apiErr) && apiErr.Status == 404
}
