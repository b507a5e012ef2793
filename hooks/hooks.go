// Package hooks holds Rapport's business rules. They hang on PocketBase's
// record model events, inside the write's transaction, so that REST, the
// batch API, the sync push, the dashboard and server jobs all obey them.
//
// Order of a write (create shown; update and delete are alike):
//
//	OnRecordCreate        refuse a write naming no writer (actor.Require); open
//	                      (or join) a transaction; refuse server fields
//	  OnRecordValidate    PocketBase's field validation
//	  OnRecordCreateExecute
//	    derive            server fields and permissions (per collection)
//	    version           version = 1 (create) or +1 (update)
//	    INSERT
//	  after e.Next()      cascades, audit entry, change log (same transaction)
//
// docs/architecture.md tells the stages and where each kind of rule lives.
package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/report"
)

// Business collections: records whose writes carry rules, versions and audit.
var (
	// Versioned lists every collection with a server `version`.
	Versioned = []string{"teams", "customers", "plans", "visits", "expenses",
		"approvals", "budgets", "tier_policies", "org_settings", "complaints"}

	// Guarded are the collections whose writes run in a rule transaction.
	Guarded = append([]string{"users", "audit_log"}, Versioned...)
)

// Register binds every rule to app.
func Register(app core.App) {
	org.Watch(app)
	bindWritePipeline(app)
	bindValues(app)
	bindInput(app)
	bindUsers(app)
	bindAccounts(app)
	bindReads(app)
	bindRequestErrors(app)
	bindTeams(app)
	bindCustomers(app)
	bindOwnership(app)
	bindSettings(app)
	bindPlans(app)
	bindExpenses(app)
	bindApprovals(app)
	bindBudgets(app)
	bindAudit(app)
	bindSchema(app)
	bindDeletes(app)
	bindWriters(app)
	bindCare(app)
	bindComplaints(app)
	bindLabels(app)
	report.BindSums(app)
	bindClock(app)
	bindSignIn(app)
	bindTiers(app)
	bindLeavers(app)
	bindExplained(app)
}
