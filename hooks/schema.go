package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/org"
)

// Rapport's collections are its rules' anchors: every hook finds its
// collection by name and every rule reads fields by name and type. Through
// the collections API (the dashboard, PUT /api/collections/import) a
// superuser could delete one — the audit chain or every approval with it —
// or rename it, and the rules would silently stop applying to it.
//
// bindSchema refuses, with 400 and data.<key>.code = "locked", any
// collections API request that would
//   - delete, rename or retype a Rapport collection;
//   - remove, rename or retype one of Rapport's fields (matched by id, as
//     PocketBase matches them), or change an option its values depend on:
//     a select's values, a relation's target collection, one value vs
//     several (select, relation, file), a number's whole-number setting;
//   - loosen one of Rapport's fields past its definition in the migrations
//     (fieldLoosening): required, a number's min and max, a text's length
//     and pattern, a file's protection, count, size and types, hidden —
//     and hiding a field the migrations leave visible. Tightening is fine.
//
// Rapport's collections are Guarded (what the write pipeline binds to) plus
// every non-system collection Rapport's migrations create; Rapport's fields
// are the ones those migrations define. The migrations' schema comes from
// running the registered migrations once per process on a scratch database
// (migratedSchema), not from a list kept by hand. Fields and collections an
// admin added stay theirs to change and delete; API rules, indexes and the
// other field options stay editable, and rules are the admin's
// responsibility.
//
// These are request hooks: Rapport's own Go migrations (model-level saves)
// still change the schema freely.
func bindSchema(app core.App) {
	app.OnCollectionDeleteRequest().BindFunc(func(e *core.CollectionRequestEvent) error {
		if isRapportCollection(e.Collection.Name) {
			msg := fmt.Sprintf("%s cannot be deleted. Rapport's rules are bound to it by name; collections you created yourself can still be deleted.", partOfRapport(e.Collection.Name))
			return lockedError(msg, validation.Errors{"collection": validation.NewError("locked", msg)})
		}
		return e.Next()
	})

	app.OnCollectionUpdateRequest().BindFunc(func(e *core.CollectionRequestEvent) error {
		original, err := e.App.FindCollectionByNameOrId(asString(e.Collection.LastSavedPK()))
		if err != nil {
			return e.Next() // PocketBase answers for a collection it cannot find
		}
		if problems := schemaProblems(e.App, original, e.Collection); len(problems) > 0 {
			return problems.err()
		}
		return e.Next()
	})

	app.OnCollectionsImportRequest().BindFunc(func(e *core.CollectionsImportRequestEvent) error {
		problems, err := importProblems(e.App, e.CollectionsData, e.DeleteMissing)
		if err != nil {
			return e.BadRequestError("Failed to import collections.", err)
		}
		if len(problems) > 0 {
			// one key, as PocketBase reports import failures
			for i := range problems {
				problems[i].key = "collections"
			}
			return problems.err()
		}
		return e.Next()
	})
}

// collectionPurpose says, per collection, why an admin should not remove it.
var collectionPurpose = map[string]string{
	"users":         "its records are the accounts whose roles, teams and approval limits every rule reads",
	"teams":         "its records are the team tree that routes approvals and decides what managers see",
	"customers":     "its records are the customers that plans, visits and expenses belong to",
	"plans":         "its records are the maintenance plans whose approved budgets expenses spend",
	"visits":        "its records are the reps' visits and check-ins",
	"expenses":      "its records are the expenses whose approval, budgets and payment the server enforces",
	"approvals":     "its records are the approval decisions, which nobody may change or delete",
	"budgets":       "its records are the budgets every submission is checked against",
	"tier_policies": "its records are the tier policies that set customer tiers, limits and visit intervals",
	"org_settings":  "its record is the organisation's settings (currency, time zone, policy limits)",
	"audit_log":     "its records are the tamper-evident audit trail",
}

func partOfRapport(name string) string {
	purpose, ok := collectionPurpose[name]
	if !ok {
		purpose = "the server's rules are bound to it"
	}
	return name + " is part of Rapport: " + purpose + ", and it"
}

// isRapportCollection reports whether name is one of Rapport's collections.
func isRapportCollection(name string) bool {
	if slices.Contains(Guarded, name) {
		return true
	}
	migrated, err := migratedSchema()
	if err != nil {
		return false
	}
	c, ok := migrated[name]
	return ok && !c.System
}

