// Package migrations creates Rapport's schema: the domain collections of
// shared/spec/domain.md with their API rules and indexes, and the default
// policies and settings. Migrations run automatically on `serve`.
package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Rule fragments. Visibility is "own records, records of the teams you
// manage (team.viewers), or everything for finance and admin".
const (
	authed = `@request.auth.id != "" && @request.auth.collectionName = "users"`
	staff  = `@request.auth.role = "finance" || @request.auth.role = "admin"`
	admin  = `@request.auth.role = "admin"`
)

func rule(s string) *string { return types.Pointer(s) }

func scoped(ownerExpr string) *string {
	return rule(authed + " && (" + ownerExpr + " || " + staff + ")")
}

// dayPattern is the shape of day fields (YYYY-MM-DD in the org time zone).
const dayPattern = `^\d{4}-\d{2}-\d{2}$`

func day(name string, required bool) *core.TextField {
	return &core.TextField{Name: name, Pattern: dayPattern, Max: 10, Required: required}
}

func intField(name string, min *float64, required bool) *core.NumberField {
	return &core.NumberField{Name: name, OnlyInt: true, Min: min, Required: required}
}

func sel(name string, required bool, values ...string) *core.SelectField {
	return &core.SelectField{Name: name, Values: values, MaxSelect: 1, Required: required}
}

func rel(name, collectionId string, max int, required bool) *core.RelationField {
	return &core.RelationField{Name: name, CollectionId: collectionId, MaxSelect: max, Required: required}
}

