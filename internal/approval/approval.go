// Package approval routes plans and expenses up the management chain.
//
// The chain of a user is their `manager` if set, else their team's manager
// (or, when they manage that team themselves, the nearest ancestor team's
// manager who is someone else), then the same rule from that person upward.
// Inactive users are skipped (the walk continues through them) and a cycle
// ends the chain. When the chain runs out, any finance user decides.
package approval

import (
	"errors"
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/txstate"
)

// ErrNoFinance means the chain ran out and no active finance user exists.
var ErrNoFinance = errors.New("approval: no active finance user")

// Route is the approval chain of one requester.
type Route struct {
	app       core.App
	Requester string
	Chain     []*core.Record // approvers, nearest first
}

// For computes the route of requester (a users id).
func For(app core.App, requester string) *Route {
	return ForTeam(app, requester, "")
}

// ForTeam computes the route of a request of requester charged to team:
// the chain of the team the money comes from, so the manager who owns the
// charged budget decides. While team is the requester's own (or ""), that
// is their usual chain; for an expense charged to a team they have since
// left, the chain starts at that team's manager (their own `manager`
// belongs to their current place).
func ForTeam(app core.App, requester, team string) *Route {
	r := &Route{app: app, Requester: requester}
	newWalker(app, requester, team).walk(func(u *core.Record) bool {
		r.Chain = append(r.Chain, u)
		return true
	})
	return r
}

// walker climbs the chain one person at a time, loading each user and
// team once.
type walker struct {
	app       core.App
	requester string
	charged   string                  // the team the request is charged to ("": the requester's)
	found     map[string]*core.Record // by collection/id
}

func newWalker(app core.App, requester, charged string) *walker {
	return &walker{app: app, requester: requester, charged: charged, found: map[string]*core.Record{}}
}

func (w *walker) user(id string) *core.Record { return w.find("users", id) }

func (w *walker) team(id string) *core.Record { return w.find("teams", id) }

// find loads a record once per walk, and once per transaction until it
// writes the collection (nil when missing). The records are shared: read
// them only.
func (w *walker) find(collection, id string) *core.Record {
	key := collection + "/" + id
	if r, ok := w.found[key]; ok {
		return r
	}
	r, _ := txstate.ReadRecord(w.app, collection, id, func() (*core.Record, error) {
		r, _ := w.app.FindRecordById(collection, id)
		return r, nil
	})
	w.found[key] = r
	return r
}

// next is the id of the person above u ("" at the top).
func (w *walker) next(u *core.Record) string {
	team := u.GetString("team")
	if u.Id == w.requester && w.charged != "" && w.charged != team {
		team = w.charged // charged to a team they left: that team's chain
	} else if m := u.GetString("manager"); m != "" {
		return m
	}
	seen := []string{}
	for t := w.team(team); t != nil && !slices.Contains(seen, t.Id); t = w.team(t.GetString("parent")) {
		seen = append(seen, t.Id)
		if m := t.GetString("manager"); m != "" && m != u.Id {
			return m
		}
	}
	return ""
}

// walk calls visit with each active approver, nearest first, until visit
// returns false or the chain ends (top reached or a cycle).
func (w *walker) walk(visit func(u *core.Record) bool) {
	visited := map[string]bool{w.requester: true}
	for cur := w.user(w.requester); cur != nil; {
		id := w.next(cur)
		if id == "" || visited[id] {
			return
		}
		visited[id] = true
		cur = w.user(id)
		if cur != nil && cur.GetBool("active") && !visit(cur) {
			return
		}
	}
}

// First is the first approver of a request of requester charged to team
// (see ForTeam): the nearest active person in the chain, else finance. It
// climbs no further than needed.
func First(app core.App, requester, team string) (string, error) {
	first := ""
	newWalker(app, requester, team).walk(func(u *core.Record) bool {
		first = u.Id
		return false
	})
	if first != "" {
		return first, nil
	}
	return (&Route{app: app, Requester: requester}).Finance()
}

// Index is the position of user id in the chain, or -1.
func (r *Route) Index(id string) int {
	return slices.IndexFunc(r.Chain, func(u *core.Record) bool { return u.Id == id })
}

// Finance is the finance user who stands for "any finance user" as the
// recorded approver: the earliest created active one other than the
// requester, so the choice is deterministic.
func (r *Route) Finance() (string, error) {
	users, err := ActiveFinance(r.app)
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.Id != r.Requester {
			return u.Id, nil
		}
	}
	return "", ErrNoFinance
}

// IsFinance reports whether u is an active finance user.
func IsFinance(u *core.Record) bool {
	return u != nil && u.GetString("role") == "finance" && u.GetBool("active")
}

// Stands reports whether approver may still be the one a request of this
// requester waits for: an active user in the chain, or a finance user.
func (r *Route) Stands(approver *core.Record) bool {
	return approver != nil && approver.GetBool("active") && (r.Index(approver.Id) >= 0 || IsFinance(approver))
}

// MayDecide reports whether decider may decide while current is the
// required approver: the current approver themself while they stand,
// anyone above them in the chain (anyone in it, when current has left the
// chain), or, once the request is with finance, any finance user.
func (r *Route) MayDecide(decider, current *core.Record) bool {
	switch {
	case decider == nil || !decider.GetBool("active"):
		return false
	case current != nil && decider.Id == current.Id:
		return r.Stands(current)
	case r.AtFinance(current) && IsFinance(decider):
		return true
	case current == nil || current.GetString("role") == "finance":
		return false
	}
	return r.Index(decider.Id) > r.Index(current.Id)
}

// AtFinance reports whether the request waits for finance: the current
// approver is a finance user, or no longer part of the chain.
func (r *Route) AtFinance(current *core.Record) bool {
	return current == nil || current.GetString("role") == "finance" || r.Index(current.Id) < 0
}

// Outcome is the effect of one approval.
type Outcome struct {
	Final bool   // the request is approved
	Next  string // the next approver when not final
}

// Approve works out what an approval by decider means for a request of
// amount waiting on current. A decider whose approval_limit covers the
// amount, or finance at the end of the chain, gives the final approval;
// otherwise the request moves to the next person above the decider. With
// financeReview (escalate mode) a final approval by someone other than
// finance is followed by one more level: finance.
func (r *Route) Approve(decider, current *core.Record, amount int64, financeReview bool) (Outcome, error) {
	byFinance := r.AtFinance(current) && IsFinance(decider)
	final := byFinance || int64(decider.GetInt("approval_limit")) >= amount
	if final {
		if financeReview && !IsFinance(decider) {
			next, err := r.Finance()
			return Outcome{Next: next}, err
		}
		return Outcome{Final: true}, nil
	}
	if i := r.Index(decider.Id); i >= 0 && i+1 < len(r.Chain) {
		return Outcome{Next: r.Chain[i+1].Id}, nil
	}
	next, err := r.Finance()
	return Outcome{Next: next}, err
}

// ActiveFinance lists the active finance users, earliest created first:
// at the finance level each of them has the request in their queue.
func ActiveFinance(app core.App) ([]*core.Record, error) {
	return app.FindRecordsByFilter("users", "role = 'finance' && active = true", "created,id", 0, 0)
}

// InQueueOf reports whether a request of requester waiting for approver is
// in user's queue: it waits for them, or for "any finance user" (its
// approver is one) and user is another active finance user than the
// requester. Any of them may decide it; the first decision wins.
func InQueueOf(approver, user *core.Record, requester string) bool {
	switch {
	case approver == nil || user == nil:
		return false
	case approver.Id == user.Id:
		return true
	}
	return approver.GetString("role") == "finance" && IsFinance(user) && user.Id != requester
}
