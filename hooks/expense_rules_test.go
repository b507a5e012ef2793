package hooks_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/testkit"
)

const (
	expenseURL  = "/api/collections/expenses/records/{x}"
	planURL     = "/api/collections/plans/records/{p}"
	approvalURL = "/api/collections/approvals/records"
	submit      = `{"status":"submitted"}`
)

// draftFor seeds an approved plan of budgetYuan and a draft expense of
// amountYuan on it ({p} and {x}).
func draftFor(budgetYuan, amountYuan int64, expense ...map[string]any) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		plan := ref(o, "p", mkPlan(t, o, "rita", "approved", budgetYuan))
		ref(o, "x", mkExpense(t, o, plan, amountYuan, expense...))
	}
}

// then runs setups in order.
func then(setups ...func(t testing.TB, o *testkit.Org)) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		for _, s := range setups {
			s(t, o)
		}
	}
}

// expect checks fields of the expense {x} after the call.
func expect(check func(t testing.TB, x *core.Record)) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		check(t, reload(t, o.App, "expenses", o.Refs["x"]))
	}
}

func hasFlags(want ...string) func(t testing.TB, o *testkit.Org) {
	return expect(func(t testing.TB, x *core.Record) {
		flags := x.GetStringSlice("flags")
		for _, f := range want {
			if !slices.Contains(flags, f) {
				t.Errorf("flags %v, want %s", flags, f)
			}
		}
	})
}

// existing seeds another expense of rita's on plan {p}, imported in status.
func existing(status string, amountYuan int64, extra ...map[string]any) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		data := map[string]any{"status": status}
		for _, e := range extra {
			for k, v := range e {
				data[k] = v
			}
		}
		mkExpense(t, o, reload(t, o.App, "plans", o.Refs["p"]), amountYuan, data)
	}
}

