package clientwrite_test

import (
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
