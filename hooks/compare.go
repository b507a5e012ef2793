package hooks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// changedFields lists the fields of names whose value differs from old.
func changedFields(r, old *core.Record, names []string) []string {
	var changed []string
	for _, f := range names {
		if !sameValue(r.Get(f), old.Get(f)) {
			changed = append(changed, f)
		}
	}
	return changed
}

// sameValue compares two field values as the API would show them. Both
// are values of one field, cast by it to one Go type: JSON compares by its
// meaning (key order and spacing aside), the rest by value.
func sameValue(a, b any) bool {
	if isZero(a) && isZero(b) {
		return true
	}
	ja, okA := a.(types.JSONRaw)
	jb, okB := b.(types.JSONRaw)
	if okA || okB {
		return canonicalJSON(fmt.Sprint(ja)) == canonicalJSON(fmt.Sprint(jb))
	}
	return reflect.DeepEqual(a, b)
}

func canonicalJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case int:
		return x == 0
	case bool:
		return !x
	case []string:
		return len(x) == 0
	case []any: // a file field of a new record
		return len(x) == 0
	case types.DateTime:
		return x.IsZero()
	case types.JSONRaw:
		s := string(x)
		return s == "" || s == "null" || s == "[]" || s == "{}"
	case types.GeoPoint:
		return x.Lon == 0 && x.Lat == 0
	}
	return false
}

// firstChange names the first field an update changes, other than those
// in except ("id" when none).
func firstChange(r *core.Record, except ...string) string {
	original := r.Original()
	for _, f := range r.Collection().Fields {
		if slices.Contains(except, f.GetName()) {
			continue
		}
		if !f.GetHidden() && !sameValue(r.Get(f.GetName()), original.Get(f.GetName())) {
			return f.GetName()
		}
	}
	return "id"
}