func TestExpenseRules(t *testing.T) {
	withReceipt := func(content string) func(t testing.TB, o *testkit.Org) {
		return func(t testing.TB, o *testkit.Org) {
			x := reload(t, o.App, "expenses", o.Refs["x"])
			x.Set("receipt", receipt(t, content))
			if err := testkit.Save(o.App, nil, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	org := func(values map[string]any) func(t testing.TB, o *testkit.Org) {
		return func(t testing.TB, o *testkit.Org) { o.SetOrg(t, values) }
	}
	budget := func(scope, mode string, amountYuan int64) func(t testing.TB, o *testkit.Org) {
		return func(t testing.TB, o *testkit.Org) {
			o.Budget(t, scope, mode, amountYuan, map[string]any{"team": o.Teams["sales"].Id, "rep": o.Users["rita"].Id})
		}
	}
	visited := func(t testing.TB, o *testkit.Org) { visitDone(t, o, "rita", testkit.Day(0)) }
	sum := sha256.Sum256([]byte("%PDF-1.4\nreceipt R1"))

	for _, c := range []testkit.Case{
		{Name: "submit routes to the first approver", Setup: draftFor(1000, 100), Status: 200,
			Contains: []string{`"status":"submitted"`, `"approval_level":1`, `"no_visit_same_day"`},
			Check: expect(func(t testing.TB, x *core.Record) {
				if x.GetString("approver") == "" || x.GetDateTime("submitted_at").IsZero() {
					t.Errorf("approver %q submitted_at %v", x.GetString("approver"), x.GetDateTime("submitted_at"))
				}
			})},
		{Name: "plan_not_approved", Setup: func(t testing.TB, o *testkit.Org) {
			ref(o, "x", mkExpense(t, o, mkPlan(t, o, "rita", "draft", 1000), 100))
		}, Status: 400, Contains: []string{`"plan":{"code":"plan_not_approved"`, "is draft"}},
		{Name: "outside_plan_period", Setup: func(t testing.TB, o *testkit.Org) {
			plan := mkPlan(t, o, "rita", "approved", 1000, map[string]any{"period_start": testkit.Day(-10)})
			ref(o, "x", mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(-20)}))
		}, Status: 400, Contains: []string{`"incurred_on":{"code":"outside_plan_period"`, testkit.Day(-10)}},
		{Name: "expense_too_old", Setup: func(t testing.TB, o *testkit.Org) {
			plan := mkPlan(t, o, "rita", "approved", 1000, map[string]any{"period_start": testkit.Day(-100)})
			ref(o, "x", mkExpense(t, o, plan, 100, map[string]any{"incurred_on": testkit.Day(-70)}))
		}, Status: 400, Contains: []string{`"incurred_on":{"code":"expense_too_old"`, "70 days old", "within 60 days"}},
		{Name: "expense_in_future", Setup: draftFor(1000, 100, map[string]any{"incurred_on": testkit.Day(2)}),
			Status: 400, Contains: []string{`"incurred_on":{"code":"expense_in_future"`, testkit.Day(0), "at most 14 hours ahead"}},
		{Name: "today is not in the future", Setup: draftFor(1000, 100, map[string]any{"incurred_on": testkit.Day(0)}),
			Status: 200},
		{Name: "currency_mismatch after the org currency changed", Setup: then(draftFor(1000, 100), func(t testing.TB, o *testkit.Org) {
			o.SetOrg(t, map[string]any{"currency": "USD"})
		}), Status: 400, Contains: []string{`"currency":{"code":"currency_mismatch"`, "recorded in USD; this one is in CNY"}},
		{Name: "receipt_required", Setup: draftFor(1000, 300),
			Status: 400, Contains: []string{`"receipt":{"code":"receipt_required"`, "200.00 CNY", "300.00 CNY"}},
		{Name: "receipt hash is computed from the upload", Setup: then(draftFor(1000, 300), withReceipt("receipt R1")),
			Status: 200, Check: expect(func(t testing.TB, x *core.Record) {
				if x.GetString("receipt_sha256") != hex.EncodeToString(sum[:]) {
					t.Errorf("receipt_sha256 %q", x.GetString("receipt_sha256"))
				}
			})},
		{Name: "duplicate_receipt", Setup: then(draftFor(1000, 100), withReceipt("receipt R1"), func(t testing.TB, o *testkit.Org) {
			existing("approved", 50, map[string]any{"receipt": receipt(t, "receipt R1"), "description": "taxi"})(t, o)
		}), Status: 400, Contains: []string{`"receipt":{"code":"duplicate_receipt"`, "You already claimed", testkit.Day(0)}},
		{Name: "duplicate_receipt of another rep names nothing of theirs", Setup: then(draftFor(1000, 100), withReceipt("receipt R1"), func(t testing.TB, o *testkit.Org) {
			mkExpense(t, o, mkPlan(t, o, "rob", "approved", 1000), 50, map[string]any{"status": "approved", "receipt": receipt(t, "receipt R1")})
		}), Status: 400, Contains: []string{`"receipt":{"code":"duplicate_receipt"`, "another rep's expense"}, NotContains: []string{"dated"}},
		{Name: "the same receipt on another draft is no duplicate", Setup: then(draftFor(1000, 100), withReceipt("receipt R1"), func(t testing.TB, o *testkit.Org) {
			existing("draft", 50, map[string]any{"receipt": receipt(t, "receipt R1")})(t, o)
		}), Status: 200},
		{Name: "category_limit_exceeded", Setup: then(draftFor(5000, 1200, map[string]any{"category": "meal"}), withReceipt("r")),
			Status: 400, Contains: []string{`"amount":{"code":"category_limit_exceeded"`, "tier B", "1,000.00 CNY", "1,200.00 CNY"}},
		{Name: "tier_cap_exceeded", Setup: then(draftFor(20000, 600), withReceipt("r"), existing("approved", 7500)),
			Status: 400, Contains: []string{`"amount":{"code":"tier_cap_exceeded"`, "8,000.00 CNY", "7,500.00 CNY", "500.00 CNY left"}},
		{Name: "plan_budget_exceeded", Setup: then(draftFor(500, 150), existing("approved", 400)),
			Status: 400, Contains: []string{`"amount":{"code":"plan_budget_exceeded"`, "100.00 CNY left", "500.00 CNY"}},
		{Name: "plan over budget in warn mode flags", Setup: then(draftFor(500, 150), existing("approved", 400), org(map[string]any{"plan_on_exceed": "warn"})),
			Status: 200, Check: hasFlags("plan_over_budget")},
		{Name: "plan over budget in escalate mode adds the finance level", Setup: then(draftFor(500, 150), existing("approved", 400), org(map[string]any{"plan_on_exceed": "escalate"})),
			Status: 200, Contains: []string{`"finance_review":true`}, Check: hasFlags("plan_over_budget", "budget_escalated")},
		{Name: "budget_exceeded", Setup: then(draftFor(5000, 150), existing("approved", 900), budget("org", "stop", 1000)),
			Status: 400, Contains: []string{`"amount":{"code":"budget_exceeded"`, "100.00 CNY left of 1,000.00 CNY"}},
		{Name: "team budget above the rep's team applies", Setup: then(draftFor(5000, 150), existing("paid", 900), budget("team", "stop", 1000)),
			Status: 400, Contains: []string{`"amount":{"code":"budget_exceeded"`}},
		{Name: "another category's budget does not apply", Setup: then(draftFor(5000, 150), existing("approved", 900), func(t testing.TB, o *testkit.Org) {
			o.Budget(t, "org", "stop", 1000, map[string]any{"category": "gift"})
		}), Status: 200},
		{Name: "budget over in warn mode flags", Setup: then(draftFor(5000, 150), existing("approved", 900), budget("team", "warn", 1000)),
			Status: 200, Check: hasFlags("budget_warn")},
		{Name: "crossing warn_at_percent flags", Setup: then(draftFor(5000, 150), existing("approved", 700), budget("rep", "stop", 1000)),
			Status: 200, Check: hasFlags("budget_warn")},
		{Name: "budget over in escalate mode", Setup: then(draftFor(5000, 150), existing("approved", 900), budget("rep", "escalate", 1000)),
			Status: 200, Contains: []string{`"finance_review":true`}, Check: hasFlags("budget_escalated")},
		{Name: "possible_duplicate", Setup: then(draftFor(5000, 100), existing("submitted", 100)),
			Status: 200, Check: hasFlags("possible_duplicate")},
		{Name: "late_submission", Setup: draftFor(5000, 100, map[string]any{"incurred_on": testkit.Day(-8)}),
			Status: 200, Check: hasFlags("late_submission", "no_visit_same_day")},
		{Name: "a done visit that day clears no_visit_same_day", Setup: then(draftFor(5000, 100), visited),
			Status: 200, NotContains: []string{"no_visit_same_day"}, Contains: []string{`"flags":[]`}},
		{Name: "auto approval under the threshold without flags", Setup: then(draftFor(5000, 100), visited, org(map[string]any{"auto_approve_under": 20000})),
			Status: 200, Contains: []string{`"status":"approved"`, `"approver":""`}, Check: func(t testing.TB, o *testkit.Org) {
				ap, err := o.App.FindFirstRecordByData("approvals", "expense", o.Refs["x"])
				if err != nil || ap.GetString("note") != "auto" || ap.GetString("approver") != "" || !ap.GetBool("final") {
					t.Fatalf("auto approval %v %v", ap, err)
				}
				if p := reload(t, o.App, "plans", o.Refs["p"]); p.GetInt("spent") != 10000 {
					t.Errorf("plan spent %d", p.GetInt("spent"))
				}
			}},
		{Name: "no auto approval with flags", Setup: then(draftFor(5000, 100), org(map[string]any{"auto_approve_under": 20000})),
			Status: 200, Contains: []string{`"status":"submitted"`, "no_visit_same_day"}},
	} {
		c.As, c.Method, c.URL, c.Body = "rita", "PATCH", expenseURL, submit
		c.Run(t)
	}
}

// expenseIn seeds an approved plan {p} and an expense {x} of 100 yuan in
// status (submitted goes through the submit rules as the server).
func expenseIn(status string) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		plan := ref(o, "p", mkPlan(t, o, "rita", "approved", 1000))
		ref(o, "x", mkExpense(t, o, plan, 100, map[string]any{"status": status}))
	}
}

