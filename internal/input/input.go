// Package input checks the types of a client's write as sent, before
// PocketBase casts them. Both client write paths, the records API's request
// hooks and the sync push, call it through internal/clientwrite.
package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cast"

	"rapport/internal/org"
)

// Values as the client sent them. PocketBase casts a value to its field's
// type before any record hook sees it, and the cast never fails: "maybe" is
// false for a bool, "fifty" or [40000000] is 0 for a number, true is 1, and
// "here" is the point {0, 0}. So the types are checked on the raw input of
// every client write path — the records API (REST, batch, dashboard) from
// its request hooks, the sync push per mutation (internal/clientwrite) —
// and a value of the wrong type is 400 invalid_type, before anything is
// written.
//
// Each field type takes its JSON type, and the text a form sends for it
// (multipart forms have only text):
//
//	number                      a number, or text that is one ("1500"); "" and null clear
//	bool                        true or false (null: false), or "true" "false" "1" "0"
//	geoPoint                    {"lon": n, "lat": n}, or that JSON as text; "" and null clear
//	date                        text that is a date; "" and null clear
//	text email url editor       text (null clears)
//	select relation             text; a multiple one also a list of text
//
// json, file, password and autodate fields take what PocketBase takes.

// InvalidType is the code of a value of the wrong type (the sync push uses
// it for a wrongly typed mutation field too).
const InvalidType = "invalid_type"

// A client's value beyond ±org.MaxWhole (2^53-1, the largest whole number a
// float64 keeps exactly) for a whole-number field (OnlyInt) is refused here
// with PocketBase's range codes and a message naming the value as sent;
// migration 1700000009 sets the same bound as those fields' Max, so that
// every write (the server's own, a modifier's sum) is held to it and the
// dashboard shows it.

// Sent is the input of a records API write as the client sent it. Request
// hooks run after PocketBase replaced RequestInfo().Body with the cast
// values, so the body is read again as sent: JSON from the (re-readable)
// request body, forms from their text values and @jsonPayload.
func Sent(e *core.RecordRequestEvent) (map[string]any, error) {
	raw, err := rawBody(e.Request)
	if err != nil {
		return nil, router.NewInternalServerError("The request body could not be read again.", err)
	}
	return raw, nil
}

// rawBody is the request body as PocketBase's BindBody reads it, without
// its inference of form text ("true" → true, "12" → 12): JSON objects (with
// exact numbers), form fields as text (a repeated one as a list of text),
// and a form's @jsonPayload over them.
func rawBody(r *http.Request) (map[string]any, error) {
	body := map[string]any{}
	if r.ContentLength == 0 {
		return body, nil
	}
	contentType := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(contentType, "application/json"):
		raw, err := io.ReadAll(r.Body) // to EOF: the body rewinds for any later reader
		if err != nil {
			return nil, err
		}
		return body, DecodeExact(raw, &body)
	case strings.HasPrefix(contentType, "multipart/form-data"),
		strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		return formBody(r.Form)
	}
	return body, nil
}