// problem is one refused change: key is the error's data key.
type problem struct {
	key, msg string
}

type problems []problem

// err is the 400 answer: data.<key> = {code: "locked", message}; the
// message names every refused change.
func (ps problems) err() error {
	msgs := map[string][]string{}
	keys := []string{}
	all := make([]string, 0, len(ps))
	for _, p := range ps {
		if _, ok := msgs[p.key]; !ok {
			keys = append(keys, p.key)
		}
		msgs[p.key] = append(msgs[p.key], p.msg)
		all = append(all, p.msg)
	}
	data := validation.Errors{}
	for _, k := range keys {
		data[k] = validation.NewError("locked", strings.Join(msgs[k], " "))
	}
	return lockedError(strings.Join(all, " "), data)
}

// lockedError is PocketBase's 400 with the messages as written (PocketBase
// would capitalise them, and they start with a collection's name).
func lockedError(msg string, data validation.Errors) error {
	err := router.NewBadRequestError(msg, data)
	err.Message = msg
	for key, e := range data {
		if item, ok := err.Data[key].(map[string]any); ok {
			item["message"] = e.Error()
		}
	}
	return err
}

// schemaProblems lists what changing stored into changed would break, when
// stored is one of Rapport's collections.
func schemaProblems(app core.App, stored, changed *core.Collection) problems {
	if !isRapportCollection(stored.Name) {
		return nil
	}
	var ps problems
	name := stored.Name
	if changed.Id != stored.Id {
		ps = append(ps, problem{"id", fmt.Sprintf("%s cannot change its id.", partOfRapport(name))})
	}
	if changed.Name != name {
		ps = append(ps, problem{"name", fmt.Sprintf("%s cannot be renamed (to %q): the server's rules and the apps find it by its name. You can still add fields and edit its API rules and indexes.", partOfRapport(name), changed.Name)})
	}
	if changed.Type != stored.Type {
		ps = append(ps, problem{"type", fmt.Sprintf("%s cannot change from a %s to a %s collection.", partOfRapport(name), stored.Type, changed.Type)})
	}

	own, all := rapportFields(app, stored)
	fieldsLocked := false
	for _, f := range own {
		old := f.stored
		label := name + "." + old.GetName()
		nf := changed.Fields.GetById(old.GetId())
		switch {
		case nf == nil:
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be removed.", label)})
		case nf.GetName() != old.GetName():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot be renamed (to %q).", label, nf.GetName())})
		case nf.Type() != old.Type():
			ps = append(ps, problem{"fields", fmt.Sprintf("%s is one of Rapport's fields and cannot change type (%s to %s).", label, old.Type(), nf.Type())})
		default:
			if msg := optionProblem(label, f.migrated, old, nf); msg != "" {
				ps = append(ps, problem{"fields", msg})
			}
			for _, msg := range fieldLoosening(label, f.migrated, old, nf) {
				ps = append(ps, problem{"fields", msg})
			}
			continue
		}
		fieldsLocked = true
	}
	if fieldsLocked {
		reason := "The server's rules and the apps read and write Rapport's fields by name and type."
		if !all {
			reason += " Fields you added yourself can still be renamed or removed."
		}
		ps = append(ps, problem{"fields", reason})
	}
	return ps
}

// optionProblem is the refusal of an option change that the server's or the
// apps' handling of old's values depends on ("" when there is none).
func optionProblem(label string, migrated, old, changed core.Field) string {
	multiple := func(f core.Field) (bool, bool) {
		m, ok := f.(interface{ IsMultiple() bool })
		if !ok {
			return false, false
		}
		return m.IsMultiple(), true
	}
	if a, ok := multiple(old); ok {
		if b, _ := multiple(changed); a != b {
			holds := "one value"
			if a {
				holds = "several values"
			}
			return fmt.Sprintf("%s is one of Rapport's fields and must keep holding %s (max select).", label, holds)
		}
	}
	switch o := old.(type) {
	case *core.SelectField:
		m, _ := migrated.(*core.SelectField)
		n, ok := changed.(*core.SelectField)
		if !ok {
			break
		}
		var gone []string
		for _, v := range o.Values {
			if m != nil && slices.Contains(m.Values, v) && !slices.Contains(n.Values, v) {
				gone = append(gone, v)
			}
		}
		if len(gone) > 0 {
			return fmt.Sprintf("%s is one of Rapport's fields: its values %s are used by the server and the apps and cannot be removed (values can be added).", label, strings.Join(gone, ", "))
		}
	case *core.RelationField:
		if n, ok := changed.(*core.RelationField); ok && n.CollectionId != o.CollectionId {
			return fmt.Sprintf("%s is one of Rapport's fields and must keep pointing to the same collection.", label)
		}
	case *core.NumberField:
		m, _ := migrated.(*core.NumberField)
		if n, ok := changed.(*core.NumberField); ok && m != nil && m.OnlyInt && o.OnlyInt && !n.OnlyInt {
			return fmt.Sprintf("%s is one of Rapport's fields and must stay a whole number (money is in minor units, counts are counts).", label)
		}
	}
	return ""
}