// planIn seeds a plan {p} of rita's in status.
func planIn(status string) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) { ref(o, "p", mkPlan(t, o, "rita", status, 1000)) }
}

func status(collection, key, want string) func(t testing.TB, o *testkit.Org) {
	return func(t testing.TB, o *testkit.Org) {
		if got := reload(t, o.App, collection, o.Refs[key]).GetString("status"); got != want {
			t.Errorf("%s status %q, want %q", collection, got, want)
		}
	}
}

func TestTransitions(t *testing.T) {
	patch := func(status string) string { return `{"status":"` + status + `"}` }
	for _, c := range []testkit.Case{
		// expenses
		{Name: "rep withdraws", As: "rita", Method: "PATCH", URL: expenseURL, Body: patch("draft"), Setup: expenseIn("submitted"),
			Status: 200, Contains: []string{`"status":"draft"`, `"approver":""`}},
		{Name: "rep reopens a rejected expense", As: "rita", Method: "PATCH", URL: expenseURL, Body: patch("draft"), Setup: expenseIn("rejected"),
			Status: 200, Contains: []string{`"status":"draft"`}},
		{Name: "finance pays", As: "fay", Method: "PATCH", URL: expenseURL, Body: patch("paid"), Setup: expenseIn("approved"),
			Status: 200, Contains: []string{`"status":"paid"`, `"paid_at":"2`}},
		{Name: "rep cannot pay", As: "rita", Method: "PATCH", URL: expenseURL, Body: patch("paid"), Setup: expenseIn("approved"),
			Status: 400, Contains: []string{`"status":{"code":"invalid_transition"`, "only finance"}},
		{Name: "status cleared", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"status":null}`, Setup: expenseIn("approved"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`, "from approved to no status"}},
		{Name: "admin cannot pay", As: "ada", Method: "PATCH", URL: expenseURL, Body: patch("paid"), Setup: expenseIn("approved"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "finance cannot pay a submitted expense", As: "fay", Method: "PATCH", URL: expenseURL, Body: patch("paid"), Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "approver cannot PATCH approved", As: "mia", Method: "PATCH", URL: expenseURL, Body: patch("approved"), Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`, "creating an approval"}},
		{Name: "superuser cannot PATCH approved", As: "superuser", Method: "PATCH", URL: expenseURL, Body: patch("approved"), Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "manager cannot submit for the rep", As: "mia", Method: "PATCH", URL: expenseURL, Body: submit, Setup: draftFor(1000, 100),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "superuser submits on the rep's behalf", As: "superuser", Method: "PATCH", URL: expenseURL, Body: submit, Setup: draftFor(1000, 100),
			Status: 200, Contains: []string{`"status":"submitted"`}},
		{Name: "rejected cannot be submitted directly", As: "rita", Method: "PATCH", URL: expenseURL, Body: submit, Setup: expenseIn("rejected"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "paid cannot go back", As: "fay", Method: "PATCH", URL: expenseURL, Body: patch("approved"), Setup: expenseIn("paid"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "clients create drafts, not approved expenses", As: "rita", Method: "POST", URL: "/api/collections/expenses/records",
			Body: `{"plan":"{p}","category":"other","amount":100,"incurred_on":"` + testkit.Day(0) + `","status":"approved"}`, Setup: planIn("approved"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "create and submit in one write", As: "rita", Method: "POST", URL: "/api/collections/expenses/records",
			Body: `{"plan":"{p}","category":"other","amount":100,"incurred_on":"` + testkit.Day(0) + `","status":"submitted"}`, Setup: planIn("approved"),
			Status: 200, Contains: []string{`"status":"submitted"`, `"approval_level":1`}},
		{Name: "submitted content is locked", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"amount":5000}`, Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"amount":{"code":"locked"`, "Withdraw it"}},
		{Name: "approved content is locked for superusers too", As: "superuser", Method: "PATCH", URL: expenseURL, Body: `{"description":"x"}`, Setup: expenseIn("approved"),
			Status: 400, Contains: []string{`"description":{"code":"locked"`}},
		{Name: "draft content is editable", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"amount":5000}`, Setup: draftFor(1000, 100),
			Status: 200, Contains: []string{`"amount":5000`}},
		{Name: "flags are read only", As: "rita", Method: "PATCH", URL: expenseURL, Body: `{"flags":["x"]}`, Setup: draftFor(1000, 100),
			Status: 400, Contains: []string{`"flags":{"code":"read_only"`}},
		{Name: "submitted cannot be deleted", As: "rita", Method: "DELETE", URL: expenseURL, Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"status":{"code":"locked"`}},
		{Name: "superuser cannot delete a paid expense", As: "superuser", Method: "DELETE", URL: expenseURL, Setup: expenseIn("paid"),
			Status: 400, Contains: []string{`"code":"locked"`}},
		{Name: "draft can be deleted", As: "rita", Method: "DELETE", URL: expenseURL, Setup: draftFor(1000, 100), Status: 204},

		// plans
		{Name: "plan submit", As: "rita", Method: "PATCH", URL: planURL, Body: submit, Setup: planIn("draft"),
			Status: 200, Contains: []string{`"status":"submitted"`, `"approval_level":1`}},
		{Name: "plan submit by the manager", As: "mia", Method: "PATCH", URL: planURL, Body: submit, Setup: planIn("draft"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "plan approve by PATCH", As: "mia", Method: "PATCH", URL: planURL, Body: patch("approved"), Setup: planIn("submitted"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "plan reopen", As: "rita", Method: "PATCH", URL: planURL, Body: patch("draft"), Setup: planIn("rejected"),
			Status: 200, Contains: []string{`"status":"draft"`}},
		{Name: "plan withdraw is not in the graph", As: "rita", Method: "PATCH", URL: planURL, Body: patch("draft"), Setup: planIn("submitted"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "plan close by owner", As: "rita", Method: "PATCH", URL: planURL, Body: patch("closed"), Setup: planIn("approved"),
			Status: 200, Check: status("plans", "p", "closed")},
		{Name: "plan close by manager", As: "mia", Method: "PATCH", URL: planURL, Body: patch("closed"), Setup: planIn("approved"),
			Status: 200, Check: status("plans", "p", "closed")},
		{Name: "plan close by director above", As: "dana", Method: "PATCH", URL: planURL, Body: patch("closed"), Setup: planIn("approved"),
			Status: 200, Check: status("plans", "p", "closed")},
		{Name: "plan close by finance", As: "fay", Method: "PATCH", URL: planURL, Body: patch("closed"), Setup: planIn("approved"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "draft plan cannot close", As: "rita", Method: "PATCH", URL: planURL, Body: patch("closed"), Setup: planIn("draft"),
			Status: 400, Contains: []string{`"code":"invalid_transition"`}},
		{Name: "approved plan content is locked", As: "rita", Method: "PATCH", URL: planURL, Body: `{"title":"Other"}`, Setup: planIn("approved"),
			Status: 400, Contains: []string{`"title":{"code":"locked"`, `Plan \"Care for rita\" is approved`}, NotContains: []string{`Plan \"Other\"`}},
		{Name: "approved plan budget change goes back for approval", As: "rita", Method: "PATCH", URL: planURL, Body: `{"budget":200000}`, Setup: planIn("approved"),
			Status: 200, Contains: []string{`"status":"submitted"`, `"approved_budget":100000`, `"budget":200000`, `"approval_level":1`}},
		{Name: "plan budget cut below committed", As: "rita", Method: "PATCH", URL: planURL, Body: `{"budget":5000}`, Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"budget":{"code":"budget_below_committed"`, `Plan \"Care for rita\" already has 100.00 CNY committed`, "50.00 CNY asked"}},
		{Name: "plan budget cut to its committed", As: "rita", Method: "PATCH", URL: planURL, Body: `{"budget":10000}`, Setup: expenseIn("submitted"),
			Status: 200, Contains: []string{`"status":"submitted"`, `"budget":10000`}},
		{Name: "approving a plan budget below what was committed meanwhile", As: "mia", Method: "POST", URL: approvalURL, Body: `{"plan":"{p}","decision":"approve"}`,
			Setup: then(expenseIn("submitted"), func(t testing.TB, o *testkit.Org) {
				p := reload(t, o.App, "plans", o.Refs["p"])
				p.Set("budget", testkit.Yuan(150))
				if err := testkit.Save(o.App, o.Users["rita"], p); err != nil {
					t.Fatal(err)
				}
				mkExpense(t, o, p, 100, map[string]any{"status": "submitted"}) // the old budget is in force
			}),
			Status: 400, Contains: []string{`"budget":{"code":"budget_below_committed"`, "200.00 CNY committed", "150.00 CNY asked", "Reject this budget change"},
			Check: status("plans", "p", "submitted")},
		{Name: "budget and title together stay locked", As: "rita", Method: "PATCH", URL: planURL, Body: `{"budget":200000,"title":"x"}`, Setup: planIn("approved"),
			Status: 400, Contains: []string{`"title":{"code":"locked"`}},
		{Name: "plan period must not end before it starts", As: "rita", Method: "PATCH", URL: planURL, Body: `{"period_end":"2020-01-01"}`, Setup: planIn("draft"),
			Status: 400, Contains: []string{`"period_end":{"code":"invalid_period"`}},
		{Name: "approved plan cannot be deleted", As: "rita", Method: "DELETE", URL: planURL, Setup: planIn("approved"),
			Status: 400, Contains: []string{`"code":"locked"`}},

		// approvals
		{Name: "self_approval", As: "rita", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"approve"}`, Setup: expenseIn("submitted"),
			Status: 403, Contains: []string{`"expense":{"code":"self_approval"`}},
		{Name: "not_approver: finance before the chain ran out", As: "fay", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"approve","acknowledge_flags":true}`, Setup: expenseIn("submitted"),
			Status: 403, Contains: []string{`"expense":{"code":"not_approver"`, "waiting for mia"}},
		{Name: "outside your scope is 404", As: "eve", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"approve"}`, Setup: expenseIn("submitted"),
			Status: 404},
		{Name: "confirmation_required", As: "mia", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"approve"}`, Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"acknowledge_flags":{"code":"confirmation_required"`, "no_visit_same_day"}},
		{Name: "acknowledged approval", As: "mia", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"approve","acknowledge_flags":true}`, Setup: expenseIn("submitted"),
			Status: 200, Contains: []string{`"final":true`, `"level":1`}, Check: status("expenses", "x", "approved")},
		{Name: "reject ends it", As: "mia", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"reject","note":"no receipt"}`, Setup: expenseIn("submitted"),
			Status: 200, Check: status("expenses", "x", "rejected")},
		{Name: "deciding twice", As: "mia", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"reject"}`, Setup: expenseIn("approved"),
			Status: 400, Contains: []string{`"decision":{"code":"invalid_transition"`}},
		{Name: "approver is a server field", As: "mia", Method: "POST", URL: approvalURL, Body: `{"expense":"{x}","decision":"reject","approver":"{user:dana}"}`, Setup: expenseIn("submitted"),
			Status: 400, Contains: []string{`"approver":{"code":"read_only"`}},
		{Name: "approvals cannot be changed, even by superusers", As: "superuser", Method: "PATCH", URL: approvalURL + "/{a}", Body: `{"note":"x"}`,
			Setup: then(expenseIn("submitted"), func(t testing.TB, o *testkit.Org) {
				ref(o, "a", testkit.MustCreate(t, o.App, o.Users["mia"], "approvals", map[string]any{"expense": o.Refs["x"], "decision": "reject"}))
			}), Status: 400, Contains: []string{`"code":"locked"`}},
		{Name: "approvals cannot be deleted, even by superusers", As: "superuser", Method: "DELETE", URL: approvalURL + "/{a}",
			Setup: then(expenseIn("submitted"), func(t testing.TB, o *testkit.Org) {
				ref(o, "a", testkit.MustCreate(t, o.App, o.Users["mia"], "approvals", map[string]any{"expense": o.Refs["x"], "decision": "reject"}))
			}), Status: 400, Contains: []string{`"code":"locked"`}},
		{Name: "an expense with decisions cannot be deleted", As: "rita", Method: "DELETE", URL: expenseURL,
			Setup: then(expenseIn("submitted"), func(t testing.TB, o *testkit.Org) {
				testkit.MustCreate(t, o.App, o.Users["mia"], "approvals", map[string]any{"expense": o.Refs["x"], "decision": "reject"})
				x := reload(t, o.App, "expenses", o.Refs["x"])
				x.Set("status", "draft")
				if err := testkit.Save(o.App, nil, x); err != nil {
					t.Fatal(err)
				}
			}), Status: 400, Contains: []string{`"code":"locked"`, "1 approval decision"}},

		// settings
		{Name: "the org settings cannot be deleted", As: "superuser", Method: "DELETE", URL: "/api/collections/org_settings/records/{s}",
			Setup: func(t testing.TB, o *testkit.Org) {
				s, err := o.App.FindFirstRecordByFilter("org_settings", "")
				if err != nil {
					t.Fatal(err)
				}
				ref(o, "s", s)
			}, Status: 400, Contains: []string{`"id":{"code":"locked"`}},
		{Name: "a tier policy cannot be deleted", As: "superuser", Method: "DELETE", URL: "/api/collections/tier_policies/records/{tp}",
			Setup: func(t testing.TB, o *testkit.Org) {
				tp, err := o.App.FindFirstRecordByData("tier_policies", "tier", "B")
				if err != nil {
					t.Fatal(err)
				}
				ref(o, "tp", tp)
			}, Status: 400, Contains: []string{`"id":{"code":"locked"`, "Tier B's policy"}},

		// budgets
		{Name: "budget_below_committed", As: "fay", Method: "PATCH", URL: "/api/collections/budgets/records/{b}", Body: `{"amount":9999,"name":"Renamed"}`,
			Setup:  then(expenseIn("submitted"), func(t testing.TB, o *testkit.Org) { ref(o, "b", o.Budget(t, "org", "stop", 1000)) }),
			Status: 400, Contains: []string{`"amount":{"code":"budget_below_committed"`, `Budget \"org stop\"`, "100.00 CNY committed", "99.99 CNY"}},
		{Name: "budget lowered to its committed", As: "fay", Method: "PATCH", URL: "/api/collections/budgets/records/{b}", Body: `{"amount":10000}`,
			Setup: func(t testing.TB, o *testkit.Org) { ref(o, "b", o.Budget(t, "org", "stop", 1000)) }, Status: 200},
		{Name: "budget period_start must start its period", As: "fay", Method: "POST", URL: "/api/collections/budgets/records",
			Body:   `{"name":"Q","scope":"org","period":"quarter","period_start":"2026-02-01","amount":100}`,
			Status: 400, Contains: []string{`"period_start":{"code":"invalid_period_start"`}},
		{Name: "budget period_end and sums are computed", As: "fay", Method: "POST", URL: "/api/collections/budgets/records",
			Body:   `{"name":"Q","scope":"team","team":"{team:sales}","period":"year","period_start":"` + testkit.Day(0)[:4] + `-01-01","amount":100000}`,
			Setup:  expenseIn("approved"),
			Status: 200, Contains: []string{`"period_end":"` + testkit.Day(0)[:4] + `-12-31"`, `"committed":10000`, `"spent":10000`, `"warn_at_percent":80`, `"on_exceed":"stop"`}},
	} {
		c.Run(t)
	}
}

// Another currency than the org's is refused when written, on a draft too,
// not only at submit.
func TestCurrencyIsCheckedWhenWritten(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	plan := mkPlan(t, o, "rita", "approved", 1000)
	body := func(currency string) map[string]any {
		return map[string]any{"plan": plan.Id, "category": "meal", "amount": 100, "incurred_on": testkit.Day(0), "currency": currency}
	}
	before, _ := app.CountRecords("expenses")
	if res := c.Do("rita", "POST", "/api/collections/expenses/records", body("USD")); res.Status != 400 || res.Code("currency") != "currency_mismatch" {
		t.Errorf("draft in USD: %d %s", res.Status, res.Body)
	}
	if after, _ := app.CountRecords("expenses"); after != before {
		t.Errorf("the refused draft was written: %d expenses, want %d", after, before)
	}
	res := c.Do("rita", "POST", "/api/collections/expenses/records", body(""))
	if res.Status != 200 || res.JSON()["currency"] != "CNY" {
		t.Fatalf("draft without a currency: %d %s", res.Status, res.Body)
	}
	url := "/api/collections/expenses/records/" + res.JSON()["id"].(string)
	if res := c.Do("rita", "PATCH", url, `{"currency":"EUR"}`); res.Status != 400 || res.Code("currency") != "currency_mismatch" {
		t.Errorf("draft changed to EUR: %d %s", res.Status, res.Body)
	}
	// an expense written before the org changed currency still takes other edits
	o.SetOrg(t, map[string]any{"currency": "USD"})
	if res := c.Do("rita", "PATCH", url, `{"description":"lunch"}`); res.Status != 200 {
		t.Errorf("edit of a CNY draft after the switch to USD: %d %s", res.Status, res.Body)
	}
}

// A receipt uploaded by the write that submits counts: on create, and
// replacing the draft's receipt.
func TestReceiptUploadedWithTheSubmit(t *testing.T) {
	app := testkit.NewApp(t)
	w := seedScope(t, app)
	c := testkit.NewClient(t, w.Org)
	plan := planOf(t, w, "rita", "approved")
	pdf := func(n int) map[string]testkit.File {
		return map[string]testkit.File{"receipt": {Name: "receipt.pdf", Content: fmt.Appendf(nil, "%%PDF-1.4\n%% receipt %d\n", n)}}
	}
	res := c.Upload("rita", "POST", "/api/collections/expenses/records", map[string]string{"plan": plan, "category": "meal",
		"amount": "25000", "incurred_on": testkit.Day(0), "status": "submitted"}, pdf(1))
	if res.Status != 200 || res.JSON()["status"] != "submitted" || res.JSON()["receipt"] == "" {
		t.Fatalf("create + submit with a receipt: %d %s", res.Status, res.Body)
	}
	res = c.Upload("rita", "POST", "/api/collections/expenses/records", map[string]string{"plan": plan, "category": "meal",
		"amount": "25000", "incurred_on": testkit.Day(0)}, pdf(2))
	if res.Status != 200 {
		t.Fatalf("a draft with a receipt: %d %s", res.Status, res.Body)
	}
	res = c.Upload("rita", "PATCH", "/api/collections/expenses/records/"+res.JSON()["id"].(string), map[string]string{"status": "submitted"}, pdf(3))
	if res.Status != 200 || res.JSON()["status"] != "submitted" {
		t.Fatalf("the receipt replaced with the submit: %d %s", res.Status, res.Body)
	}
}

func pngBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 300, 200))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
