// Package catalog is the one description of Rapport's collections: for each,
// whose record it is, who sees it, which fields only the server writes,
// whether it is versioned, audited and synced, who may change it and what
// stops its delete. The rules (hooks), the sync audiences and snapshot, the
// flows and the list rules read these facts here and restate none of them;
// catalog_test.go proves the stored list rules are the ones Seen renders.
package catalog

// Collection describes one collection.
type Collection struct {
	Name string

	// Owner is the user field naming whose record it is (a customer's owner,
	// a visit's rep): they see it and act on it; the record follows their
	// team unless TeamFixed says otherwise.
	Owner string
	// FollowsOwner: `team` is the owner's team, re-derived when they move.
	FollowsOwner bool
	// Reassigned lists the statuses in which the record moves to a
	// customer's new owner with the customer; history stays with its rep.
	Reassigned []string
	// Approvable records wait for approvers: `approver`, `approval_level`
	// and `deciders`, decided by creating approvals.
	Approvable bool
	// OwnerDeletes: only the owner deletes the record (the server,
	// superusers and admins act for them); others who see it may not.
	OwnerDeletes bool

	// ServerFields are written by the server only; a client's value is
	// refused unless it equals what the server derives.
	ServerFields []string
	// Versioned records carry a server `version`, +1 on every write.
	Versioned bool
	// Guarded writes run in a rule transaction and must name their writer.
	Guarded bool
	// Audited writes leave an entry in the audit chain.
	Audited bool
	// Synced collections are pulled and pushed through sync, in the order of
	// All (the snapshot order).
	Synced bool

	// Writers, when set, are the only roles that change or delete the
	// records others see.
	Writers *Writers
	// InUse is what to do instead of deleting a record others still point
	// at ("" = PocketBase's own relation handling).
	InUse string
	// HeldBy refuses deleting a record that expenses name.
	HeldBy *Hold

	// Located is the point field that location_crs speaks of: written in
	// a Chinese map datum, it is stored as WGS-84.
	Located string

	// Seen says who sees the record: the list and view rules render it
	// (Seen.Rule), sync derives its audiences and snapshot from it.
	Seen Seen
}

// Writers restricts changes to roles.
type Writers struct {
	Roles      []string
	DeleteOnly bool   // only deletes are restricted; updates follow the rules
	Refusal    string // what everyone else is told
}

// Hold is a link from expenses that keeps a record.
type Hold struct {
	Field   string // the expenses field
	Message string // %s is the count ("2 expenses")
}

