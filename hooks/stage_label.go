package hooks

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
	"rapport/internal/org"
	"rapport/internal/txstate"
)

// Plans and expenses carry a server-maintained, presentable `label`, so the
// dashboard's pickers and lists tell them apart ("Acme · Rita · Spring care
// (2026-03-01 – 2026-05-31)", "Acme · meal · 1,200.00 CNY") where titles
// repeat and amounts were bare minor units. It is derived on every write of
// the record, after the other derivations (owner, customer), just before
// the version stamp (StageLabel); migration 1700000050 wrote it on existing records.
func bindLabels(app core.App) {
	for _, c := range catalog.Names(func(c *catalog.Collection) bool { return slices.Contains(c.ServerFields, "label") }) {
		bind(app.OnRecordCreateExecute(c), StageLabel, "rapport."+c+".label", setLabel)
		bind(app.OnRecordUpdateExecute(c), StageLabel, "rapport."+c+".label", setLabel)
	}
}

func setLabel(e *core.RecordEvent) error {
	l, err := labelOf(e.App, e.Record)
	if err != nil {
		return err
	}
	e.Record.Set("label", l)
	return e.Next()
}

// labelOf is the label of plan or expense r.
func labelOf(app core.App, r *core.Record) (string, error) {
	customer, err := nameIn(app, "customers", r.GetString("customer"))
	if err != nil {
		return "", err
	}
	if r.Collection().Name == "plans" {
		owner, err := nameIn(app, "users", r.GetString("owner"))
		if err != nil {
			return "", err
		}
		return customer + " · " + owner + " · " + r.GetString("title") +
			" (" + r.GetString("period_start") + " – " + r.GetString("period_end") + ")", nil
	}
	currency := r.GetString("currency")
	if currency == "" {
		s, err := org.LoadSettings(app)
		if err != nil {
			return "", err
		}
		currency = s.Currency
	}
	return customer + " · " + r.GetString("category") + " · " + org.Money(int64(r.GetInt("amount")), currency), nil
}

// nameIn is the name of a customer or user ("" when there is none); a user
// without a name shows as their email.
func nameIn(app core.App, collection, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	column := "name"
	if collection == "users" {
		column = "COALESCE(NULLIF(name, ''), email)"
	}
	return txstate.Read(app, collection, "name/"+id, func() (string, error) {
		var name string
		err := app.DB().NewQuery("SELECT " + column + " FROM " + collection + " WHERE id = {:id}").Bind(dbx.Params{"id": id}).Row(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil // the relation's own check reports it
		}
		return name, err
	})
}
