package hooks_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"rapport/hooks"
	"rapport/internal/catalog"
	"rapport/internal/testkit"
)

// bound is a handler as PocketBase holds it on a hook.
type bound struct {
	Id       string
	Priority int
}

// handlers lists the handlers of a PocketBase hook in the order they run.
// The hook keeps them unexported; reflection reads them without calling.
func handlers(h any) []bound {
	v := reflect.ValueOf(h).Elem()                         // hook.TaggedHook
	v = v.Field(0).Field(0).Elem().FieldByName("handlers") // mainHook → *Hook → handlers
	out := make([]bound, v.Len())
	for i := range out {
		handler := v.Index(i).Elem()
		out[i] = bound{handler.FieldByName("Id").String(), int(handler.FieldByName("Priority").Int())}
	}
	return out
}

// events are the record events Pipeline declares, by name.
func events(app core.App) map[string]any {
	return map[string]any{
		"OnRecordCreateRequest": app.OnRecordCreateRequest(),
		"OnRecordUpdateRequest": app.OnRecordUpdateRequest(),
		"OnRecordDeleteRequest": app.OnRecordDeleteRequest(),
		"OnRecordValidate":      app.OnRecordValidate(),
		"OnRecordCreate":        app.OnRecordCreate(),
		"OnRecordUpdate":        app.OnRecordUpdate(),
		"OnRecordDelete":        app.OnRecordDelete(),
		"OnRecordCreateExecute": app.OnRecordCreateExecute(),
		"OnRecordUpdateExecute": app.OnRecordUpdateExecute(),
		"OnRecordDeleteExecute": app.OnRecordDeleteExecute(),
	}
}

// Every handler Rapport binds on a record event is declared in
// hooks.Pipeline, in the stage it is bound at: the order of the rules is
// the one pipeline.go states, whatever order the files bind them in.
func TestPipelineOrderIsTheDeclaredOne(t *testing.T) {
	app := testkit.NewApp(t)
	declared := map[string]map[string]hooks.Step{}
	for _, s := range hooks.Pipeline {
		if declared[s.Event] == nil {
			declared[s.Event] = map[string]hooks.Step{}
		}
		declared[s.Event][s.Id] = s
	}
	for event, h := range events(app) {
		seen := map[string]bool{}
		for _, b := range handlers(h) {
			if !strings.HasPrefix(b.Id, "rapport.") {
				continue // another package's handler (report sums), or PocketBase's
			}
			seen[b.Id] = true
			s, ok := declared[event][b.Id]
			switch {
			case !ok:
				t.Errorf("%s: handler %s (priority %d) is bound but not declared in hooks.Pipeline (pipeline.go); declare it in the stage where it belongs", event, b.Id, b.Priority)
			case s.Stage.Priority != b.Priority:
				t.Errorf("%s: handler %s is bound at priority %d (%s), but pipeline.go declares it in stage %q (priority %d): it would run before or after rules it must not. Bind it in the declared stage, or move its declaration",
					event, b.Id, b.Priority, stageAt(b.Priority), s.Stage.Name, s.Stage.Priority)
			}
		}
		for id := range declared[event] {
			if !seen[id] {
				t.Errorf("%s: pipeline.go declares %s, but nothing binds it", event, id)
			}
		}
	}
}

// The declaration itself runs stage by stage, and no two handlers of one
// event and collection share a stage: their order would then be the order
// the files happen to bind them in.
func TestPipelineDeclaresOneHandlerPerStageAndCollection(t *testing.T) {
	allCollections := catalog.Names(func(*catalog.Collection) bool { return true })
	last := map[string]hooks.Step{}
	taken := map[string]string{}
	for _, s := range hooks.Pipeline {
		if prev, ok := last[s.Event]; ok && prev.Stage.Priority > s.Stage.Priority {
			t.Errorf("%s: %s (stage %q) is declared after %s (stage %q), which runs later", s.Event, s.Id, s.Stage.Name, prev.Id, prev.Stage.Name)
		}
		last[s.Event] = s
		collections := s.Collections
		if collections == nil { // every collection: it shares its stage with none
			collections = allCollections
		}
		for _, c := range collections {
			key := fmt.Sprintf("%s/%d/%s", s.Event, s.Stage.Priority, c)
			if other, ok := taken[key]; ok {
				t.Errorf("%s on %s: %s and %s are both in stage %q; give one its own stage", s.Event, c, other, s.Id, s.Stage.Name)
			}
			taken[key] = s.Id
		}
	}
}

// The order of a few writes, spelled out: what runs on an expense and on a
// user account, handler by handler.
func TestPipelineOrderOfExpensesAndUsers(t *testing.T) {
	app := testkit.NewApp(t)
	cases := []struct {
		event, collection string
		want              []string
	}{
		{"OnRecordCreateExecute", "expenses", []string{
			"rapport.expenses.owner", "rapport.expenses.rules", "rapport.expenses.label",
			"rapport.version", "rapport.server_fields.sent"}},
		{"OnRecordUpdateExecute", "expenses", []string{
			"rapport.expenses.owner", "rapport.expenses.rules", "rapport.expenses.label", "rapport.version"}},
		{"OnRecordDeleteExecute", "expenses", []string{
			"rapport.expenses.owner", "rapport.expenses.rules", "rapport.unlink"}},
		{"OnRecordUpdate", "expenses", []string{
			"rapport.actor.require.update", "rapport.server_fields", "rapport.tx", "rapport.expenses.sums", "rapport.audit"}},
		{"OnRecordUpdate", "users", []string{
			"rapport.actor.require.update", "rapport.server_fields", "rapport.tx", "rapport.users.handover",
			"rapport.users.rechain", "rapport.audit"}},
		{"OnRecordUpdateExecute", "users", []string{"rapport.users.permissions", "rapport.users.credentials"}},
	}
	for _, c := range cases {
		var got []string
		for _, b := range handlers(events(app)[c.event]) {
			if s, ok := step(c.event, b.Id); ok && (s.Collections == nil || slices.Contains(s.Collections, c.collection)) {
				got = append(got, strings.Split(b.Id, ":")[0])
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s(%q) runs\n  %s\nwant\n  %s", c.event, c.collection, strings.Join(got, " → "), strings.Join(c.want, " → "))
		}
	}
}

func step(event, id string) (hooks.Step, bool) {
	for _, s := range hooks.Pipeline {
		if s.Event == event && s.Id == id {
			return s, true
		}
	}
	return hooks.Step{}, false
}

// stageAt names the stages with priority p.
func stageAt(p int) string {
	var names []string
	for _, s := range hooks.Pipeline {
		if s.Stage.Priority == p && !slices.Contains(names, s.Stage.Name) {
			names = append(names, s.Stage.Name)
		}
	}
	if names == nil {
		return "no stage"
	}
	return "stage " + strings.Join(names, " / ")
}