// fieldLoosening lists the refusals of option changes that would let in
// values Rapport's migrations keep out of one of its fields: required, a
// number's min and max, a text's length and pattern, a file's protection,
// count, size and types, hidden. Only options the migrations set are
// compared, against migrated (the field as the migrations define it); a
// change is refused when it is looser than both migrated and old (the field
// as stored), so tightening stays allowed, and so does saving an option as
// it is stored.
//
// A field the migrations leave visible cannot be hidden either: PocketBase
// leaves hidden fields out of every answer to the apps (and so of sync
// pulls), drops the apps' writes to them and refuses their filters on them.
func fieldLoosening(label string, migrated, old, changed core.Field) []string {
	if migrated == nil || old == nil || changed == nil {
		return nil
	}
	var msgs []string
	refuse := func(format string, args ...any) {
		msgs = append(msgs, fmt.Sprintf("%s is one of Rapport's fields"+format, append([]any{label}, args...)...))
	}

	if isRequired(migrated) && isRequired(old) && !isRequired(changed) {
		refuse(" and must stay required, as Rapport's migrations define it (asked: not required): the server's rules and the apps count on every record having a value, and a missing one would be saved as zero or empty.")
	}
	switch mh, oh, nh := migrated.GetHidden(), old.GetHidden(), changed.GetHidden(); {
	case mh && oh && !nh:
		refuse(" and must stay hidden, as Rapport's migrations define it: its values are secrets that no answer may carry.")
	case !mh && !oh && nh:
		refuse(" and cannot be hidden: the apps read and write it, and PocketBase would leave it out of every answer to them (and of every sync pull), drop their writes to it and refuse their filters on it.")
	}

	switch m := migrated.(type) {
	case *core.NumberField:
		o, _ := old.(*core.NumberField)
		n, ok := changed.(*core.NumberField)
		if o == nil || !ok {
			break
		}
		if looserMin(n.Min, m.Min) && looserMin(n.Min, o.Min) {
			refuse(": its minimum is %s, as Rapport's migrations set it, and cannot be %s (a higher minimum is fine): %s.",
				numberText(*m.Min), boundChange("lowered to", n.Min), boundReason(*m.Min))
		}
		if looserMax(n.Max, m.Max) && looserMax(n.Max, o.Max) {
			refuse(": its maximum is %s, as Rapport's migrations set it, and cannot be %s (a lower maximum is fine): %s.",
				numberText(*m.Max), boundChange("raised to", n.Max), boundReason(*m.Max))
		}
	case *core.TextField:
		o, _ := old.(*core.TextField)
		n, ok := changed.(*core.TextField)
		if o == nil || !ok {
			break
		}
		if m.Min > 0 && n.Min < m.Min && n.Min < o.Min {
			refuse(": its minimum length is %d, as Rapport's migrations set it, and cannot be lowered to %d (a higher minimum is fine): the server and the apps count on values at least that long.", m.Min, n.Min)
		}
		if nm := textMax(n); m.Max > 0 && nm > m.Max && nm > textMax(o) {
			asked := fmt.Sprintf("raised to %d", n.Max)
			if n.Max <= 0 {
				asked = fmt.Sprintf("removed (PocketBase would then allow %d)", nm)
			}
			refuse(": its maximum length is %d, as Rapport's migrations set it, and cannot be %s (a lower maximum is fine): the server and the apps are built for values up to that length.", m.Max, asked)
		}
		if m.Pattern != "" && n.Pattern != m.Pattern && n.Pattern != o.Pattern {
			asked := "removed"
			if n.Pattern != "" {
				asked = `changed to "` + n.Pattern + `"`
			}
			refuse(`: its pattern "%s", as Rapport's migrations set it, cannot be %s: the server and the apps read its values in that shape (days as YYYY-MM-DD, currencies as three capital letters).`, m.Pattern, asked)
		}
	case *core.FileField:
		o, _ := old.(*core.FileField)
		n, ok := changed.(*core.FileField)
		if o == nil || !ok {
			break
		}
		if m.Protected && o.Protected && !n.Protected {
			refuse(" and must stay protected, as Rapport's migrations define it (asked: public): its files are shown only to those who may see the record, with a file token; public, anyone with a file's link could open it.")
		}
		// one file vs several is optionProblem's
		if m.IsMultiple() && n.IsMultiple() && n.MaxSelect > m.MaxSelect && n.MaxSelect > o.MaxSelect {
			refuse(": it holds at most %d files, as Rapport's migrations set it, and cannot be raised to %d (fewer is fine): the server and the apps are built for that many.", m.MaxSelect, n.MaxSelect)
		}
		if ns := fileMaxSize(n); m.MaxSize > 0 && ns > m.MaxSize && ns > fileMaxSize(o) {
			refuse(": its files are at most %s each, as Rapport's migrations set it, and the limit cannot be raised to %s (a lower one is fine): the apps upload and the server stores files up to that size.", byteSize(m.MaxSize), byteSize(ns))
		}
		if len(m.MimeTypes) > 0 {
			var gained []string
			if len(n.MimeTypes) == 0 {
				if len(o.MimeTypes) > 0 {
					gained = []string{"any type"}
				}
			} else {
				for _, t := range n.MimeTypes {
					if !hasMimeType(m.MimeTypes, t) && !hasMimeType(o.MimeTypes, t) {
						gained = append(gained, t)
					}
				}
			}
			if len(gained) > 0 {
				refuse(": its files may be %s, as Rapport's migrations set it, and cannot be opened to %s (removing types is fine): the apps show and the server checks only those.", strings.Join(m.MimeTypes, ", "), strings.Join(gained, ", "))
			}
		}
	}
	return msgs
}

