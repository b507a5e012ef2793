package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/tools/hook"

	"rapport/internal/actor"
	"rapport/internal/catalog"
)

// Stage is a step of the write pipeline. Its priority places its handlers
// on a PocketBase hook: lower runs first, and what a handler does after
// e.Next() (once the row is written) runs in the reverse order. Every
// handler names its stage where it is bound; Pipeline below says which
// handlers each stage holds, and pipeline_test.go proves the two agree.
type Stage struct {
	Name     string
	Priority int
}

// The stages of a write, in the order they run on each kind of event.
var (
	// Request events (the records API: REST, batch, dashboard): who asks.
	StageClient       = Stage{"client write entry", -30} // values as sent, then the caller stamped
	StageRequestRules = Stage{"request rules", -10}      // users: the default of active, credentials sent by others

	// OnRecordValidate: after PocketBase's field validation (which the
	// daily job's own visits skip: internal/schedule.save).
	StageValues = Stage{"values", 0}

	// Model events around the write (OnRecordCreate/Update/Delete). Work
	// after the write runs innermost first: consequences, then the audit
	// entry, then sums, cascades and the hand-over.
	StageRequire      = Stage{"require an actor", actor.PriorityRequire}
	StageServerFields = Stage{"server fields", -1010} // a client's server fields, before the transaction
	StageTx           = Stage{"transaction", -1000}
	StageHandOver     = Stage{"hand-over", -900} // a leaver's work, logged after everything else
	StageLocked       = Stage{"locked", -850}    // collections nobody writes this way
	StageCascade      = Stage{"cascade", -800}   // records that follow this one
	StageSums         = Stage{"sums", -700}      // plan and budget sums
	StageAudit        = Stage{"audit", -500}     // the audit entry of this write
	StageConsequences = Stage{"consequences", -400}

	// Model events inside the transaction, before the row is written
	// (OnRecordCreate/Update/DeleteExecute).
	StageWriters  = Stage{"writers", -100} // roles that may change configuration
	StageOwner    = Stage{"owner", -90}    // whose record, may the writer touch it, its team
	StageRules    = Stage{"rules", -80}    // the collection's state machine and checks
	StageLocation = Stage{"location", -70} // points stored as WGS-84
	StageCare     = Stage{"care", -60}     // check-in and visit cadence
	StageInUse    = Stage{"in use", -50}   // deletes of what others still point at
	StageLabel    = Stage{"label", 900}
	StageVersion  = Stage{"version", 1000}
	StageSentSame = Stage{"sent server fields", 1010} // what a client sent equals what was derived
	StageUnlink   = Stage{"unlink", 1100}             // last before a delete
)

// Step is one handler of Pipeline: its hook, stage, Id and collections
// (nil: every collection).
type Step struct {
	Event       string
	Stage       Stage
	Id          string
	Collections []string
}

// on lists one handler Id per collection: "rapport.<collection>.<role>".
func on(event string, st Stage, role string, collections ...string) []Step {
	var steps []Step
	for _, c := range collections {
		steps = append(steps, Step{event, st, "rapport." + c + "." + role, []string{c}})
	}
	return steps
}

