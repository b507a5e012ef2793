package report

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// audit: the list a finance auditor starts from, one row per finding, in
// range: flagged expenses (claimed, so not drafts), approvals that
// acknowledged flags, expenses whose receipt file is on another expense
// too, off-site check-ins and breached complaints.
var auditReport = definition{run: audit}

var auditColumns = []Column{{"kind", Text}, {"collection", Text}, {"record", Text}, {"day", Text},
	{"rep", Text}, {"amount", Money}, {"detail", Text}}

// auditKinds are the findings, in the order rows list them.
var auditKinds = []string{"flagged_expense", "acknowledged_flags", "reused_receipt", "offsite_checkin", "breached_complaint"}

func audit(q *Query) (*Result, error) {
	var out []Row
	add := func(kind string, r *core.Record, day, rep string, amount int64, detail string) {
		out = append(out, Row{"key": kind + ":" + r.Id, "label": labelOf(r), "kind": kind,
			"collection": r.Collection().Name, "record": r.Id, "day": day, "rep": rep, "amount": amount, "detail": detail})
	}
	inRange := dbx.Params{"from": q.From, "to": q.To}

	flagged, err := scopedRecords(q, "expenses", "e", dbx.NewExp("e.incurred_on BETWEEN {:from} AND {:to} AND e.status != 'draft' AND "+
		"(CASE WHEN json_valid(e.flags) THEN json_array_length(e.flags) ELSE 0 END) > 0", inRange), "e.incurred_on", "e.id")
	if err != nil {
		return nil, err
	}
	for _, x := range flagged {
		add("flagged_expense", x, x.GetString("incurred_on"), x.GetString("rep"), int64(x.GetInt("amount")),
			strings.Join(x.GetStringSlice("flags"), ", "))
	}

	acknowledged, err := scopedRecords(q, "approvals", "a", dbx.NewExp("a.acknowledge_flags = TRUE AND a.expense IN "+
		"(SELECT id FROM expenses WHERE incurred_on BETWEEN {:from} AND {:to})", inRange), "a.created", "a.id")
	if err != nil {
		return nil, err
	}
	if len(acknowledged) > 0 {
		ids := make([]string, len(acknowledged))
		for i, a := range acknowledged {
			ids[i] = a.GetString("expense")
		}
		expenses, err := q.App.FindRecordsByIds("expenses", ids)
		if err != nil {
			return nil, err
		}
		byId := map[string]*core.Record{}
		for _, x := range expenses {
			byId[x.Id] = x
		}
		for _, a := range acknowledged {
			x := byId[a.GetString("expense")]
			add("acknowledged_flags", a, x.GetString("incurred_on"), x.GetString("rep"), int64(x.GetInt("amount")),
				labelOf(x)+": "+strings.Join(x.GetStringSlice("flags"), ", "))
		}
	}

	// a receipt counts as reused when the caller sees it on two expenses
	shared := q.App.DB().Select("e2.receipt_sha256").From("expenses e2").
		Where(dbx.NewExp("e2.receipt_sha256 != ''")).GroupBy("e2.receipt_sha256").Having(dbx.NewExp("COUNT(*) > 1"))
	if err := q.limit(shared, "expenses", "e2"); err != nil {
		return nil, err
	}
	sql, params := embeddable(shared)
	params["from"], params["to"] = q.From, q.To
	reused, err := scopedRecords(q, "expenses", "e", dbx.NewExp("e.incurred_on BETWEEN {:from} AND {:to} AND e.receipt_sha256 IN ("+sql+")", params),
		"e.receipt_sha256", "e.incurred_on", "e.id")
	if err != nil {
		return nil, err
	}
	for _, x := range reused {
		add("reused_receipt", x, x.GetString("incurred_on"), x.GetString("rep"), int64(x.GetInt("amount")),
			"receipt sha256 "+x.GetString("receipt_sha256"))
	}

	offsite, err := scopedRecords(q, "visits", "v", dbx.NewExp("v.due_date BETWEEN {:from} AND {:to} AND v.checkin_result = 'outside'", inRange), "v.due_date", "v.id")
	if err != nil {
		return nil, err
	}
	customers, err := customerNames(q, offsite)
	if err != nil {
		return nil, err
	}
	for _, v := range offsite {
		v.Set("label", customers[v.GetString("customer")]+" · "+v.GetString("kind")+" "+v.GetString("due_date"))
		add("offsite_checkin", v, v.GetString("due_date"), v.GetString("rep"), 0,
			strings.TrimSuffix(strings.TrimRight(v.GetString("checkin_distance_m"), "0"), ".")+" m from the customer")
	}

	if q.hasComplaints() {
		start, end := q.Instants()
		breached, err := scopedRecords(q, "complaints", "k", dbx.NewExp("k.received_at >= {:start} AND k.received_at < {:end} AND k.breached = TRUE",
			dbx.Params{"start": start, "end": end}), "k.received_at", "k.id")
		if err != nil {
			return nil, err
		}
		customers, err := customerNames(q, breached)
		if err != nil {
			return nil, err
		}
		for _, k := range breached {
			k.Set("label", customers[k.GetString("customer")]+" · "+k.GetString("summary"))
			day := k.GetDateTime("received_at").Time().In(q.Settings.Location).Format("2006-01-02")
			add("breached_complaint", k, day, k.GetString("owner"), 0, k.GetString("summary"))
		}
	}

	totals := map[string]any{}
	for _, kind := range auditKinds {
		totals[kind] = int64(0)
	}
	if out == nil {
		out = []Row{}
	}
	for _, r := range out {
		totals[r["kind"].(string)] = totals[r["kind"].(string)].(int64) + 1
	}
	return &Result{Rows: out, Totals: totals, Columns: auditColumns}, nil
}

// customerNames names the customers of records.
func customerNames(q *Query, records []*core.Record) (map[string]string, error) {
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.GetString("customer")
	}
	return labelsOf(q.App, "customer", ids)
}

// labelOf is how a finding names its record: its presentable label where
// it has one.
func labelOf(r *core.Record) string {
	for _, f := range []string{"label", "title"} {
		if s := r.GetString(f); s != "" {
			return s
		}
	}
	if r.Collection().Name == "approvals" {
		return r.GetString("decision") + " with flags acknowledged"
	}
	return r.Collection().Name + " " + r.Id
}