// isRequired reads a field's Required option (every field type that has one
// names it so; PocketBase has no interface for it).
func isRequired(f core.Field) bool {
	v := reflect.Indirect(reflect.ValueOf(f))
	if v.Kind() != reflect.Struct {
		return false
	}
	r := v.FieldByName("Required")
	return r.IsValid() && r.Kind() == reflect.Bool && r.Bool()
}

// looserMin reports that min lets in values below ref (nil: no bound).
func looserMin(min, ref *float64) bool {
	return ref != nil && (min == nil || *min < *ref)
}

// looserMax reports that max lets in values above ref (nil: no bound).
func looserMax(max, ref *float64) bool {
	return ref != nil && (max == nil || *max > *ref)
}

func boundChange(verb string, bound *float64) string {
	if bound == nil {
		return "removed"
	}
	return verb + " " + numberText(*bound)
}

func boundReason(bound float64) string {
	if math.Abs(bound) == org.MaxWhole {
		return "past ±(2^53-1) whole numbers are no longer stored exactly"
	}
	return "the server's rules and the apps count on values within it (amounts above zero, counts never negative, ratings 1 to 5), and a zero or negative expense would free budget instead of spending it"
}

// textMax is the longest value a text field takes (PocketBase's default
// when Max is unset).
func textMax(f *core.TextField) int {
	if f.Max <= 0 {
		return 5000
	}
	return f.Max
}

// fileMaxSize is the largest file a file field takes (PocketBase's default
// when MaxSize is unset).
func fileMaxSize(f *core.FileField) int64 {
	if f.MaxSize <= 0 {
		return core.DefaultFileFieldMaxSize
	}
	return f.MaxSize
}

