package hooks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
	"rapport/internal/violation"
)

// bindDeletes refuses to delete a team, customer or user still in use
// (catalog InUse), naming what uses it. Left to PocketBase, the delete
// would cascade into records that refuse it with a message about
// themselves (approvals and the audit log are permanent), fail on a
// required relation with no word of which, or silently unset an optional
// one (members left without a team, hence without approvers).
//
// It also refuses to delete the records that expenses hold by a link
// (catalog HeldBy): a draft plan with expenses on it (PocketBase refused
// its delete with a message about required relations), a visit an expense
// names (PocketBase tried to unlink it from each expense, and the
// expense's rules answered about that expense, which may be another
// rep's). That refusal counts the expenses and names none: they may be
// records the caller cannot see.
func bindDeletes(app core.App) {
	for _, c := range catalog.All {
		if c.InUse != "" {
			bind(app.OnRecordDeleteExecute(c.Name), StageInUse, "rapport."+c.Name+".in_use", func(e *core.RecordEvent) error {
				return notInUse(e, c.InUse)
			})
		}
		if c.HeldBy != nil {
			bind(app.OnRecordDeleteExecute(c.Name), StageInUse, "rapport."+c.Name+".held_by", func(e *core.RecordEvent) error {
				return notHeld(e, c.HeldBy)
			})
		}
	}
}

// notInUse refuses the delete of a record others point at; hint says what
// to do instead.
func notInUse(e *core.RecordEvent, hint string) error {
	uses, err := usesOf(e.App, e.Record)
	if err != nil {
		return err
	}
	if len(uses) > 0 {
		collection := e.Record.Collection().Name
		return violation.New("id", "locked", "%s %q is still used by %s. %s",
			strings.TrimSuffix(strings.ToUpper(collection[:1])+collection[1:], "s"), e.Record.GetString("name"), strings.Join(uses, ", "), hint)
	}
	return e.Next()
}

// notHeld refuses the delete of a record expenses name.
func notHeld(e *core.RecordEvent, held *catalog.Hold) error {
	n, err := e.App.CountRecords("expenses", dbx.HashExp{held.Field: e.Record.Id})
	if err != nil {
		return err
	}
	if n > 0 {
		return violation.New("id", "locked", held.Message, plural(n, "expense"))
	}
	return e.Next()
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// usesOf counts, per collection, the records whose relations point at r.
func usesOf(app core.App, r *core.Record) ([]string, error) {
	refs, err := app.FindCollectionReferences(r.Collection())
	if err != nil {
		return nil, err
	}
	collections := slices.SortedFunc(maps.Keys(refs), func(a, b *core.Collection) int { return strings.Compare(a.Name, b.Name) })
	var uses []string
	for _, c := range collections {
		var pointing []string
		for _, f := range refs[c] {
			name := "[[" + c.Name + "." + f.GetName() + "]]"
			if rel, ok := f.(*core.RelationField); ok && rel.IsMultiple() {
				pointing = append(pointing, "EXISTS (SELECT 1 FROM json_each("+name+") WHERE json_each.value = {:id})")
			} else {
				pointing = append(pointing, name+" = {:id}")
			}
		}
		var n int
		err := app.DB().Select("COUNT(*)").From(c.Name).
			Where(dbx.NewExp("("+strings.Join(pointing, " OR ")+") AND [[id]] != {:id}", dbx.Params{"id": r.Id})).Row(&n)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			uses = append(uses, fmt.Sprintf("%s (%d)", c.Name, n))
		}
	}
	return uses, nil
}
