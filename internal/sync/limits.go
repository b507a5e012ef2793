package sync

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"rapport/internal/input"
)

// The sync limits (docs/sync.md, "Limits"): what one install can make the
// server hold, and what one push can make it read.
const (
	// MaxDataBytes bounds a mutation's data, and its base, as sent (JSON
	// bytes): above any record the schema accepts (a customer's 64 KiB of
	// contacts and its texts), far below what a push may carry.
	MaxDataBytes = 128 << 10
	// maxNameBytes bounds a mutation's op, collection and recordId: each
	// real one is a few characters, and all three are echoed in errors and
	// kept with a rejection.
	maxNameBytes = 64
	// MaxOpenRejections caps an install's unresolved rejected mutations:
	// the push answers 429 too_many_rejections until some are dismissed.
	MaxOpenRejections = 500
	// maxRejectedPage bounds the rejections one pull page carries (each
	// up to MaxDataBytes twice).
	maxRejectedPage = 100
)

// pushTooLarge is the 413 of a push body over maxPushBytes.
func pushTooLarge() error {
	msg := "The push is larger than 32 MB (33,554,432 bytes); send fewer mutations per push. Nothing was applied."
	return router.NewApiError(http.StatusRequestEntityTooLarge, msg,
		validation.Errors{"body": validation.NewError("push_too_large", msg)})
}

// tooManyMutations is the 413 of a push of more than MaxMutations, told
// at the first one over: the rest of the body is not read.
func tooManyMutations() error {
	msg := "A push may carry at most 1000 mutations; this one has more. Nothing was applied."
	return router.NewApiError(http.StatusRequestEntityTooLarge, msg,
		validation.Errors{"mutations": validation.NewError("too_many_mutations", msg)})
}

// readPush decodes the push body as a stream, each mutation once, straight
// from the connection. PocketBase's router keeps a copy of every body it
// reads (to allow rereads), and RequestInfo decodes the whole body again
// into a map, through the same body limit, which so counted it twice: a push
// of 20-odd MB got PocketBase's generic 413, and concurrent pushes cost the
// server over ten times their size in memory. Here the body is read once, counted once
// against maxPushBytes (the route has no other body limit, clients.go), and
// what RequestInfo sees afterwards is an empty body.
func readPush(e *core.RequestEvent) (pushRequest, error) {
	var req pushRequest
	if e.Request.ContentLength > maxPushBytes {
		return req, pushTooLarge()
	}
	body := e.Request.Body
	if copying, ok := body.(*router.RereadableReadCloser); ok {
		body = copying.ReadCloser // the router closes it
	}
	e.Request.Body, e.Request.ContentLength = http.NoBody, 0
	err := decodePush(http.MaxBytesReader(e.Response, body, maxPushBytes), &req)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return req, pushTooLarge()
	}
	var apiErr *router.ApiError
	if err != nil && !errors.As(err, &apiErr) {
		return req, e.BadRequestError("The push body is not valid JSON. Nothing was applied.", nil)
	}
	return req, err
}

// decodePush reads {"clientId", "schemaVersion", "mutations": [...]} token
// by token; the decoder buffers one value at a time, never the whole body.
// Keys match case-insensitively and the last of a repeated key wins, as
// they would decoding the object whole.
func decodePush(r io.Reader, req *pushRequest) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "The push body must be a JSON object."); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch strings.ToLower(key) {
		case "clientid":
			err = decodeField(dec, &req.ClientID, "The clientId must be a string.")
		case "schemaversion":
			err = decodeField(dec, &req.SchemaVersion, "The schemaVersion must be a whole number.")
		case "mutations":
			req.Mutations, err = decodeMutations(dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing brace
	return err
}

// decodeField decodes the next value into to; a value of the wrong type is
// a 400 saying so.
func decodeField(dec *json.Decoder, to any, wrongType string) error {
	err := dec.Decode(to)
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return router.NewBadRequestError(wrongType+" Nothing was applied.", nil)
	}
	return err
}

// expectDelim reads the next token, which must be delim.
func expectDelim(dec *json.Decoder, delim json.Delim, otherwise string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != delim {
		return router.NewBadRequestError(otherwise+" Nothing was applied.", nil)
	}
	return nil
}

