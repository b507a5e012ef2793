package links

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/approval"
	"rapport/internal/flow"
	"rapport/internal/mail"
	"rapport/internal/pending"
)

// ApprovalURL is the one-click link by which approver decides (approve or
// reject) on r, a submitted plan or expense, as it stands now.
func ApprovalURL(app core.App, approver string, r *core.Record, decision string) (string, error) {
	token, err := Sign(app, Claims{Kind: KindApproval, Collection: r.Collection().Name, Record: r.Id,
		Version: r.GetInt("version"), Decision: decision}.withSubject(approver), ApprovalTTL)
	if err != nil {
		return "", err
	}
	return URL(app, token), nil
}

func (c Claims) withSubject(sub string) Claims {
	c.Subject = sub
	return c
}

// approvalPage is what the confirmation page shows.
type approvalPage struct {
	*pending.Item
	Decision string
	Approver string
}

// approvalTarget loads what c decides on and checks that the link still
// stands: unused, the record unchanged since the link was made, still
// waiting for this approver (or for finance, and they are finance).
func approvalTarget(app core.App, c *Claims) (*core.Record, *core.Record, error) {
	if _, ok := pending.Requests[c.Collection]; !ok || (c.Decision != "approve" && c.Decision != "reject") {
		return nil, nil, problemInvalid
	}
	approver, err := app.FindRecordById("users", c.Subject)
	if err != nil {
		return nil, nil, problemInvalid
	}
	if u, err := used(app, c); err != nil {
		return nil, nil, err
	} else if u {
		return nil, approver, problemUsed
	}
	r, err := app.FindRecordById(c.Collection, c.Record)
	if err != nil {
		return nil, approver, problemGone
	}
	switch {
	case r.GetInt("version") != c.Version || r.GetString("status") != "submitted":
		return nil, approver, &Problem{Status: http.StatusConflict, Key: "changed"}
	}
	current, _ := app.FindRecordById("users", r.GetString("approver"))
	if !approval.InQueueOf(current, approver, r.GetString(pending.Requests[c.Collection])) {
		return nil, approver, &Problem{Status: http.StatusConflict, Key: "not_yours"}
	}
	return r, approver, nil
}

// showApproval (GET) renders the confirmation page. It writes nothing.
func showApproval(e *core.RequestEvent, c *Claims) error {
	r, approver, err := approvalTarget(e.App, c)
	if err != nil {
		return showProblem(e, langOf(approver, e), err)
	}
	item, err := pending.Describe(e.App, r)
	if err != nil {
		return err
	}
	return render(e, http.StatusOK, "approval", mail.Lang(approver),
		approvalPage{Item: item, Decision: c.Decision, Approver: approver.GetString("name")})
}

// decideByLink (POST) records the decision as the approver, through the
// same record events as a REST create of the approval: every rule applies
// (self-approval, limits, flags to acknowledge, budgets). The token id is
// spent in the same transaction, so a refused decision leaves it usable.
func decideByLink(e *core.RequestEvent, c *Claims) error {
	var approver *core.Record
	var final bool
	err := e.App.RunInTransaction(func(tx core.App) error {
		r, a, err := approvalTarget(tx, c)
		approver = a
		if err != nil {
			return err
		}
		if err := use(tx, c); err != nil {
			return problemUsed
		}
		field := "plan"
		if r.Collection().Name == "expenses" {
			field = "expense"
		}
		ap, err := flow.Create(tx, approver, "approvals", map[string]any{
			field: r.Id, "decision": c.Decision, "note": e.Request.FormValue("note"),
			"acknowledge_flags": e.Request.FormValue("acknowledge_flags") == "on",
		})
		if err != nil {
			return err // the page shows the rule's message (showProblem unwraps it)
		}
		final = ap.GetBool("final")
		return nil
	})
	if err != nil {
		return showProblem(e, langOf(approver, e), err)
	}
	key := "decided"
	if c.Decision == "approve" && !final {
		key = "passed_up"
	}
	return render(e, http.StatusOK, "message", mail.Lang(approver), &Problem{Status: http.StatusOK, Key: key})
}

// langOf is the page language: the named user's, else the browser's.
func langOf(u *core.Record, e *core.RequestEvent) string {
	if u != nil {
		return mail.Lang(u)
	}
	return visitorLang(e)
}
