package org

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// The JSON settings — a tier's category_limits and care_entitlements, the
// org's followup_offsets — are read entry by entry: an entry that cannot be
// read is left out (and logged), the others apply. Decoding a whole map at
// once lost all of it to one bad value: a tier whose meal limit read "1000"
// had no limits at all. Writes are checked with the same readers
// (hooks/stage_values.go), so a value stored since has every entry readable.

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

// Offsets reads followup_offsets, a list of after-purchase follow-ups, days
// after customer_since: a window {"label", "from_days", "to_days"} or a
// repeating day {"label", "every_days"}, each with an optional "lead_days"
// (how long before the window the task appears; default
// DefaultLeadDays). Day counts are whole numbers from 0, every_days from 1,
// and from_days no later than to_days. Other keys are ignored.
func Offsets(raw string) ([]Offset, []Problem) {
	list, problems := decodeList(raw, `a list of follow-ups, such as [{"label": "1 week", "from_days": 7, "to_days": 7}, {"label": "yearly", "every_days": 365}]`)
	var offsets []Offset
	for i, v := range list {
		entry := strconv.Itoa(i + 1)
		obj, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, Problem{Entry: entry, Want: `an object {"label", "from_days", "to_days"} or {"label", "every_days"}`, Got: v})
			continue
		}
		o, p := readOffset(obj)
		if p != nil {
			p.Entry = entry
			problems = append(problems, *p)
			continue
		}
		offsets = append(offsets, o)
	}
	return offsets, problems
}

// DefaultLeadDays is how many days before its window a follow-up appears
// when its entry says nothing.
const DefaultLeadDays = 14

func readOffset(obj map[string]any) (Offset, *Problem) {
	days := func(key string, min int64) (int, *Problem) {
		n, ok := Whole(obj[key])
		if !ok || n < min {
			return 0, &Problem{Key: key, Want: fmt.Sprintf("a whole number of days, %d or more", min), Got: obj[key]}
		}
		return int(n), nil
	}
	o := Offset{LeadDays: DefaultLeadDays}
	if label, ok := obj["label"]; ok {
		if o.Label, ok = label.(string); !ok {
			return o, &Problem{Key: "label", Want: "text", Got: label}
		}
	}
	var p *Problem
	if _, ok := obj["lead_days"]; ok {
		if o.LeadDays, p = days("lead_days", 0); p != nil {
			return o, p
		}
	}
	if _, ok := obj["every_days"]; ok {
		o.EveryDays, p = days("every_days", 1)
		return o, p
	}
	if o.FromDays, p = days("from_days", 0); p != nil {
		return o, p
	}
	if o.ToDays, p = days("to_days", 0); p != nil {
		return o, p
	}
	if o.FromDays > o.ToDays {
		return o, &Problem{Want: `a window whose "from_days" is no later than its "to_days"`, Got: obj}
	}
	return o, nil
}

// Holidays reads org_settings.holidays, a list of {"name", "date"} with the
// date as YYYY-MM-DD. Other keys (such as "unofficial") are ignored.
func Holidays(raw string) ([]Holiday, []Problem) {
	list, problems := decodeList(raw, `a list of holidays, such as [{"name": "春节", "date": "2027-02-05"}]`)
	var holidays []Holiday
	for i, v := range list {
		entry := strconv.Itoa(i + 1)
		obj, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, Problem{Entry: entry, Want: `an object {"name", "date"}`, Got: v})
			continue
		}
		name, _ := obj["name"].(string)
		date, _ := obj["date"].(string)
		if name == "" {
			problems = append(problems, Problem{Entry: entry, Key: "name", Want: "a name (text, not empty)", Got: obj["name"]})
			continue
		}
		if _, err := time.Parse(DayLayout, date); err != nil {
			problems = append(problems, Problem{Entry: entry, Key: "date", Want: "a day as YYYY-MM-DD", Got: obj["date"]})
			continue
		}
		holidays = append(holidays, Holiday{Name: name, Date: date})
	}
	return holidays, problems
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

func readHolidays(app core.App, raw string) []Holiday {
	holidays, problems := Holidays(raw)
	logProblems(app, "org_settings.holidays", "org_settings", problems)
	return holidays
}
