package catalog

import "strings"

// Seen says who may see a record, grant by grant; a record is visible to
// whoever any grant names. Rule renders it as the collection's list and view
// rule; sync resolves the same grants to audience keys and snapshot queries.
type Seen struct {
	Everyone     bool  // every signed-in user
	EveryoneWhen *Cond // every signed-in user, for the records matching
	Self         bool  // the account itself (users)
	Owner        bool  // the user the Owner field names
	Approvers    bool  // its current approver and everyone who decided it
	// Via: whoever sees the linked record as its owner, decider or team
	// manager (an approval is seen with the plan or expense it decides).
	Via              []Link
	OwnerTeamViewers bool  // managers of the owner's team and its ancestors
	TeamViewers      bool  // managers of the record's team and its ancestors
	MembersWhen      *Cond // members of the record's team and its sub-teams, for the records matching
	Staff            bool  // finance and admin
}

// Cond is a field equal to a value.
type Cond struct{ Field, Value string }

// Link is a relation field and the collection it points to.
type Link struct{ Field, Collection string }

// StaffRoles see every record of the collections that grant Staff.
var StaffRoles = []string{"finance", "admin"}

const (
	me       = "@request.auth.id"
	signedIn = `@request.auth.id != "" && @request.auth.collectionName = "users"`
)

// Rule renders s for collection owner field owner as a PocketBase rule.
func (s Seen) Rule(owner string) string {
	if s.Everyone {
		return signedIn
	}
	var arms []string
	if s.EveryoneWhen != nil {
		arms = append(arms, s.EveryoneWhen.filter())
	}
	if s.Self {
		arms = append(arms, "id = "+me)
	}
	if s.Owner {
		arms = append(arms, owner+" = "+me)
	}
	if s.Approvers {
		arms = append(arms, "approver = "+me, "deciders.id ?= "+me)
	}
	arms = append(arms, s.viaArms()...)
	if s.OwnerTeamViewers {
		arms = append(arms, owner+".team.viewers.id ?= "+me)
	}
	if s.TeamViewers {
		arms = append(arms, "team.viewers.id ?= "+me)
	}
	if s.MembersWhen != nil {
		arms = append(arms, "("+s.MembersWhen.filter()+" && @request.auth.team.ancestors.id ?= team)")
	}
	if s.Staff {
		for _, role := range StaffRoles {
			arms = append(arms, `@request.auth.role = "`+role+`"`)
		}
	}
	if len(arms) == 1 {
		return signedIn + " && " + arms[0]
	}
	return signedIn + " && (" + strings.Join(arms, " || ") + ")"
}

// viaArms grant sight of a record to whoever decided, owns or manages the
// team of the record it links to.
func (s Seen) viaArms() []string {
	var deciders, owners, viewers []string
	for _, l := range s.Via {
		target := Get(l.Collection)
		if target.Approvable {
			deciders = append(deciders, l.Field+".deciders.id ?= "+me)
		}
		if target.Seen.Owner {
			owners = append(owners, l.Field+"."+target.Owner+" = "+me)
		}
		if target.Seen.TeamViewers {
			viewers = append(viewers, l.Field+".team.viewers.id ?= "+me)
		}
	}
	return append(append(deciders, owners...), viewers...)
}

func (c Cond) filter() string { return c.Field + ` = "` + c.Value + `"` }

// Holds reports whether r's field value makes the condition true.
func (c *Cond) Holds(get func(field string) string) bool {
	return c != nil && get(c.Field) == c.Value
}

// Rule is the collection's list and view rule.
func (c *Collection) Rule() string { return c.Seen.Rule(c.Owner) }
