package hooks

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/input"
	"rapport/internal/org"
)

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
		if n, ok := changed.(*core.NumberField); o != nil && ok {
			numberLoosening(refuse, m, o, n)
		}
	case *core.TextField:
		o, _ := old.(*core.TextField)
		if n, ok := changed.(*core.TextField); o != nil && ok {
			textLoosening(refuse, m, o, n)
		}
	case *core.FileField:
		o, _ := old.(*core.FileField)
		if n, ok := changed.(*core.FileField); o != nil && ok {
			fileLoosening(refuse, m, o, n)
		}
	}
	return msgs
}

// refusal adds one refusal; its format follows "<label> is one of
// Rapport's fields".
type refusal func(format string, args ...any)

func numberLoosening(refuse refusal, m, o, n *core.NumberField) {
	if looserMin(n.Min, m.Min) && looserMin(n.Min, o.Min) {
		refuse(": its minimum is %s, as Rapport's migrations set it, and cannot be %s (a higher minimum is fine): %s.",
			input.NumberText(*m.Min), boundChange("lowered to", n.Min), boundReason(*m.Min))
	}
	if looserMax(n.Max, m.Max) && looserMax(n.Max, o.Max) {
		refuse(": its maximum is %s, as Rapport's migrations set it, and cannot be %s (a lower maximum is fine): %s.",
			input.NumberText(*m.Max), boundChange("raised to", n.Max), boundReason(*m.Max))
	}
}

func textLoosening(refuse refusal, m, o, n *core.TextField) {
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
}

func fileLoosening(refuse refusal, m, o, n *core.FileField) {
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
	if len(m.MimeTypes) == 0 {
		return
	}
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
	return verb + " " + input.NumberText(*bound)
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