// Pipeline declares every handler package hooks binds on a record event,
// event by event, in the order they run. (Other packages bind a few at
// PocketBase's default priority 0 — the spend report's sums, the read
// cache, the change log, notifications' own checks — which
// docs/architecture.md lists beside these.) Two handlers of one event and
// collection are in different stages, so their order never depends on
// which file binds first. docs/architecture.md draws it as a table.
var Pipeline = concat(
	[]Step{{"OnRecordCreateRequest", StageClient, "rapport.request.client", nil}},
	on("OnRecordCreateRequest", StageRequestRules, "active", "users"),
	[]Step{{"OnRecordUpdateRequest", StageClient, "rapport.request.client", nil}},
	on("OnRecordUpdateRequest", StageRequestRules, "credentials", "users"),
	[]Step{
		{"OnRecordDeleteRequest", StageClient, "rapport.request.client", nil},
		{"OnRecordValidate", StageValues, "rapport.values", nil},
	},

	around("OnRecordCreate", "create"),
	on("OnRecordCreate", StageLocked, "locked", "audit_log"),
	on("OnRecordCreate", StageSums, "sums", "expenses"),
	[]Step{{"OnRecordCreate", StageAudit, "rapport.audit", catalog.Audited}},
	on("OnRecordCreate", StageConsequences, "consequences", "visits"),

	around("OnRecordUpdate", "update"),
	on("OnRecordUpdate", StageHandOver, "handover", "users"),
	on("OnRecordUpdate", StageLocked, "locked", "approvals", "audit_log"),
	on("OnRecordUpdate", StageCascade, "rechain", "users"),
	on("OnRecordUpdate", StageCascade, "lineage", "teams"),
	on("OnRecordUpdate", StageCascade, "reassign", "customers"),
	on("OnRecordUpdate", StageSums, "sums", "expenses"),
	on("OnRecordUpdate", StageSums, "budgets", "teams"),
	[]Step{{"OnRecordUpdate", StageAudit, "rapport.audit", catalog.Audited}},
	on("OnRecordUpdate", StageConsequences, "consequences", "visits"),
	on("OnRecordUpdate", StageConsequences, "schedule", "customers"),
	on("OnRecordUpdate", StageConsequences, "backups", "org_settings"),
	on("OnRecordUpdate", StageConsequences, "retier", "tier_policies"),

	around("OnRecordDelete", "delete"),
	on("OnRecordDelete", StageLocked, "locked", "approvals", "audit_log"),
	[]Step{{"OnRecordDelete", StageAudit, "rapport.audit", catalog.Audited}},
	on("OnRecordDelete", StageConsequences, "consequences", "visits"),

	on("OnRecordCreateExecute", StageOwner, "defaults", "users"),
	on("OnRecordCreateExecute", StageOwner, "owner", "customers", "plans", "visits", "expenses"),
	on("OnRecordCreateExecute", StageRules, "rules", "teams", "org_settings", "budgets", "plans", "expenses", "complaints"),
	on("OnRecordCreateExecute", StageRules, "decide", "approvals"),
	on("OnRecordCreateExecute", StageLocation, "location", "customers", "visits"),
	on("OnRecordCreateExecute", StageCare, "next_visit", "customers"),
	on("OnRecordCreateExecute", StageCare, "checkin", "visits"),
	on("OnRecordCreateExecute", StageLabel, "label", "plans", "expenses"),
	[]Step{
		{"OnRecordCreateExecute", StageVersion, "rapport.version", catalog.Versioned},
		{"OnRecordCreateExecute", StageSentSame, "rapport.server_fields.sent", catalog.Versioned},
	},

	writers("OnRecordUpdateExecute", false),
	on("OnRecordUpdateExecute", StageOwner, "permissions", "users"),
	on("OnRecordUpdateExecute", StageOwner, "owner", "customers", "plans", "visits", "expenses"),
	on("OnRecordUpdateExecute", StageRules, "credentials", "users"),
	on("OnRecordUpdateExecute", StageRules, "rules", "teams", "budgets", "plans", "expenses", "complaints"),
	on("OnRecordUpdateExecute", StageLocation, "location", "customers", "visits"),
	on("OnRecordUpdateExecute", StageCare, "next_visit", "customers"),
	on("OnRecordUpdateExecute", StageCare, "checkin", "visits"),
	on("OnRecordUpdateExecute", StageLabel, "label", "plans", "expenses"),
	[]Step{{"OnRecordUpdateExecute", StageVersion, "rapport.version", catalog.Versioned}},

	writers("OnRecordDeleteExecute", true),
	on("OnRecordDeleteExecute", StageOwner, "owner", catalog.Names(func(c *catalog.Collection) bool { return c.OwnerDeletes })...),
	on("OnRecordDeleteExecute", StageRules, "rules", "org_settings", "tier_policies", "plans", "expenses"),
	on("OnRecordDeleteExecute", StageInUse, "in_use", catalog.Names(func(c *catalog.Collection) bool { return c.InUse != "" })...),
	on("OnRecordDeleteExecute", StageInUse, "held_by", catalog.Names(func(c *catalog.Collection) bool { return c.HeldBy != nil })...),
	[]Step{{"OnRecordDeleteExecute", StageUnlink, "rapport.unlink", catalog.Guarded}},
)

// around are the steps every guarded write takes around its transaction.
func around(event, action string) []Step {
	steps := []Step{{event, StageRequire, "rapport.actor.require." + action + ":" + strings.Join(catalog.Guarded, ","), catalog.Guarded}}
	if action != "delete" {
		steps = append(steps, Step{event, StageServerFields, "rapport.server_fields", catalog.Guarded})
	}
	return append(steps, Step{event, StageTx, "rapport.tx", catalog.Guarded})
}

// writers are the role checks of the collections with catalog Writers.
func writers(event string, deletes bool) []Step {
	return on(event, StageWriters, "writers", catalog.Names(func(c *catalog.Collection) bool {
		return c.Writers != nil && (deletes || !c.Writers.DeleteOnly)
	})...)
}

func concat(lists ...[]Step) []Step {
	var all []Step
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// bind binds fn on h as handler id of stage st. The Id is unique on the
// event (one bound again replaces it) and names the handler in Pipeline.
func bind[T hook.Tagger](h *hook.TaggedHook[T], st Stage, id string, fn func(T) error) {
	h.Bind(&hook.Handler[T]{Id: id, Priority: st.Priority, Func: fn})
}

// StageServe and StageAuth place the handlers of events outside the write
// pipeline (the server starting, PocketBase's auth routes): one each per
// event, so their order is not at stake.
var (
	StageServe = Stage{"serve", 0}
	StageAuth  = Stage{"auth", 0}
)

// bindUntagged is bind for the hooks of events that carry no collection.
func bindUntagged[T hook.Resolver](h *hook.Hook[T], st Stage, id string, fn func(T) error) {
	h.Bind(&hook.Handler[T]{Id: id, Priority: st.Priority, Func: fn})
}
