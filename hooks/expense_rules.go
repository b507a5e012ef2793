package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/actor"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// An expense is its rep's (the owner of its plan's customer): a draft
// until submitted (expense_submit.go: the policy checks, flags and
// routing), then approved or rejected by approvals (approval_decide.go),
// and paid by finance. Its plan and budget sums follow every write
// (expense_sums.go).
func bindExpenses(app core.App) {
	bind(app.OnRecordCreateExecute("expenses"), StageOwner, "rapport.expenses.owner", createExpenseOwner)
	bind(app.OnRecordUpdateExecute("expenses"), StageOwner, "rapport.expenses.owner", updateExpenseOwner)
	bind(app.OnRecordCreateExecute("expenses"), StageRules, "rapport.expenses.rules", createExpense)
	bind(app.OnRecordUpdateExecute("expenses"), StageRules, "rapport.expenses.rules", updateExpense)
	bind(app.OnRecordDeleteExecute("expenses"), StageRules, "rapport.expenses.rules", deleteOnlyDrafts("expense", ""))
	bindExpenseSums(app)
}

// expenseContent is what only a draft expense may change.
var expenseContent = []string{"plan", "visit", "category", "amount", "currency", "incurred_on", "receipt", "description"}

func createExpenseOwner(e *core.RecordEvent) error {
	setDefault(e.Record, "status", "draft")
	if err := checkCurrency(e.App, e.Record); err != nil {
		return err
	}
	return deriveExpenseOwner(e)
}

// updateExpenseOwner: others than the rep change its status only.
func updateExpenseOwner(e *core.RecordEvent) error {
	if err := onlyOwnerEdits(e.Record, "rep", "status"); err != nil {
		return err
	}
	if err := checkCurrency(e.App, e.Record); err != nil {
		return err
	}
	return deriveExpenseOwner(e)
}

// deriveExpenseOwner gives the expense its plan's customer and that
// customer's owner as rep, checks its visit is at the same customer, and
// derives its team (chargedTeam).
func deriveExpenseOwner(e *core.RecordEvent) error {
	x := e.Record
	planChanged := x.IsNew() || x.GetString("plan") != x.Original().GetString("plan")
	if planChanged {
		customer, err := findPlanCustomer(e.App, x.GetString("plan"))
		if err != nil {
			return violation.New("plan", "validation_missing_rel_records", "The plan does not exist.")
		}
		if err := checkOwner(x, customer, "plan"); err != nil {
			return err
		}
		x.Set("customer", customer.Id)
		x.Set("rep", customer.Owner)
	}
	if visitId := x.GetString("visit"); visitId != "" {
		visit, err := e.App.FindRecordById("visits", visitId)
		if err != nil || visit.GetString("customer") != x.GetString("customer") {
			return violation.New("visit", "customer_mismatch", "The visit is at a different customer than the expense's plan.")
		}
	}
	if chargedTeam(x) {
		// charged to the team it was submitted in, whoever saves it
		x.Set("team", x.Original().GetString("team"))
		return e.Next()
	}
	return deriveTeam(e, "rep")
}

// chargedTeam reports whether expense x keeps its stored team on this
// save. An expense is charged to the team it was submitted in: its team
// follows its rep while it is a draft, on create and on the save that
// submits it (the rep's team then); from submission on (submitted,
// approved, rejected, paid) it stays, so a rep's team move leaves what is
// committed against the old team's budgets there. An expense that goes
// back to draft (withdraw, reopen) follows its rep again.
func chargedTeam(x *core.Record) bool {
	return !x.IsNew() && x.Original().GetString("status") != "draft" && x.GetString("status") != "draft"
}

