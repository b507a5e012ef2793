package org

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
)

// The JSON settings — a tier's category_limits and care_entitlements, the
// org's followup_offsets — are read entry by entry: an entry that cannot be
// read is left out (and logged), the others apply. Decoding a whole map at
// once lost all of it to one bad value: a tier whose meal limit read "1000"
// had no limits at all. Writes are checked with the same readers
// (hooks/values.go), so a value stored since has every entry readable.

// MaxWhole is the largest whole number read exactly (2^53-1): JSON numbers
// are float64 on the way in and out.
const MaxWhole = 1<<53 - 1

// Problem is an entry of a JSON setting that cannot be read.
type Problem struct {
	Entry string // the key, or the position from 1 in a list; "" for the whole value
	Key   string // the key inside the entry, if the problem is there
	Want  string // what it must be
	Got   any    // what it is (JSON numbers as json.Number)
}

// Limits reads category_limits, {category: largest single amount in minor
// units}: every entry whose amount is a whole number from 0 (0 is no limit).
// Categories are not checked here: an unknown one is never looked up.
func Limits(raw string) (map[string]int64, []Problem) {
	v, p := decode(raw)
	if v == nil || p != nil {
		return nil, p
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, []Problem{{Want: `an object {category: largest single amount in minor units}, such as {"meal": 100000}`, Got: v}}
	}
	limits := make(map[string]int64, len(obj))
	var problems []Problem
	for category, amount := range obj {
		n, ok := Whole(amount)
		if !ok {
			problems = append(problems, Problem{Entry: category, Want: "a whole amount in minor units, 0 or more (100000 is 1,000.00; 0 is no limit)", Got: amount})
			continue
		}
		limits[category] = n
	}
	return limits, problems
}

// Entitlements reads care_entitlements, a list of names.
func Entitlements(raw string) ([]string, []Problem) {
	list, problems := decodeList(raw, `a list of names, such as ["holiday_gift", "birthday_card"]`)
	var names []string
	for i, v := range list {
		if s, ok := v.(string); ok && s != "" {
			names = append(names, s)
			continue
		}
		problems = append(problems, Problem{Entry: strconv.Itoa(i + 1), Want: "a name (text, not empty)", Got: v})
	}
	return names, problems
}

// Offsets reads followup_offsets, a list of {"from": days, "to": days}
// windows after customer_since, each day count a whole number from 0 and
// from no later than to. Other keys of an entry are ignored.
func Offsets(raw string) ([]Offset, []Problem) {
	list, problems := decodeList(raw, `a list of windows {"from": days, "to": days}, such as [{"from": 7, "to": 7}, {"from": 120, "to": 180}]`)
	var offsets []Offset
	for i, v := range list {
		entry := strconv.Itoa(i + 1)
		obj, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, Problem{Entry: entry, Want: `an object {"from": days, "to": days}`, Got: v})
			continue
		}
		from, okFrom := Whole(obj["from"])
		to, okTo := Whole(obj["to"])
		switch {
		case !okFrom:
			problems = append(problems, Problem{Entry: entry, Key: "from", Want: "a whole number of days, 0 or more", Got: obj["from"]})
		case !okTo:
			problems = append(problems, Problem{Entry: entry, Key: "to", Want: "a whole number of days, 0 or more", Got: obj["to"]})
		case from > to:
			problems = append(problems, Problem{Entry: entry, Want: `a window whose "from" is no later than its "to"`, Got: v})
		default:
			offsets = append(offsets, Offset{From: int(from), To: int(to)})
		}
	}
	return offsets, problems
}

// Whole reads a JSON number (json.Number or float64) that is a whole number
// from 0 to MaxWhole; text and anything else is not one.
func Whole(v any) (int64, bool) {
	var n float64
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, false
		}
		n = f
	case float64:
		n = x
	default:
		return 0, false
	}
	if n < 0 || n > MaxWhole || n != math.Trunc(n) {
		return 0, false
	}
	return int64(n), true
}

// decode parses a stored JSON value with numbers as written. "" (no value),
// null and the empty text an empty form field stores are all nil.
func decode(raw string) (any, []Problem) {
	if raw == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, []Problem{{Want: "JSON", Got: raw}}
	}
	if v == "" {
		return nil, nil
	}
	return v, nil
}

func decodeList(raw, want string) ([]any, []Problem) {
	v, p := decode(raw)
	if v == nil || p != nil {
		return nil, p
	}
	list, ok := v.([]any)
	if !ok {
		return nil, []Problem{{Want: want, Got: v}}
	}
	return list, nil
}

// logProblems reports the entries of a stored setting that were left out.
func logProblems(app core.App, setting, record string, problems []Problem) {
	for _, p := range problems {
		app.Logger().Error(setting+": an entry that cannot be read is left out", "record", record, "entry", p.Entry, "key", p.Key, "want", p.Want, "got", p.Got)
	}
}

func readLimits(app core.App, tier, raw string) map[string]int64 {
	limits, problems := Limits(raw)
	logProblems(app, "tier_policies.category_limits", "tier "+tier, problems)
	return limits
}

func readEntitlements(app core.App, tier, raw string) []string {
	names, problems := Entitlements(raw)
	logProblems(app, "tier_policies.care_entitlements", "tier "+tier, problems)
	return names
}

func readOffsets(app core.App, raw string) []Offset {
	offsets, problems := Offsets(raw)
	logProblems(app, "org_settings.followup_offsets", "org_settings", problems)
	return offsets
}