func byteSize(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func hasMimeType(types []string, t string) bool {
	return slices.ContainsFunc(types, func(s string) bool { return strings.EqualFold(s, t) })
}

// ownField is one of Rapport's fields on a stored collection, with its
// definition in the migrations.
type ownField struct {
	stored, migrated core.Field
}

// rapportFields returns the fields of stored that Rapport's migrations
// define (matched by name); all reports that the migrations' schema was not
// available and every stored field counts as Rapport's.
func rapportFields(app core.App, stored *core.Collection) (own []ownField, all bool) {
	migrated, err := migratedSchema()
	ref := migrated[stored.Name]
	if err != nil || ref == nil {
		if err != nil {
			app.Logger().Warn("schema guard: migrations' schema unavailable, every field of the collection is locked", "collection", stored.Name, "error", err)
		}
		for _, f := range stored.Fields {
			own = append(own, ownField{f, f})
		}
		return own, true
	}
	for _, mf := range ref.Fields {
		if f := stored.Fields.GetByName(mf.GetName()); f != nil {
			own = append(own, ownField{f, mf})
		}
	}
	return own, false
}

// importProblems applies PocketBase's import matching (core.ImportCollections:
// an entry updates the collection named by its id, else by its name; with
// deleteMissing, collections and non-system fields left out are deleted)
// without saving anything, and lists what it would break.
func importProblems(app core.App, entries []map[string]any, deleteMissing bool) (problems, error) {
	var ps problems
	kept := map[string]bool{}
	for _, entry := range entries {
		identifier := asString(entry["id"])
		if identifier == "" {
			identifier = asString(entry["name"])
		}
		existing, err := app.FindCollectionByNameOrId(identifier)
		if errors.Is(err, sql.ErrNoRows) {
			continue // a new collection
		}
		if err != nil {
			return nil, err
		}
		imported, err := app.FindCollectionByNameOrId(existing.Id) // a copy
		if err != nil {
			return nil, err
		}
		data := maps.Clone(entry)
		if data["fields"] == nil && deleteMissing {
			data["fields"] = []map[string]any{}
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, imported); err != nil {
			return nil, err
		}
		for _, f := range existing.Fields {
			if !f.GetSystem() && deleteMissing {
				continue
			}
			if imported.Fields.GetById(f.GetId()) == nil {
				if found := imported.Fields.GetByName(f.GetName()); found != nil && found.Type() == f.Type() {
					found.SetId(f.GetId())
				}
				imported.Fields.Add(f)
			}
		}
		kept[imported.Id] = true
		ps = append(ps, schemaProblems(app, existing, imported)...)
	}
	if deleteMissing {
		stored, err := app.FindAllCollections()
		if err != nil {
			return nil, err
		}
		for _, c := range stored {
			if !kept[c.Id] && !c.System && isRapportCollection(c.Name) {
				ps = append(ps, problem{"collections", fmt.Sprintf("%s cannot be deleted, and this import leaves it out while deleting missing collections. Export the collections again (or untick deleting missing ones) and import that.", partOfRapport(c.Name))})
			}
		}
	}
	return ps, nil
}

// asString reads an id or name as PocketBase's import does (cast.ToString).
func asString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// migratedSchema is the schema Rapport's migrations create, by collection
// name: the registered migrations (PocketBase's and Rapport's) run once per
// process on a scratch database, the first time a collections API request
// needs it. An error leaves the guard on Guarded with every field locked.
func migratedSchema() (map[string]*core.Collection, error) {
	migrated.once.Do(func() {
		migrated.collections, migrated.err = runMigrations()
	})
	return migrated.collections, migrated.err
}

var migrated struct {
	once        sync.Once
	collections map[string]*core.Collection
	err         error
}

func runMigrations() (map[string]*core.Collection, error) {
	dir, err := os.MkdirTemp("", "rapport_schema_")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	scratch := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	defer func() {
		// stops the scratch app's log writer and closes its databases
		_ = scratch.OnTerminate().Trigger(&core.TerminateEvent{App: scratch}, func(e *core.TerminateEvent) error {
			return e.App.ResetBootstrapState()
		})
	}()
	if err := scratch.Bootstrap(); err != nil {
		return nil, fmt.Errorf("schema guard: scratch app: %w", err)
	}
	if err := scratch.RunAllMigrations(); err != nil {
		return nil, fmt.Errorf("schema guard: migrations on a scratch database: %w", err)
	}
	all, err := scratch.FindAllCollections()
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*core.Collection, len(all))
	for _, c := range all {
		byName[c.Name] = c
	}
	return byName, nil
}