// decodeMutations reads the mutations array (null is none), one mutation
// at a time.
func decodeMutations(dec *json.Decoder) ([]Mutation, error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, router.NewBadRequestError("The mutations must be an array. Nothing was applied.", nil)
	}
	var out []Mutation
	for i := 0; dec.More(); i++ {
		if i == MaxMutations {
			return nil, tooManyMutations()
		}
		var raw rawMutation
		err := dec.Decode(&raw)
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			err = errors.New("the mutation is not an object")
		} else if err != nil {
			return nil, err // the body is cut or not JSON
		}
		var m Mutation
		if err == nil {
			m, err = decodeMutation(raw)
		}
		if err != nil {
			return nil, router.NewBadRequestError("In mutations["+itoa(int64(i))+"], "+err.Error()+". Nothing was applied.", nil)
		}
		out = append(out, m)
	}
	_, err = dec.Token() // the closing bracket
	return out, err
}

// tooLarge rejects the parts of m over their bound (too_large in bad), and
// keeps of each only what fits, for the stored rejection: nothing of an
// oversized part is ever applied, and what the server holds and echoes of a
// mutation stays bounded. It tells whether any part was over.
func tooLarge(m *Mutation, r rawMutation, bad validation.Errors) bool {
	over := false
	for _, f := range []struct {
		name string
		raw  boundedJSON
		to   *map[string]any
	}{{"data", r.Data, &m.Data}, {"base", r.Base, &m.Base}} {
		if f.raw.size > MaxDataBytes {
			over, *f.to = true, f.raw.kept
			bad[f.name] = validation.NewError("too_large", f.name+" takes "+itoa(int64(f.raw.size))+
				" bytes of JSON; a mutation's "+f.name+" may take at most 131,072 (128 KiB). It was kept only up to that size.")
		}
	}
	for _, f := range []struct {
		name string
		s    *string
	}{{"op", &m.Op}, {"collection", &m.Collection}, {"recordId", &m.RecordID}} {
		if len(*f.s) > maxNameBytes {
			over, *f.s = true, cut(*f.s, maxNameBytes)
			bad[f.name] = validation.NewError("too_large", f.name+" may take at most 64 bytes.")
		}
	}
	return over
}

// boundedJSON is a mutation's data or base, decoded once as it is read,
// numbers exact (json.Number, as the records API's raw input check reads
// them). One over MaxDataBytes is cut down as it is decoded, read in place
// from the decoder's buffer: never copied whole.
type boundedJSON struct {
	fields    map[string]any // the object, when within the bound
	notObject bool           // it is neither an object nor null
	size      int            // its length as sent
	kept      map[string]any // what fits of it, when over
}

func (b *boundedJSON) UnmarshalJSON(p []byte) error {
	*b = boundedJSON{size: len(p)}
	if len(p) > MaxDataBytes {
		b.kept = truncateFields(p, MaxDataBytes)
		return nil
	}
	if input.DecodeExact(p, &b.fields) != nil {
		b.fields, b.notObject = nil, true
	}
	return nil
}

// truncateFields keeps of the JSON object raw the fields, in name order,
// that fit in limit bytes of JSON together; a text that does not fit whole
// is cut to what fits. Anything else that does not fit is left out. Texts
// are measured after cutting, so an oversized one is never encoded whole.
func truncateFields(raw json.RawMessage, limit int) map[string]any {
	var all map[string]any
	out := map[string]any{}
	if input.DecodeExact(raw, &all) != nil {
		return out
	}
	size := 2 // {}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		key, _ := json.Marshal(name)
		room := limit - size - len(key) - 2 // "name": and a comma
		v := all[name]
		if s, ok := v.(string); ok && room >= 2 {
			v = fitString(s, room)
		}
		if val, err := json.Marshal(v); err == nil && len(val) <= room {
			out[name], size = v, size+len(key)+2+len(val)
		}
	}
	return out
}

// fitString is the longest prefix of s whose JSON takes at most n bytes.
func fitString(s string, n int) string {
	s = cut(s, n-2)
	for {
		raw, _ := json.Marshal(s)
		if len(raw) <= n {
			return s
		}
		s = cut(s, len(s)-(len(raw)-n))
	}
}

// cut is s shortened to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// pullLimit reads pull's limit: none is the default, a whole number from 1
// counts up to maxPullLimit, however many digits it has.
func pullLimit(s string) (int, bool) {
	if s == "" {
		return defaultPullLimit, true
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return maxPullLimit, true
	}
	if err != nil || n < 1 {
		return 0, false
	}
	return int(min(n, maxPullLimit)), true
}
