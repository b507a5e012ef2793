package report

import (
	"fmt"
	"strings"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/security"
)

// scope is the condition that limits alias (a table alias of collection in
// a report query) to the records the caller may list through the records
// API. It is the collection's own ListRule, resolved for the caller by
// PocketBase's record field resolver exactly as apis/record_crud.go does,
// so reports never hold a second copy of who sees what. A nil condition
// means everything.
func scope(app core.App, auth *core.Record, collection, alias string) (dbx.Expression, error) {
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	if auth.IsSuperuser() {
		return nil, nil // list rules do not apply to superusers
	}
	if c.ListRule == nil {
		return dbx.NewExp("0"), nil // superusers only
	}
	rule := *c.ListRule
	switch ruleFor(rule, auth) {
	case yes:
		// The rule holds for every record (finance and admin): no
		// subquery, so a report over a million rows costs what its
		// GROUP BY costs.
		return nil, nil
	case no:
		return dbx.NewExp("0"), nil
	}
	info := &core.RequestInfo{Auth: auth, Method: "GET", Context: core.RequestInfoContextDefault}
	resolver := core.NewRecordFieldResolver(app, c, info, true)
	expr, err := search.FilterData(rule).BuildExpr(resolver)
	if err != nil {
		return nil, fmt.Errorf("%s list rule: %w", collection, err)
	}
	// Correlated: the rule is checked for the rows the report reads (a
	// range), not for the whole table first.
	same := app.DB().Select(c.Name + ".id").From(c.Name).
		Where(dbx.NewExp("[[" + c.Name + ".id]] = [[" + alias + ".id]]")).AndWhere(expr)
	if err := resolver.UpdateQuery(same); err != nil {
		return nil, err
	}
	sql, params := embeddable(same)
	return dbx.NewExp("EXISTS ("+sql+")", params), nil
}

// embeddable returns the SQL and parameters of sub for use inside another
// query. dbx names the parameters of each query it builds p0, p1…, so
// they are renamed apart from the outer query's.
func embeddable(sub *dbx.SelectQuery) (string, dbx.Params) {
	built := sub.Build()
	sql, params := built.SQL(), dbx.Params{}
	prefix := "sub" + security.PseudorandomString(6) + "_"
	for name, v := range built.Params() {
		sql = strings.ReplaceAll(sql, "{:"+name+"}", "{:"+prefix+name+"}")
		params[prefix+name] = v
	}
	return sql, params
}

// limit restricts sel to the records of collection (aliased alias in sel)
// the caller may list.
func (q *Query) limit(sel *dbx.SelectQuery, collection, alias string) error {
	cond, err := scope(q.App, q.Auth, collection, alias)
	if cond != nil {
		sel.AndWhere(cond)
	}
	return err
}

// verdict is what a rule says for every record, given only the caller.
type verdict int

const (
	depends verdict = iota
	yes
	no
)

// ruleFor evaluates the parts of rule that name only the caller
// (@request.auth.<field> against a literal). It answers yes or no when they
// settle the rule for every record, else depends. A group that mixes && and
// || is never simplified: the resolver then applies the whole rule.
func ruleFor(rule string, auth *core.Record) verdict {
	groups, err := fexpr.Parse(rule)
	if err != nil {
		return depends
	}
	return groupsFor(groups, auth)
}

func groupsFor(groups []fexpr.ExprGroup, auth *core.Record) verdict {
	var join fexpr.JoinOp
	results := make([]verdict, 0, len(groups))
	for i, g := range groups {
		if i > 0 {
			if join != "" && g.Join != join {
				return depends
			}
			join = g.Join
		}
		switch item := g.Item.(type) {
		case fexpr.Expr:
			results = append(results, exprFor(item, auth))
		case []fexpr.ExprGroup:
			results = append(results, groupsFor(item, auth))
		default:
			return depends
		}
	}
	if join == fexpr.JoinOr {
		return combine(results, yes, no)
	}
	return combine(results, no, yes)
}

// combine folds verdicts: decisive settles it (false in an AND, true in an
// OR); the result is neutral only when every verdict is.
func combine(results []verdict, decisive, neutral verdict) verdict {
	all := true
	for _, r := range results {
		if r == decisive {
			return decisive
		}
		all = all && r == neutral
	}
	if all {
		return neutral
	}
	return depends
}

func exprFor(e fexpr.Expr, auth *core.Record) verdict {
	left, okL := static(e.Left, auth)
	right, okR := static(e.Right, auth)
	if !okL || !okR {
		return depends
	}
	switch e.Op {
	case fexpr.SignEq:
		return truth(left == right)
	case fexpr.SignNeq:
		return truth(left != right)
	}
	return depends
}

func truth(b bool) verdict {
	if b {
		return yes
	}
	return no
}

// static is the value of a token that does not depend on the record: a
// text literal or a plain field of the caller's own record.
func static(t fexpr.Token, auth *core.Record) (string, bool) {
	switch t.Type {
	case fexpr.TokenText:
		return t.Literal, true
	case fexpr.TokenIdentifier:
		const prefix = "@request.auth."
		if len(t.Literal) <= len(prefix) || t.Literal[:len(prefix)] != prefix {
			return "", false
		}
		switch field := t.Literal[len(prefix):]; field {
		case "id":
			return auth.Id, true
		case "collectionName":
			return auth.Collection().Name, true
		default:
			f := auth.Collection().Fields.GetByName(field)
			if f == nil || f.Type() == core.FieldTypeRelation || f.Type() == core.FieldTypePassword {
				return "", false
			}
			return auth.GetString(field), true
		}
	}
	return "", false
}