func timestamps(c *core.Collection) {
	c.Fields.Add(
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
}

var zero = types.Pointer(0.0)

// collections lists, in creation order, every collection this migration owns.
var collections = []string{"teams", "customers", "plans", "visits", "expenses",
	"approvals", "budgets", "tier_policies", "org_settings", "audit_log"}

// userFields are the fields this migration adds to PocketBase's users.
var userFields = []string{"role", "team", "manager", "approval_limit", "active"}

func init() {
	m.Register(up, down)
}

func up(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}

	teams := core.NewBaseCollection("teams")
	teams.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
	)
	timestamps(teams)
	if err := app.Save(teams); err != nil {
		return err
	}
	teams.Fields.Add(
		rel("parent", teams.Id, 1, false),
		rel("manager", users.Id, 1, false),
		// server: managers of this team and every ancestor (who may view its records)
		rel("viewers", users.Id, 999, false),
		// server: this team and every ancestor (which team budgets apply to its members)
		rel("ancestors", teams.Id, 999, false),
		intField("version", zero, false),
	)
	teams.AddIndex("idx_teams_parent", false, "parent", "")
	teams.ListRule = rule(authed)
	teams.ViewRule = rule(authed)
	teams.CreateRule = rule(admin)
	teams.UpdateRule = rule(admin)
	teams.DeleteRule = rule(admin)
	if err := app.Save(teams); err != nil {
		return err
	}

	users.Fields.Add(
		sel("role", false, "rep", "manager", "director", "finance", "admin"),
		rel("team", teams.Id, 1, false),
		rel("manager", users.Id, 1, false),
		intField("approval_limit", zero, false),
		&core.BoolField{Name: "active"},
	)
	users.AddIndex("idx_users_team", false, "team", "")
	users.AddIndex("idx_users_manager", false, "manager", "")
	users.AddIndex("idx_users_role", false, "role", "")
	users.ListRule = scoped(`id = @request.auth.id || id = @request.auth.manager || team.viewers.id ?= @request.auth.id`)
	users.ViewRule = users.ListRule
	users.CreateRule = rule(admin)
	// Visible accounts answer a clear 403 to anyone but themselves and admins (hooks).
	users.UpdateRule = users.ListRule
	users.DeleteRule = rule(admin)
	users.AuthRule = rule("active = true")
	users.AuthToken.Duration = 30 * 24 * 3600
	if err := app.Save(users); err != nil {
		return err
	}

	customers := core.NewBaseCollection("customers")
	customers.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 300, Presentable: true},
		&core.TextField{Name: "code", Max: 64},
		sel("tier", false, "A", "B", "C", "D"),
		&core.BoolField{Name: "tier_locked"},
		intField("annual_contract_amount", zero, false),
		rel("owner", users.Id, 1, false),
		rel("team", teams.Id, 1, false),
		sel("status", false, "active", "dormant", "lost"),
		&core.TextField{Name: "industry", Max: 200},
		&core.TextField{Name: "address", Max: 500},
		&core.GeoPointField{Name: "location"},
		&core.JSONField{Name: "contacts", MaxSize: 64 << 10},
		day("customer_since", false),
		&core.DateField{Name: "last_visit_at"},
		day("next_visit_due", false),
		&core.NumberField{Name: "satisfaction_avg", Min: zero, Max: types.Pointer(5.0)},
		intField("version", zero, false),
	)
	timestamps(customers)
	customers.AddIndex("idx_customers_code", true, "code", "code != ''")
	customers.AddIndex("idx_customers_owner", false, "owner", "")
	customers.AddIndex("idx_customers_team", false, "team", "")
	customers.AddIndex("idx_customers_tier", false, "tier", "")
	ownCustomer := `owner = @request.auth.id || team.viewers.id ?= @request.auth.id`
	customers.ListRule = scoped(ownCustomer)
	customers.ViewRule = customers.ListRule
	customers.CreateRule = rule(authed)
	customers.UpdateRule = customers.ListRule
	customers.DeleteRule = rule(admin)
	if err := app.Save(customers); err != nil {
		return err
	}

	plans := core.NewBaseCollection("plans")
	plans.Fields.Add(
		rel("customer", customers.Id, 1, true),
		rel("owner", users.Id, 1, false),
		&core.TextField{Name: "title", Required: true, Max: 300, Presentable: true},
		&core.SelectField{Name: "methods", MaxSelect: 7, Values: []string{"visit", "call", "gift", "meal", "event", "trip", "other"}},
		&core.TextField{Name: "measures", Max: 10000},
		day("period_start", true),
		day("period_end", true),
		intField("planned_visits", zero, false),
		intField("budget", types.Pointer(1.0), true),
		sel("status", false, "draft", "submitted", "approved", "rejected", "closed"),
		&core.TextField{Name: "decision_note", Max: 2000},
		intField("approved_budget", zero, false),
		rel("approver", users.Id, 1, false),
		rel("approved_by", users.Id, 1, false),
		&core.DateField{Name: "approved_at"},
		intField("approval_level", zero, false),
		&core.BoolField{Name: "finance_review"},
		intField("committed", zero, false),
		intField("spent", zero, false),
		rel("team", teams.Id, 1, false),
		intField("version", zero, false),
	)
	timestamps(plans)
	plans.AddIndex("idx_plans_customer", false, "customer, status", "")
	plans.AddIndex("idx_plans_owner", false, "owner, status", "")
	plans.AddIndex("idx_plans_team", false, "team", "")
	plans.AddIndex("idx_plans_approver", false, "approver, status", "")
	ownPlan := `owner = @request.auth.id || approver = @request.auth.id || team.viewers.id ?= @request.auth.id`
	plans.ListRule = scoped(ownPlan)
	plans.ViewRule = plans.ListRule
	plans.CreateRule = rule(authed)
	plans.UpdateRule = plans.ListRule
	plans.DeleteRule = plans.ListRule
	if err := app.Save(plans); err != nil {
		return err
	}

	visits := core.NewBaseCollection("visits")
	visits.Fields.Add(
		rel("customer", customers.Id, 1, true),
		rel("plan", plans.Id, 1, false),
		sel("kind", false, "visit", "call", "care", "event"),
		sel("status", false, "scheduled", "in_progress", "done", "missed", "cancelled"),
		day("due_date", false),
		day("window_start", false),
		day("window_end", false),
		&core.DateField{Name: "started_at"},
		&core.DateField{Name: "ended_at"},
		&core.GeoPointField{Name: "checkin_location"},
		&core.NumberField{Name: "checkin_accuracy_m", Min: zero},
		&core.TextField{Name: "notes", Max: 10000},
		&core.TextField{Name: "outcome", Max: 2000},
		&core.NumberField{Name: "satisfaction", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(5.0)},
		&core.FileField{Name: "photos", MaxSelect: 10, MaxSize: 10 << 20, Protected: true,
			MimeTypes: []string{"image/jpeg", "image/png", "image/webp", "image/heic"},
			Thumbs:    []string{"100x100", "480x0"}},
		rel("rep", users.Id, 1, false),
		&core.NumberField{Name: "checkin_distance_m", Min: zero},
		sel("checkin_result", false, "verified", "outside", "no_fix", "no_customer_location"),
		sel("source", false, "manual", "schedule", "followup", "care"),
		rel("team", teams.Id, 1, false),
		intField("version", zero, false),
	)
	timestamps(visits)
	visits.AddIndex("idx_visits_rep", false, "rep, status", "")
	visits.AddIndex("idx_visits_customer", false, "customer, status, due_date", "")
	visits.AddIndex("idx_visits_plan", false, "plan", "")
	visits.AddIndex("idx_visits_team", false, "team", "")
	ownVisit := `rep = @request.auth.id || team.viewers.id ?= @request.auth.id`
	visits.ListRule = scoped(ownVisit)
	visits.ViewRule = visits.ListRule
	visits.CreateRule = rule(authed)
	visits.UpdateRule = visits.ListRule
	visits.DeleteRule = visits.ListRule
	if err := app.Save(visits); err != nil {
		return err
	}

	expenses := core.NewBaseCollection("expenses")
	expenses.Fields.Add(
		rel("plan", plans.Id, 1, true),
		rel("visit", visits.Id, 1, false),
		sel("category", true, "meal", "gift", "travel", "transport", "event", "entertainment", "other"),
		intField("amount", types.Pointer(1.0), true),
		&core.TextField{Name: "currency", Max: 3, Pattern: `^[A-Z]{3}$`},
		day("incurred_on", true),
		&core.TextField{Name: "description", Max: 2000},
		&core.FileField{Name: "receipt", MaxSelect: 1, MaxSize: 10 << 20, Protected: true,
			MimeTypes: []string{"image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"},
			Thumbs:    []string{"100x100", "480x0"}},
		sel("status", false, "draft", "submitted", "approved", "rejected", "paid"),
		&core.TextField{Name: "decision_note", Max: 2000},
		rel("rep", users.Id, 1, false),
		rel("customer", customers.Id, 1, false),
		&core.TextField{Name: "receipt_sha256", Max: 64},
		rel("approver", users.Id, 1, false),
		intField("approval_level", zero, false),
		&core.BoolField{Name: "finance_review"},
		&core.JSONField{Name: "flags", MaxSize: 4 << 10},
		&core.DateField{Name: "submitted_at"},
		&core.DateField{Name: "approved_at"},
		&core.DateField{Name: "paid_at"},
		rel("team", teams.Id, 1, false),
		intField("version", zero, false),
	)
	timestamps(expenses)
	expenses.AddIndex("idx_expenses_plan", false, "plan, status", "")
	expenses.AddIndex("idx_expenses_rep", false, "rep, incurred_on", "")
	expenses.AddIndex("idx_expenses_customer", false, "customer, incurred_on", "")
	expenses.AddIndex("idx_expenses_team", false, "team, incurred_on", "")
	expenses.AddIndex("idx_expenses_approver", false, "approver, status", "")
	expenses.AddIndex("idx_expenses_status", false, "status, incurred_on", "")
	expenses.AddIndex("idx_expenses_receipt", false, "receipt_sha256", "receipt_sha256 != ''")
	ownExpense := `rep = @request.auth.id || approver = @request.auth.id || team.viewers.id ?= @request.auth.id`
	expenses.ListRule = scoped(ownExpense)
	expenses.ViewRule = expenses.ListRule
	expenses.CreateRule = rule(authed)
	expenses.UpdateRule = expenses.ListRule
	expenses.DeleteRule = expenses.ListRule
	if err := app.Save(expenses); err != nil {
		return err
	}

	approvals := core.NewBaseCollection("approvals")
	approvals.Fields.Add(
		rel("plan", plans.Id, 1, false),
		rel("expense", expenses.Id, 1, false),
		sel("decision", true, "approve", "reject"),
		&core.TextField{Name: "note", Max: 2000},
		&core.BoolField{Name: "acknowledge_flags"},
		rel("approver", users.Id, 1, false),
		intField("level", zero, false),
		&core.BoolField{Name: "final"},
		intField("version", zero, false),
	)
	timestamps(approvals)
	approvals.AddIndex("idx_approvals_plan", false, "plan", "plan != ''")
	approvals.AddIndex("idx_approvals_expense", false, "expense", "expense != ''")
	approvals.AddIndex("idx_approvals_approver", false, "approver", "")
	approvals.ListRule = scoped(`approver = @request.auth.id || plan.owner = @request.auth.id || expense.rep = @request.auth.id || ` +
		`plan.team.viewers.id ?= @request.auth.id || expense.team.viewers.id ?= @request.auth.id`)
	approvals.ViewRule = approvals.ListRule
	approvals.CreateRule = rule(authed)
	if err := app.Save(approvals); err != nil {
		return err
	}

	budgets := core.NewBaseCollection("budgets")
	budgets.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
		sel("scope", true, "org", "team", "rep"),
		rel("team", teams.Id, 1, false),
		rel("rep", users.Id, 1, false),
		sel("category", false, "meal", "gift", "travel", "transport", "event", "entertainment", "other"),
		sel("period", true, "month", "quarter", "year"),
		day("period_start", true),
		day("period_end", false),
		intField("amount", types.Pointer(1.0), true),
		sel("on_exceed", false, "stop", "warn", "escalate"),
		intField("warn_at_percent", zero, false),
		intField("committed", zero, false),
		intField("spent", zero, false),
		intField("version", zero, false),
	)
	timestamps(budgets)
	budgets.AddIndex("idx_budgets_period", false, "period_start, period_end", "")
	budgets.AddIndex("idx_budgets_team", false, "team", "")
	budgets.AddIndex("idx_budgets_rep", false, "rep", "")
	budgets.ListRule = scoped(`scope = "org" || rep = @request.auth.id || rep.team.viewers.id ?= @request.auth.id || ` +
		`team.viewers.id ?= @request.auth.id || (scope = "team" && @request.auth.team.ancestors.id ?= team)`)
	budgets.ViewRule = budgets.ListRule
	budgets.CreateRule = rule(authed + " && (" + staff + ")")
	budgets.UpdateRule = budgets.CreateRule
	budgets.DeleteRule = budgets.CreateRule
	if err := app.Save(budgets); err != nil {
		return err
	}

	policies := core.NewBaseCollection("tier_policies")
	policies.Fields.Add(
		sel("tier", true, "A", "B", "C", "D"),
		&core.TextField{Name: "label", Max: 200, Presentable: true},
		intField("min_annual_contract", zero, false),
		intField("visit_interval_days", zero, false),
		intField("visit_window_days", zero, false),
		intField("annual_care_cap", zero, false),
		&core.JSONField{Name: "category_limits", MaxSize: 4 << 10},
		&core.JSONField{Name: "care_entitlements", MaxSize: 4 << 10},
		intField("version", zero, false),
	)
	timestamps(policies)
	policies.AddIndex("idx_tier_policies_tier", true, "tier", "")
	policies.ListRule = rule(authed)
	policies.ViewRule = policies.ListRule
	policies.CreateRule = rule(authed + " && " + admin)
	policies.UpdateRule = policies.CreateRule
	policies.DeleteRule = policies.CreateRule
	if err := app.Save(policies); err != nil {
		return err
	}

	settings := core.NewBaseCollection("org_settings")
	settings.Fields.Add(
		&core.TextField{Name: "currency", Required: true, Pattern: `^[A-Z]{3}$`, Max: 3},
		&core.TextField{Name: "timezone", Required: true, Max: 64},
		intField("receipt_required_over", zero, false),
		intField("max_age_days", zero, false),
		intField("future_tolerance_hours", zero, false),
		intField("auto_approve_under", zero, false),
		sel("plan_on_exceed", false, "stop", "warn", "escalate"),
		intField("geofence_radius_m", zero, false),
		sel("geofence_mode", false, "off", "flag", "block"),
		&core.JSONField{Name: "followup_offsets", MaxSize: 4 << 10},
		intField("approval_digest_hours", zero, false),
		intField("sync_retention_days", types.Pointer(1.0), false),
		intField("version", zero, false),
	)
	timestamps(settings)
	settings.ListRule = rule(authed)
	settings.ViewRule = settings.ListRule
	settings.UpdateRule = rule(authed + " && " + admin)
	if err := app.Save(settings); err != nil {
		return err
	}

	audit := core.NewBaseCollection("audit_log")
	audit.Fields.Add(
		rel("actor", users.Id, 1, false),
		&core.TextField{Name: "actor_superuser", Max: 64},
		&core.TextField{Name: "client_id", Max: 64},
		sel("action", true, "create", "update", "delete"),
		&core.TextField{Name: "collection", Required: true, Max: 64},
		&core.TextField{Name: "record_id", Required: true, Max: 64},
		&core.JSONField{Name: "changes", MaxSize: 1 << 20},
		&core.TextField{Name: "prev_hash", Max: 64},
		&core.TextField{Name: "hash", Max: 64},
		intField("seq", zero, false),
	)
	timestamps(audit)
	audit.AddIndex("idx_audit_seq", true, "seq", "")
	audit.AddIndex("idx_audit_record", false, "collection, record_id", "")
	audit.ListRule = rule(authed + " && (" + staff + ")")
	audit.ViewRule = audit.ListRule
	return app.Save(audit)
}

func down(app core.App) error {
	for i := len(collections) - 1; i >= 0; i-- {
		c, err := app.FindCollectionByNameOrId(collections[i])
		if err != nil {
			continue
		}
		if c.Name == "teams" {
			// users.team points here: drop the users extension first
			if err := dropUserFields(app); err != nil {
				return err
			}
		}
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	return nil
}

func dropUserFields(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for _, name := range userFields {
		users.Fields.RemoveByName(name)
	}
	users.RemoveIndex("idx_users_team")
	users.RemoveIndex("idx_users_manager")
	users.RemoveIndex("idx_users_role")
	users.ListRule = rule("id = @request.auth.id")
	users.ViewRule = users.ListRule
	users.CreateRule = rule("")
	users.UpdateRule = users.ListRule
	users.DeleteRule = users.ListRule
	users.AuthRule = rule("")
	users.AuthToken.Duration = 604800
	return app.Save(users)
}
