package audit

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/pocketbase/pocketbase/tools/types"
)

// What Append stores without canonical must be what canonical would store:
// Verify recomputes every hash from the canonical form.
func TestPlainChangesAreCanonical(t *testing.T) {
	day, _ := types.ParseDateTime("2026-12-07 10:11:12.345Z")
	values := []any{nil, true, false, 0, -7, int64(1) << 60, 1.5, 1e21, 1e-7, math.MaxFloat64, 0.1 + 0.2,
		"", "plain", `quote " and \ slash`, "<b>&</b>", "tab\tnew\nline", "\u2028\u2029", "\x7f\x01", "汉字 · ✓ 🙂",
		[]string{}, []string{"a", "<z>"}, []any{}, []any{"receipt_1.jpg", "<z>"}, day, types.DateTime{}}
	for i, v := range values {
		changes := map[string][2]any{"b": {v, nil}, "a": {nil, v}, "é": {v, v}}
		if !plain(changes) {
			t.Fatalf("value %d (%#v) is not plain", i, v)
		}
		raw, err := json.Marshal(changes)
		if err != nil {
			t.Fatal(err)
		}
		again, err := canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(raw) {
			t.Errorf("value %d (%#v): json %s, canonical %s", i, v, raw, again)
		}
	}
	for _, v := range []any{"bad \xff utf-8", []string{"\xfe"}, types.JSONRaw(`{"b":1,"a":2}`), map[string]any{"a": 1}, []any{1}, []any{"\xfe"}} {
		if plain(map[string][2]any{"f": {nil, v}}) {
			t.Errorf("%#v counted as plain", v)
		}
	}
}
