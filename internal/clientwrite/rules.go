package clientwrite

import (
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/forms"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"

	"rapport/internal/violation"
)

// The records API evaluates a collection's API rules itself; a client
// write path of its own evaluates them here, with the same outcomes: no
// rule (superusers only) is 403, a record the caller may not change is 404,
// a create the rule refuses is 400 "Failed to create record.". A rule whose
// query fails returns that error, for the caller to retry, never a
// refusal. Only users write through such a path (no superuser bypass).

// Find loads the record id of c that the caller (info) may change under
// rule (c's update or delete rule), through PocketBase's rule machinery.
// A rule that reads the request body gets it as the records API gives it,
// with its modifiers resolved against the record ("amount+": 100 is the
// new amount): the record first, then the rule (CanAccessRecord), as
// PocketBase's update handler does. Any other rule is the lookup's filter:
// one query.
func Find(tx core.App, info *core.RequestInfo, c *core.Collection, rule *string, id string, data map[string]any) (*core.Record, error) {
	if rule == nil {
		return nil, superusersOnly()
	}
	if !readsBody(*rule) {
		return found(tx.FindRecordById(c, id, func(q *dbx.SelectQuery) error {
			return filter(tx, info, c, *rule, q)
		}))
	}
	r, err := found(tx.FindRecordById(c, id))
	if err != nil {
		return nil, err
	}
	info.Body = r.ReplaceModifiers(data)
	switch ok, err := tx.CanAccessRecord(r, info, rule); {
	case err != nil:
		return nil, err
	case !ok:
		return nil, router.NewNotFoundError("", nil)
	}
	return r, nil
}

// readsBody tells a rule that reads the request body (@request.body.…).
func readsBody(rule string) bool { return strings.Contains(rule, "@request.body") }

// filter narrows q to the records rule lets the caller (info) reach, with
// PocketBase's field resolver, as its records API does.
func filter(tx core.App, info *core.RequestInfo, c *core.Collection, rule string, q *dbx.SelectQuery) error {
	if rule == "" {
		return nil
	}
	resolver := core.NewRecordFieldResolver(tx, c, info, true)
	expr, err := search.FilterData(rule).BuildExpr(resolver)
	if err != nil {
		return err
	}
	q.AndWhere(expr)
	return resolver.UpdateQuery(q)
}

// found answers a record that does not exist, or that the caller may not
// reach, 404; a failing query keeps its error.
func found(r *core.Record, err error) (*core.Record, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, router.NewNotFoundError("", nil)
	}
	return r, err
}

// New is the record a create makes, with the id the client generated
// (required: the client's later writes and relations point at it), data
// loaded into it as the records API loads it, once c's create rule allows
// it; the form saves it.
func New(tx core.App, info *core.RequestInfo, c *core.Collection, id string, data map[string]any) (*core.Record, *forms.RecordUpsert, error) {
	if c.CreateRule == nil {
		return nil, nil, superusersOnly()
	}
	if id == "" {
		return nil, nil, violation.New("recordId", "validation_required", "A create needs the record id the client generated.")
	}
	r := core.NewRecord(c)
	r.Id = id
	if readsBody(*c.CreateRule) {
		info.Body = r.ReplaceModifiers(data)
	}
	form := forms.NewRecordUpsert(tx, r)
	form.Load(data)
	switch ok, err := mayCreate(tx, info, r); {
	case err != nil:
		return nil, nil, err
	case !ok:
		return nil, nil, router.NewBadRequestError("Failed to create record.", nil)
	}
	return r, form, nil
}

func superusersOnly() error {
	return router.NewForbiddenError("Only superusers can perform this action.", nil)
}

// mayCreate evaluates the create rule against the new record r the way the
// records API does: r's values as a one-row table (a CTE) under the rule.
// PocketBase runs that query inline in its create handler and exports no
// helper for it (CanAccessRecord reads a stored row), so this is the one
// copy of it; its columns come in a fixed order, so that the statement has
// the same text each time and stays prepared (internal/dbconn).
func mayCreate(tx core.App, info *core.RequestInfo, r *core.Record) (bool, error) {
	c := r.Collection()
	if *c.CreateRule == "" {
		return true, nil
	}
	export, err := r.DBExport(tx)
	if err != nil {
		return false, err
	}
	params := dbx.Params{}
	selects := make([]string, 0, len(export))
	for _, k := range slices.Sorted(maps.Keys(export)) {
		params["__sync_"+k] = export[k]
		selects = append(selects, "{:__sync_"+k+"} AS [["+k+"]]")
	}
	dummy := *c
	dummy.Id += "__sync_create"
	dummy.Name += "__sync_create"
	q := tx.DB().Select("(1)").
		PreFragment("WITH {{" + dummy.Name + "}} AS (SELECT " + strings.Join(selects, ",") + ")").
		From(dummy.Name).AndBind(params)
	if err := filter(tx, info, &dummy, *dummy.CreateRule, q); err != nil {
		return false, err
	}
	var exists int
	err = q.Limit(1).Row(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return exists > 0, err
}
