// Package hooks holds Rapport's business rules. They hang on PocketBase's
// record model events, inside the write's transaction, so that REST, the
// batch API, the sync push, the dashboard and server jobs all obey them.
//
// Files are named after the collection and role of their rules
// (expense_rules.go, expense_submit.go, approval_decide.go, ...) or, for
// the steps every write takes, after the stage (stage_tx.go,
// stage_audit.go, ...). pipeline.go declares the stages and the order of
// every handler; docs/architecture.md draws it.
package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
	"rapport/internal/report"
	"rapport/internal/txstate"
)

// Register binds every rule to app. The order of the calls does not
// matter: each handler's stage (pipeline.go) places it.
func Register(app core.App) {
	org.Watch(app)
	txstate.Watch(app)

	// the stages every write goes through
	bindRequest(app)
	bindValues(app)
	bindServerFields(app)
	bindTx(app)
	bindWriters(app)
	bindOwnerDeletes(app)
	bindDeletes(app)
	bindLabels(app)
	bindVersion(app)
	bindAudit(app)
	bindUnlink(app)

	// the rules, by collection
	bindUsers(app)
	bindAccounts(app)
	bindAccountFlows(app)
	bindLeavers(app)
	bindSignIn(app)
	bindTeams(app)
	bindCustomers(app)
	bindLocations(app)
	bindPlans(app)
	bindVisits(app)
	bindCheckin(app)
	bindExpenses(app)
	bindApprovals(app)
	bindBudgets(app)
	bindComplaints(app)
	bindSettings(app)
	bindTiers(app)
	bindBackups(app)
	bindExplained(app)
	report.BindSums(app)

	// the records and collections APIs
	bindReads(app)
	bindRequestErrors(app)
	bindSchema(app)
}
