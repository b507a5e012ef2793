package hooks

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"

	"rapport/internal/input"
	"rapport/internal/violation"
)

// Who sees an account is the users view rule (migration 1700000020): your
// own, those of the teams you manage, and every account for finance and
// admins. PocketBase checks that rule on view, list, expand and realtime,
// but not on a filter or sort that reaches an account through a relation:
// `approver.approval_limit > 100000` on a rep's own expenses would tell
// the rep their approver's limit. So a client's filter or sort (records
// list and realtime subscriptions) may read, of an account reached through
// a relation, only its id and name, unless the caller sees every account
// (finance, admins, superusers). A colleague's name is no secret
// (refusals to deciders name the approver).
//
// The same check reads the filter and sort with PocketBase's own parser
// and field resolver, so one that cannot be read is a 400 saying what is
// wrong, not PocketBase's "Something went wrong while processing your
// request.".

// accountFieldsThroughRelations are the fields of a users record a filter
// or sort may read through a relation.
var accountFieldsThroughRelations = []string{"id", "name"}

// backRelation is PocketBase's `<collection>_via_<field>` path segment.
var backRelation = regexp.MustCompile(`^(\w+)_via_\w+$`)

func bindReads(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			// after the auth token is loaded, before the records API
			Priority: apis.DefaultBodyLimitMiddlewarePriority + 1,
			Func: func(e *core.RequestEvent) error {
				if e.Request.Method != http.MethodGet {
					return e.Next()
				}
				name, ok := listedCollection(e.Request.URL.Path)
				if !ok {
					return e.Next()
				}
				c, err := e.App.FindCachedCollectionByNameOrId(name)
				if err != nil {
					return e.Next() // PocketBase answers 404
				}
				info, err := e.RequestInfo()
				if err != nil {
					return e.Next() // PocketBase answers for a body it cannot read
				}
				if err := checkPaging(info.Query); err != nil {
					return err
				}
				if err := checkQuery(e.App, c, info); err != nil {
					return err
				}
				return e.Next()
			},
		})
		return se.Next()
	})

	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		for _, sub := range e.Subscriptions {
			topic, query := subscription(sub)
			if query["filter"] == "" && query["sort"] == "" {
				continue
			}
			name, _, _ := strings.Cut(topic, "/")
			c, err := e.App.FindCachedCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			if err := checkQuery(e.App, c, &core.RequestInfo{Auth: e.Auth, Query: query}); err != nil {
				return err
			}
		}
		return e.Next()
	})
}

// listedCollection is the collection of a records list path
// (/api/collections/{collection}/records).
func listedCollection(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/collections/")
	if !ok {
		return "", false
	}
	name, tail, _ := strings.Cut(rest, "/")
	return name, name != "" && strings.TrimSuffix(tail, "/") == "records"
}

// subscription splits a realtime subscription into its topic and the
// query of its options (`expenses/*?options={"query":{"filter":"..."}}`).
func subscription(sub string) (string, map[string]string) {
	topic, raw, _ := strings.Cut(sub, "?")
	query := map[string]string{}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return topic, query
	}
	var options struct {
		Query map[string]any `json:"query"`
	}
	if input.DecodeExact([]byte(values.Get("options")), &options) != nil {
		return topic, query
	}
	for k, v := range options.Query {
		query[k] = fmt.Sprint(v)
	}
	return topic, query
}

// checkQuery reads the filter and sort of a list or subscription on c as
// PocketBase will, refusing what cannot be read (400) and what reads
// accounts the caller does not see (403).
func checkQuery(app core.App, c *core.Collection, info *core.RequestInfo) error {
	resolver := core.NewRecordFieldResolver(app, c, info, true)
	resolver.SetAllowHiddenFields(info.HasSuperuserAuth())
	guard := &readGuard{RecordFieldResolver: resolver, app: app, collection: c, restricted: !seesAllAccounts(info)}
	if filter := info.Query[search.FilterQueryParam]; filter != "" {
		if _, err := search.FilterData(filter).BuildExpr(guard); err != nil {
			if guard.refused != nil { // the parser words the resolver's error its own way
				return guard.refused.err("filter")
			}
			return violation.New("filter", "invalid_filter", "The filter %q cannot be read: %s.", filter, strings.TrimSuffix(err.Error(), "."))
		}
	}
	sort := info.Query[search.SortQueryParam]
	if sort == "" {
		return nil
	}
	for _, field := range search.ParseSortFromString(sort) {
		if err := guard.check(field.Name); err != nil {
			return err.err("sort")
		}
		if _, err := field.BuildExpr(guard); err != nil {
			return violation.New("sort", "invalid_sort", "The sort cannot be read: %q is not a field of %s (or a relation's field) that can be sorted by; list fields separated by commas, - before a field for descending order.", field.Name, c.Name)
		}
	}
	return nil
}

