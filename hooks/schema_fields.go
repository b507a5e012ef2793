package hooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// collectionPurpose says, per collection, why an admin should not remove it.
var collectionPurpose = map[string]string{
	"users":         "its records are the accounts whose roles, teams and approval limits every rule reads",
	"teams":         "its records are the team tree that routes approvals and decides what managers see",
	"customers":     "its records are the customers that plans, visits and expenses belong to",
	"plans":         "its records are the maintenance plans whose approved budgets expenses spend",
	"visits":        "its records are the reps' visits and check-ins",
	"expenses":      "its records are the expenses whose approval, budgets and payment the server enforces",
	"approvals":     "its records are the approval decisions, which nobody may change or delete",
	"budgets":       "its records are the budgets every submission is checked against",
	"tier_policies": "its records are the tier policies that set customer tiers, limits and visit intervals",
	"org_settings":  "its record is the organisation's settings (currency, time zone, policy limits)",
	"audit_log":     "its records are the tamper-evident audit trail",
}

func partOfRapport(name string) string {
	purpose, ok := collectionPurpose[name]
	if !ok {
		purpose = "the server's rules are bound to it"
	}
	return name + " is part of Rapport: " + purpose + ", and it"
}

// schemaProblems lists what changing stored into changed would break, when
// stored is one of Rapport's collections.
func schemaProblems(app core.App, stored, changed *core.Collection) problems {
	locked, ok := lockedFields(app, stored)
	if !ok {
		return nil
	}
	var ps problems
	name := stored.Name
	if changed.Id != stored.Id {
		ps = append(ps, problem{"id", fmt.Sprintf("%s cannot change its id.", partOfRapport(name))})
	}
	if changed.Name != name {
		ps = append(ps, problem{"name", fmt.Sprintf("%s cannot be renamed (to %q): the server's rules and the apps find it by its name. You can still add fields and edit its API rules and indexes.", partOfRapport(name), changed.Name)})
	}
	if changed.Type != stored.Type {
		ps = append(ps, problem{"type", fmt.Sprintf("%s cannot change from a %s to a %s collection.", partOfRapport(name), stored.Type, changed.Type)})
	}

	fieldsLocked := false
	for _, migrated := range locked {
		old := stored.Fields.GetById(migrated.GetId())
		if old == nil {
			continue // a migration removed it
		}
		label := name + "." + old.GetName()
		nf := changed.Fields.GetById(old.GetId())
		switch {
		case nf == nil:
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be removed.", label)})
		case nf.GetName() != old.GetName():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be renamed (to %q).", label, nf.GetName())})
		case nf.Type() != old.Type():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot change type (%s to %s).", label, old.Type(), nf.Type())})
		default:
			if msg := optionProblem(label, migrated, old, nf); msg != "" {
				ps = append(ps, problem{"fields", msg})
			}
			for _, msg := range fieldLoosening(label, migrated, old, nf) {
				ps = append(ps, problem{"fields", msg})
			}
			continue
		}
		fieldsLocked = true
	}
	if fieldsLocked {
		ps = append(ps, problem{"fields", "The server's rules and the apps read and write Rapport's fields by name and type. Fields you added yourself can still be renamed or removed."})
	}
	return ps
}

// optionProblem is the refusal of an option change that the server's or the
// apps' handling of old's values depends on ("" when there is none).
func optionProblem(label string, migrated, old, changed core.Field) string {
	if old.GetSystem() && !changed.GetSystem() {
		return fmt.Sprintf("%s is one of Rapport's fields and must stay a system field: that is what keeps it from being removed or renamed.", label)
	}
	multiple := func(f core.Field) (bool, bool) {
		m, ok := f.(interface{ IsMultiple() bool })
		if !ok {
			return false, false
		}
		return m.IsMultiple(), true
	}
	if a, ok := multiple(old); ok {
		if b, _ := multiple(changed); a != b {
			holds := "one value"
			if a {
				holds = "several values"
			}
			return fmt.Sprintf("%s is one of Rapport's fields and must keep holding %s (max select).", label, holds)
		}
	}
	switch o := old.(type) {
	case *core.SelectField:
		m, _ := migrated.(*core.SelectField)
		n, ok := changed.(*core.SelectField)
		if !ok {
			break
		}
		var gone []string
		for _, v := range o.Values {
			if m != nil && slices.Contains(m.Values, v) && !slices.Contains(n.Values, v) {
				gone = append(gone, v)
			}
		}
		if len(gone) > 0 {
			return fmt.Sprintf("%s is one of Rapport's fields: its values %s are used by the server and the apps and cannot be removed (values can be added).", label, strings.Join(gone, ", "))
		}
	case *core.RelationField:
		if n, ok := changed.(*core.RelationField); ok && n.CollectionId != o.CollectionId {
			return fmt.Sprintf("%s is one of Rapport's fields and must keep pointing to the same collection.", label)
		}
	case *core.NumberField:
		m, _ := migrated.(*core.NumberField)
		if n, ok := changed.(*core.NumberField); ok && m != nil && m.OnlyInt && o.OnlyInt && !n.OnlyInt {
			return fmt.Sprintf("%s is one of Rapport's fields and must stay a whole number (money is in minor units, counts are counts).", label)
		}
	}
	return ""
}
