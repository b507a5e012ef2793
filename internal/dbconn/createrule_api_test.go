package dbconn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/testkit"
)

// A create rule that reads the new record's fields decides through the REST
// API exactly as written, request after request, now that its check stays
// prepared (the check's columns come in a new order each time).
func TestCreateRulesOnRecordFieldsThroughREST(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	tips := core.NewBaseCollection("tips")
	tips.Fields.Add(&core.NumberField{Name: "amount"}, &core.TextField{Name: "owner"}, &core.TextField{Name: "note"},
		&core.TextField{Name: "place"}, &core.BoolField{Name: "paid"})
	tips.CreateRule = types.Pointer(`amount < 100 && owner = @request.auth.id && note != "blocked" && paid = false`)
	if err := app.Save(tips); err != nil {
		t.Fatal(err)
	}
	c := testkit.NewClient(t, o)
	rita := o.Users["rita"].Id
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 60 {
		data := map[string]any{"amount": rng.IntN(200), "owner": []string{rita, o.Users["rob"].Id}[rng.IntN(2)],
			"note": []string{"ok", "blocked"}[rng.IntN(2)], "place": "cafe", "paid": rng.IntN(4) == 0}
		allowed := data["amount"].(int) < 100 && data["owner"] == rita && data["note"] != "blocked" && data["paid"] == false
		res := c.Do("rita", "POST", "/api/collections/tips/records", data)
		if (res.Status == 200) != allowed {
			t.Fatalf("create %d of %v: status %d, want allowed=%v: %s", i, data, res.Status, allowed, res.Body)
		}
	}
}
