package notify

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/mail"
	"rapport/internal/org"
)

// bindDecisions tells the requester when their plan or expense is decided:
// finally approved or rejected. It runs after the approval is saved, in
// its transaction: the notice commits with the decision, and its email
// leaves after the commit.
func bindDecisions(app core.App) {
	app.OnRecordCreate("approvals").BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		ap := e.Record
		// level 0: the automatic approval at submit, or imported history
		if ap.GetInt("level") < 1 || (ap.GetString("decision") == "approve" && !ap.GetBool("final")) {
			return nil
		}
		return noticeOfDecision(e.App, ap)
	})
}

func noticeOfDecision(app core.App, ap *core.Record) error {
	collection, id, requesterField := "expenses", ap.GetString("expense"), "rep"
	if id == "" {
		collection, id, requesterField = "plans", ap.GetString("plan"), "owner"
	}
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		return err
	}
	rep, err := app.FindRecordById("users", r.GetString(requesterField))
	if err != nil {
		return err
	}
	settings, err := org.LoadSettings(app)
	if err != nil {
		return err
	}
	decider, _ := app.FindRecordById("users", ap.GetString("approver"))
	d := decision{Lang: mail.Lang(rep), Approved: ap.GetString("decision") == "approve", Expense: collection == "expenses",
		What: r.GetString("title"), Note: ap.GetString("note")}
	if d.Expense {
		d.What = r.GetString("category")
		if desc := r.GetString("description"); desc != "" {
			d.What += ": " + desc
		}
		d.Amount = org.Money(int64(r.GetInt("amount")), settings.Currency)
	} else {
		d.Amount = org.Money(int64(r.GetInt("budget")), settings.Currency)
	}
	if decider != nil {
		d.By = decider.GetString("name")
	}
	title, body := d.text()
	return Send(app, Notice{User: rep.Id, Kind: "decision", Title: title, Body: body, Link: collection + "/" + r.Id})
}

// decision is what a decision notice says, in the requester's language.
type decision struct {
	Lang                   string
	Approved, Expense      bool
	What, Amount, By, Note string
}

func (d decision) text() (title, body string) {
	if d.Lang == "en" {
		kind, verb := "Plan", "rejected"
		if d.Expense {
			kind = "Expense"
		}
		if d.Approved {
			verb = "approved"
		}
		title = kind + " " + verb + ": " + d.What + " (" + d.Amount + ")"
		body = "Decided by " + d.By + "."
		if d.Note != "" {
			body += "\nNote: " + d.Note
		}
		return title, body
	}
	kind, verb := "计划", "已驳回"
	if d.Expense {
		kind = "费用"
	}
	if d.Approved {
		verb = "已批准"
	}
	title = kind + verb + "：" + d.What + "（" + d.Amount + "）"
	body = "审批人：" + d.By + "。"
	if d.Note != "" {
		body += "\n备注：" + d.Note
	}
	return title, body
}