// formBody is a parsed form (query and body values, as PocketBase reads
// them) as text, then each @jsonPayload over it.
func formBody(form url.Values) (map[string]any, error) {
	body := map[string]any{}
	for k, v := range form {
		switch {
		case k == router.JSONPayloadKey:
		case len(v) == 1:
			body[k] = v[0]
		default:
			list := make([]any, len(v))
			for i, s := range v {
				list[i] = s
			}
			body[k] = list
		}
	}
	for _, payload := range form[router.JSONPayloadKey] {
		if err := DecodeExact([]byte(payload), &body); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// DecodeExact decodes JSON keeping numbers as written (json.Number).
func DecodeExact(raw []byte, to any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(to)
}

// Check refuses values of data (field → value as the client sent it,
// modifiers such as "amount+" or "+tags" included) whose type the fields of
// c do not take: 400 with data.<field>.code = "invalid_type" for each one,
// and a message naming the field, what it got and what it takes. Keys that
// name no field are left alone, as PocketBase leaves them; so are hidden
// fields, which a client's write does not set, unless withHidden (a
// superuser's write).
func Check(c *core.Collection, data map[string]any, withHidden bool) error {
	var errs validation.Errors
	var msgs []string
	for _, key := range slices.Sorted(maps.Keys(data)) {
		f := fieldOf(c, key)
		if f == nil || (f.GetHidden() && !withHidden) {
			continue
		}
		name := f.GetName()
		if errs[name] != nil {
			continue // one refusal per field ("amount" and "amount+" both sent)
		}
		code, msg := judge(f, key, data[key])
		if code == "" {
			continue
		}
		if errs == nil {
			errs = validation.Errors{}
		}
		errs[name] = validation.NewError(code, msg)
		msgs = append(msgs, msg)
	}
	if errs == nil {
		return nil
	}
	return router.NewApiError(http.StatusBadRequest, strings.Join(msgs, " ")+" Nothing was saved.", errs)
}

// fieldOf is the field that key sets, modifiers included, found the way
// PocketBase's Record.SetIfFieldExists finds it.
func fieldOf(c *core.Collection, key string) core.Field {
	for _, f := range c.Fields {
		if s, ok := f.(core.SetterFinder); ok {
			if s.FindSetter(key) != nil {
				return f
			}
			continue
		}
		if f.GetName() == key {
			return f
		}
	}
	return nil
}

// judge returns the code and message refusing v as the value of key (field
// f, maybe with a modifier), or "" when f takes it.
func judge(f core.Field, key string, v any) (code, msg string) {
	var takes string
	switch f := f.(type) {
	case *core.NumberField:
		n, ok := number(v)
		if ok {
			if f.OnlyInt && n > org.MaxWhole {
				return "validation_max_number_constraint", fmt.Sprintf("%q takes a whole number no larger than %d (a larger one cannot be stored exactly); got %s.", key, org.MaxWhole, NumberText(v))
			}
			if f.OnlyInt && n < -org.MaxWhole {
				return "validation_min_number_constraint", fmt.Sprintf("%q takes a whole number no smaller than -%d (a smaller one cannot be stored exactly); got %s.", key, org.MaxWhole, NumberText(v))
			}
			return "", ""
		}
		takes = `a number (a form may send it as text, "1500")`
	case *core.BoolField:
		switch v {
		case nil, true, false, "true", "false", "1", "0":
			// null is false (the dashboard sends it for a field left
			// untouched); "" is no answer, and would deactivate an account
			return "", ""
		}
		takes = `true or false (a form may send "true", "false", "1" or "0")`
	case *core.GeoPointField:
		if isPoint(v) {
			return "", ""
		}
		takes = `a point {"lon": 121.47, "lat": 31.23} with numbers for lon and lat (a form may send it as JSON text)`
	case *core.DateField:
		if s, ok := v.(string); (ok && isDate(s)) || v == nil {
			return "", ""
		}
		takes = `a date as text, such as "2026-11-20 09:00:00.000Z" ("" clears it)`
	case *core.TextField, *core.EmailField, *core.URLField, *core.EditorField:
		if _, ok := v.(string); ok || v == nil {
			return "", ""
		}
		takes = "text"
	case *core.SelectField:
		if isText(v, f.IsMultiple()) {
			return "", ""
		}
		takes = choice("one of "+strings.Join(f.Values, ", "), f.IsMultiple())
	case *core.RelationField:
		if isText(v, f.IsMultiple()) {
			return "", ""
		}
		takes = choice("a record id", f.IsMultiple())
	default: // json, file, password, autodate: PocketBase's own handling
		return "", ""
	}
	return InvalidType, fmt.Sprintf("%q takes %s; got %s.", key, takes, Describe(v))
}

func choice(one string, multiple bool) string {
	if multiple {
		return "text (" + one + ") or a list of them"
	}
	return "text (" + one + ")"
}

// number reads v as a number field takes it: a JSON number, or text that
// is a finite number ("" and null clear the field).
func number(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case nil:
		return 0, true
	case float64:
		return x, true
	case json.Number:
		s = string(x)
	case string:
		if x == "" {
			return 0, true
		}
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil && !math.IsInf(n, 0) && !math.IsNaN(n)
}

// NumberText is a number as the client wrote it, when known.
func NumberText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return string(x)
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// isPoint tells a geoPoint value: {"lon": n, "lat": n} with JSON numbers,
// or that object as JSON text; "" and null clear.
func isPoint(v any) bool {
	if s, ok := v.(string); ok {
		if s == "" {
			return true
		}
		var decoded any
		if DecodeExact([]byte(s), &decoded) != nil {
			return false
		}
		v = decoded
	}
	if v == nil {
		return true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, k := range []string{"lon", "lat"} {
		switch m[k].(type) {
		case float64, json.Number:
		default:
			return false
		}
	}
	return true
}

// isDate tells text that a date field reads as a date ("" clears it); any
// other text would be stored as no date.
func isDate(s string) bool {
	if s == "" {
		return true
	}
	if _, err := time.Parse(types.DefaultDateLayout, s); err == nil {
		return true
	}
	_, err := cast.ToTimeE(s)
	return err == nil
}

// isText tells text, or (multiple) a list of text; null clears.
func isText(v any, multiple bool) bool {
	switch x := v.(type) {
	case nil, string:
		return true
	case []any:
		if !multiple {
			return false
		}
		for _, item := range x {
			if _, ok := item.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// Describe names a value as sent, for a message.
func Describe(v any) string {
	short := func(s string) string {
		if r := []rune(s); len(r) > 60 {
			return string(r[:60]) + "…"
		}
		return s
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return "the text " + strconv.Quote(short(x))
	case float64, json.Number:
		return "the number " + NumberText(x)
	}
	raw, _ := json.Marshal(v)
	if _, ok := v.([]any); ok {
		return "the list " + short(string(raw))
	}
	return "the object " + short(string(raw))
}