// checkPaging refuses a list's page, perPage or skipTotal that PocketBase
// cannot read (it answers a bare "Something went wrong"); out-of-range
// numbers it reads are left to it (page -1 is the first page).
func checkPaging(query map[string]string) error {
	for _, name := range []string{search.PageQueryParam, search.PerPageQueryParam} {
		if raw, ok := query[name]; ok && raw != "" {
			if _, err := strconv.Atoi(raw); err != nil {
				return violation.New(name, "invalid_type", "%s takes a whole number, not %q.", name, raw)
			}
		}
	}
	if raw := query[search.SkipTotalQueryParam]; raw != "" {
		if _, err := strconv.ParseBool(raw); err != nil {
			return violation.New(search.SkipTotalQueryParam, "invalid_type", "%s takes true or false (or 1 or 0), not %q.", search.SkipTotalQueryParam, raw)
		}
	}
	return nil
}

func seesAllAccounts(info *core.RequestInfo) bool {
	if info.HasSuperuserAuth() {
		return true
	}
	role := ""
	if info.Auth != nil {
		role = info.Auth.GetString("role")
	}
	return role == "finance" || role == "admin"
}

// readGuard is PocketBase's field resolver refusing, when restricted,
// the fields of accounts reached through relations (other than
// accountFieldsThroughRelations).
type readGuard struct {
	*core.RecordFieldResolver
	app        core.App
	collection *core.Collection
	restricted bool
	refused    *hiddenRead // the first path refused
}

func (g *readGuard) Resolve(field string) (*search.ResolverResult, error) {
	if err := g.check(field); err != nil {
		if g.refused == nil {
			g.refused = err
		}
		return nil, err
	}
	return g.RecordFieldResolver.Resolve(field)
}

// check walks field's path (`approver.approval_limit`,
// `users_via_team.role`) from the guard's collection.
func (g *readGuard) check(field string) *hiddenRead {
	if !g.restricted || strings.HasPrefix(field, "@") { // @request, @collection: superusers only (PocketBase)
		return nil
	}
	c := g.collection
	for i, segment := range strings.Split(field, ".") {
		if c == nil {
			return nil // inside a JSON field
		}
		name, _, _ := strings.Cut(segment, ":") // modifiers: :each, :length, :lower…
		if i > 0 && c.Name == "users" && !slices.Contains(accountFieldsThroughRelations, name) {
			return &hiddenRead{path: field, field: name}
		}
		c = g.next(c, name)
	}
	return nil
}

// next is the collection a path segment of c leads to (nil: a plain field).
func (g *readGuard) next(c *core.Collection, name string) *core.Collection {
	target := ""
	if rel, ok := c.Fields.GetByName(name).(*core.RelationField); ok {
		target = rel.CollectionId
	} else if m := backRelation.FindStringSubmatch(name); m != nil {
		target = m[1]
	}
	if target == "" {
		return nil
	}
	next, err := g.app.FindCachedCollectionByNameOrId(target)
	if err != nil {
		return nil
	}
	return next
}

// hiddenRead is a path that reads an account field through a relation.
type hiddenRead struct{ path, field string }

func (h *hiddenRead) Error() string { return "reads " + h.path }

func (h *hiddenRead) err(param string) *router.ApiError {
	return violation.Forbidden(param, "forbidden", "A %s cannot read %s: of a person reached through a relation, it may read only their id and name (their account is theirs, their managers' and finance's).", param, h.path)
}