// createExpense accepts a draft, or an expense created submitted (offline
// devices, batch: submitted at once); server imports (seeding, migrations)
// may write history as is.
func createExpense(e *core.RecordEvent) error {
	x := e.Record
	if err := hashReceipt(x); err != nil {
		return err
	}
	if f := x.GetString("flags"); f == "" || f == "null" { // a list from the start
		x.Set("flags", []string{})
	}
	switch status := x.GetString("status"); status {
	case "draft":
	case "submitted":
		if err := submitExpense(e.App, x, time.Now()); err != nil {
			return err
		}
	default:
		if actor.Client(x) != nil {
			return invalidTransition("expense", "new", status, "create it as draft, then submit it")
		}
	}
	return e.Next()
}

func updateExpense(e *core.RecordEvent) error {
	if err := hashReceipt(e.Record); err != nil {
		return err
	}
	if err := expenseTransition(e.App, e.Record); err != nil {
		return err
	}
	return e.Next()
}

// expenseTransition enforces the expense state machine on an update.
func expenseTransition(app core.App, x *core.Record) error {
	old := x.Original()
	from, to := old.GetString("status"), x.GetString("status")
	if changed := changedFields(x, old, expenseContent); len(changed) > 0 && from != "draft" {
		return violation.New(changed[0], "locked", "This expense is %s, so its %s can no longer be changed.%s", from, changed[0], reopenHint(from))
	}
	a := actor.Of(x)
	isOwner := a.Privileged() || a.UserID() == x.GetString("rep")
	switch {
	case from == to:
		return nil
	case from == "draft" && to == "submitted" && isOwner:
		return submitExpense(app, x, time.Now())
	case from == "submitted" && to == "draft" && isOwner: // withdraw
		x.Set("approver", "")
		x.Set("approval_level", 0)
		return nil
	case from == "rejected" && to == "draft" && isOwner: // reopen
		return nil
	case from == "approved" && to == "paid" && (a.IsServer() || a.Superuser != "" || a.Role() == "finance"):
		x.Set("paid_at", types.NowDateTime())
		return nil
	case from == "submitted" && (to == "approved" || to == "rejected") && marked(x, decidedKey):
		return nil
	}
	return invalidTransition("expense", from, to, expenseHint(from, to))
}

func expenseHint(from, to string) string {
	switch {
	case to == "approved" || to == "rejected":
		return "approvers decide by creating an approval"
	case to == "paid":
		return "only finance marks approved expenses paid"
	case from == "draft" && to == "submitted", from == "submitted" && to == "draft", from == "rejected" && to == "draft":
		return "only the expense's rep can do that"
	}
	return "allowed: draft→submitted, submitted→draft (withdraw), rejected→draft (reopen), approved→paid (finance)"
}

func reopenHint(status string) string {
	switch status {
	case "submitted":
		return " Withdraw it to draft first."
	case "rejected":
		return " Reopen it to draft first."
	}
	return ""
}

func invalidTransition(kind, from, to, hint string) error {
	if to == "" {
		to = "no status"
	}
	return violation.New("status", "invalid_transition", "This %s cannot go from %s to %s: %s.", kind, from, to, hint)
}

// hashReceipt keeps receipt_sha256 equal to the hash of the receipt file,
// computed from the upload before it is stored.
func hashReceipt(x *core.Record) error {
	if files := x.GetUnsavedFiles("receipt"); len(files) > 0 {
		f, err := files[0].Reader.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		x.Set("receipt_sha256", hex.EncodeToString(h.Sum(nil)))
	} else if x.GetString("receipt") == "" {
		x.Set("receipt_sha256", "")
	}
	return nil
}

// checkCurrency fills in the org currency on a new expense and refuses
// another one when written, so that a draft is not accepted only to fail
// at submit. (Submit checks again: the org currency may have changed.)
func checkCurrency(app core.App, x *core.Record) error {
	if !x.IsNew() && x.GetString("currency") == x.Original().GetString("currency") {
		return nil
	}
	s, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	setDefault(x, "currency", s.Currency)
	if c := x.GetString("currency"); c != s.Currency {
		return currencyMismatch(s.Currency, c)
	}
	return nil
}

func currencyMismatch(want, got string) error {
	return violation.New("currency", "currency_mismatch", "Expenses are recorded in %s; this one is in %s. Enter the amount in %s.", want, got, want)
}