// Collections in snapshot order for the synced ones.
var All = []Collection{
	{Name: "users", Guarded: true, Audited: true,
		Writers: &Writers{Roles: []string{"admin"}, DeleteOnly: true, Refusal: "Only admins delete accounts; ask an admin to deactivate it instead."},
		InUse:   "Deactivate the account instead (active = false): it stays on the records that name it.",
		Seen:    Seen{Self: true, TeamViewers: true, Staff: true}},
	{Name: "teams", Versioned: true, Guarded: true, Audited: true,
		ServerFields: []string{"viewers", "ancestors", "version"},
		Writers:      &Writers{Roles: []string{"admin"}, Refusal: "Only admins change or delete teams."},
		InUse:        "Move them to another team first.",
		Seen:         Seen{Everyone: true}},
	{Name: "org_settings", Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"version"},
		Writers:      &Writers{Roles: []string{"admin"}, Refusal: "Only admins change the org settings."},
		Seen:         Seen{Everyone: true}},
	{Name: "tier_policies", Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"version"},
		Writers:      &Writers{Roles: []string{"admin"}, Refusal: "Only admins change tier policies."},
		Seen:         Seen{Everyone: true}},
	{Name: "budgets", Owner: "rep", Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"committed", "spent", "period_end", "version"},
		Writers:      &Writers{Roles: []string{"finance", "admin"}, Refusal: "Only finance and admins change or delete budgets."},
		Seen: Seen{EveryoneWhen: &Cond{"scope", "org"}, Owner: true, OwnerTeamViewers: true, TeamViewers: true,
			MembersWhen: &Cond{"scope", "team"}, Staff: true}},
	{Name: "customers", Owner: "owner", FollowsOwner: true, Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"team", "last_visit_at", "next_visit_due", "satisfaction_avg", "version"},
		Writers:      &Writers{Roles: []string{"admin"}, DeleteOnly: true, Refusal: "Only admins delete customers; mark the customer dormant or lost instead."},
		InUse:        "Mark the customer dormant or lost instead.",
		Located:      "location",
		Seen:         Seen{Owner: true, TeamViewers: true, Staff: true}},
	{Name: "plans", Owner: "owner", FollowsOwner: true, OwnerDeletes: true, Reassigned: []string{"draft", "submitted", "approved"}, Approvable: true,
		Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"owner", "approved_budget", "approver", "approved_by", "approved_at", "approval_level", "finance_review",
			"committed", "spent", "decision_note", "team", "deciders", "version", "label"},
		HeldBy: &Hold{"plan", "This plan has %s recorded against it; delete those drafts first (once approved, a plan is closed rather than deleted)."},
		Seen:   Seen{Owner: true, Approvers: true, TeamViewers: true, Staff: true}},
	{Name: "visits", Owner: "rep", FollowsOwner: true, OwnerDeletes: true, Reassigned: []string{"scheduled"}, Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"rep", "checkin_distance_m", "checkin_result", "source", "team", "survey_rating", "survey_comment", "survey_at",
			"occasion", "version"}, Located: "checkin_location",
		HeldBy: &Hold{"visit", "This visit is linked to %s and stays on record for them; a visit that will not take place can be marked cancelled instead."},
		Seen:   Seen{Owner: true, TeamViewers: true, Staff: true}},
	{Name: "expenses", Owner: "rep", FollowsOwner: true, OwnerDeletes: true, Approvable: true, Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"rep", "customer", "receipt_sha256", "approver", "approval_level", "finance_review", "flags", "submitted_at",
			"approved_at", "paid_at", "decision_note", "team", "deciders", "version", "label"},
		Seen: Seen{Owner: true, Approvers: true, TeamViewers: true, Staff: true}},
	{Name: "approvals", Owner: "approver", Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"approver", "level", "final", "version"},
		Seen:         Seen{Owner: true, Via: []Link{{"plan", "plans"}, {"expense", "expenses"}}, Staff: true}},
	{Name: "complaints", Owner: "owner", FollowsOwner: true, Reassigned: []string{"open", "acknowledged"},
		Versioned: true, Guarded: true, Audited: true, Synced: true,
		ServerFields: []string{"owner", "team", "response_due", "responded_at", "resolved_at", "breached", "version"},
		Seen:         Seen{Owner: true, TeamViewers: true, Staff: true}},
	{Name: "notifications", Owner: "user", Synced: true,
		Seen: Seen{Owner: true}},
	{Name: "audit_log", Guarded: true,
		Seen: Seen{Staff: true}},
}

// Get returns the collection named name, nil when it is not Rapport's.
func Get(name string) *Collection {
	for i := range All {
		if All[i].Name == name {
			return &All[i]
		}
	}
	return nil
}

// Names lists, in the order of All, the collections for which keep holds.
func Names(keep func(*Collection) bool) []string {
	var names []string
	for i := range All {
		if keep(&All[i]) {
			names = append(names, All[i].Name)
		}
	}
	return names
}

// Named lists of the collections with each property.
var (
	Versioned = Names(func(c *Collection) bool { return c.Versioned })
	Guarded   = Names(func(c *Collection) bool { return c.Guarded })
	Audited   = Names(func(c *Collection) bool { return c.Audited })
	Synced    = Names(func(c *Collection) bool { return c.Synced })
)

// DecisionField is the approvals field that names a record of collection
// (plans → "plan"): whoever decides it is the approver of such an approval.
func DecisionField(collection string) string {
	for _, l := range Get("approvals").Seen.Via {
		if l.Collection == collection {
			return l.Field
		}
	}
	return ""
}
