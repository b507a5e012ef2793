package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/violation"
)

// bindRequestErrors explains a JSON body PocketBase could not read. The
// records API and the batch API answer such a body (a missing brace, a
// trailing comma, a number such as 1e400 that no float holds) with "Something
// went wrong while processing your request." and no data; this middleware
// turns that answer into a 400 that says what is wrong and where:
// data.body.code = "invalid_json" with the offset, or, for a number out of
// range, data.<field>.code = "invalid_json" naming the field. It only
// rewrites PocketBase's own answer after the fact, so a body PocketBase reads
// is not read again. The sync push decodes its body itself.
func bindRequestErrors(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Priority: apis.DefaultBodyLimitMiddlewarePriority + 1,
			Func: func(e *core.RequestEvent) error {
				err := e.Next()
				if err == nil || !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json") {
					return err
				}
				var apiErr *router.ApiError
				if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
					return err
				}
				raw, _ := apiErr.RawData().(error)
				if explained := explainJSON(raw, e.Request); explained != nil {
					return explained
				}
				return err
			},
		})
		return se.Next()
	})
}

// explainJSON is the 400 for a body that failed to decode with err, or nil
// when err is no JSON decoding error.
func explainJSON(err error, r *http.Request) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return violation.New("body", "invalid_json", "The request body is not valid JSON: %s at offset %d (the first byte is offset 0).", syntax.Error(), syntax.Offset-1)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return violation.New("body", "invalid_json", "The request body is not valid JSON: it ends at offset %d, inside an unfinished value (a missing closing brace, bracket or quote?).", r.ContentLength)
	case errors.As(err, &typ):
		raw := body(r)
		path := "" // a body that is no object is of the wrong kind whole ([1,2] for a record)
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
			path = pathAt(raw, typ.Offset)
		}
		field := path
		if field == "" {
			field = "body"
		}
		if literal, ok := strings.CutPrefix(typ.Value, "number "); ok && typ.Type.Kind() == reflect.Float64 {
			return violation.New(lastKey(field), "invalid_json", "%s is %s (at offset %d), a number too large to read: numbers go up to about 1.8e308, whole numbers up to 9007199254740991.", describePath(path), literal, typ.Offset-1-int64(len(literal)))
		}
		return violation.New(lastKey(field), "invalid_json", "%s takes %s, not %s (ending at offset %d).", describePath(path), jsonKind(typ.Type), typ.Value, typ.Offset-1)
	}
	return nil
}

// jsonKind names what a Go type takes in JSON words: "an object", "a list",
// never "map[string]interface {}".
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Interface:
		return "a value"
	default:
		return "a number"
	}
}

// body is the request body again (PocketBase's body rewinds).
func body(r *http.Request) []byte {
	if rr, ok := r.Body.(router.Rereader); ok {
		rr.Reread()
	}
	raw, _ := io.ReadAll(r.Body)
	return raw
}

// pathAt is the path (`amount`, `requests[0].body.amount`) of the value of
// raw that ends at offset, "" when it is the whole body.
func pathAt(raw []byte, offset int64) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // 1e400 stays text
	type level struct {
		object bool
		key    string
		index  int
	}
	var stack []level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			} else {
				fmt.Fprintf(&b, "[%d]", l.index-1)
			}
		}
		return b.String()
	}
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if len(stack) > 0 && stack[len(stack)-1].object && expectKey {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				stack[len(stack)-1].key = fmt.Sprint(tok)
				expectKey = false
				continue
			}
		}
		if len(stack) > 0 && !stack[len(stack)-1].object {
			if d, ok := tok.(json.Delim); !ok || d != ']' {
				stack[len(stack)-1].index++
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true})
			expectKey = true
			continue
		case json.Delim('['):
			stack = append(stack, level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			// the decoder reports the offset past the byte that ended the value
			if dec.InputOffset() >= offset-1 {
				return path()
			}
		}
		expectKey = len(stack) > 0 && stack[len(stack)-1].object
	}
}

func lastKey(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && i+1 < len(path) {
		return path[i+1:]
	}
	return path
}

func describePath(path string) string {
	if path == "" {
		return "The request body"
	}
	return fmt.Sprintf("%q", path)
}
