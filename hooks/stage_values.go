package hooks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/input"
	"rapport/internal/org"
	"rapport/internal/violation"
)

// dayPattern is the pattern the migrations give day fields (YYYY-MM-DD in
// the org time zone), and only them. It checks the shape, not the calendar.
const dayPattern = `^\d{4}-\d{2}-\d{2}$`

// dateInvalid is the code of a date that does not exist: the one
// PocketBase's validation library (ozzo-validation's Date rule) answers.
const dateInvalid = "validation_date_invalid"

// contactFields are the fields of a customers.contacts entry (domain.md).
var contactFields = []string{"name", "title", "phone", "email", "birthday"}

// Values the schema cannot check: days that exist, a time zone that
// exists, contacts shaped as the spec says, and the JSON settings that
// internal/org reads (category_limits, care_entitlements,
// followup_offsets) in the shape it reads them. They are checked after
// PocketBase's own field validation, on every write path that validates
// (all but the daily job's own visits, saved without validation: it builds
// their values itself, and its tests validate what it wrote), when a save
// writes them (a new record, or a value other than the stored one): a
// value stored before a check existed does not block the jobs and cascades
// that save its record for another reason.
func bindValues(app core.App) {
	bind(app.OnRecordValidate(), StageValues, "rapport.values", checkValues)
}

func checkValues(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	r := e.Record
	var old *core.Record
	for _, f := range r.Collection().Fields {
		check := valueCheck(e.App, r.Collection().Name, f)
		if check == nil {
			continue
		}
		name := f.GetName()
		if !r.IsNew() {
			if old == nil {
				old = r.Original()
			}
			if r.GetString(name) == old.GetString(name) {
				continue
			}
		}
		if err := check(name, r.GetString(name)); err != nil {
			return err
		}
	}
	return nil
}

// valueCheck is the check of field f of collection, or nil if its schema
// says all there is.
func valueCheck(app core.App, collection string, f core.Field) func(field, value string) error {
	switch name := f.GetName(); {
	case isDayField(f):
		return checkDay
	case collection == "customers" && name == "contacts":
		return checkContacts
	case collection == "org_settings" && name == "timezone":
		return checkTimezone
	case collection == "org_settings" && name == "followup_offsets":
		return checkOffsets
	case collection == "org_settings" && name == "holidays":
		return checkHolidays
	case collection == "tier_policies" && name == "category_limits":
		return func(field, raw string) error { return checkLimits(app, field, raw) }
	case collection == "tier_policies" && name == "care_entitlements":
		return checkEntitlements
	}
	return nil
}

func isDayField(f core.Field) bool {
	t, ok := f.(*core.TextField)
	return ok && t.Pattern == dayPattern
}

// notADay explains why s is not a YYYY-MM-DD date that exists, or is ""
// when it is one.
func notADay(s string) string {
	if _, err := time.Parse(org.DayLayout, s); err != nil {
		return fmt.Sprintf("%q is not a date that exists: dates are YYYY-MM-DD, with a month from 01 to 12 and a day that month has", s)
	}
	return ""
}

func checkDay(field, day string) error {
	if day == "" {
		return nil // required or not: PocketBase's check
	}
	if msg := notADay(day); msg != "" {
		return violation.New(field, dateInvalid, "%s %s.", field, msg)
	}
	return nil
}

func checkTimezone(field, name string) error {
	if _, err := org.Zone(name); err != nil {
		return violation.New(field, "invalid_timezone", "%q is not a time zone; use an IANA name such as Asia/Shanghai or Europe/Berlin.", name)
	}
	return nil
}

// checkContacts requires a list of objects whose known fields are text (or
// null) and whose birthday is a date. Other keys are kept as sent: the
// spec lets fields be added, and an app that adds one should not lose the
// customer's edit.
func checkContacts(field, raw string) error {
	var v any
	_ = json.Unmarshal([]byte(raw), &v) // PocketBase has checked that it is JSON
	list, ok := v.([]any)
	if !ok {
		if v == nil || v == "" { // null, or an empty form field: no contacts
			return nil
		}
		return violation.New(field, "invalid_contacts", "Contacts must be a list of contacts, [{name, title, phone, email, birthday}], not %s.", kindOf(v))
	}
	for i, c := range list {
		contact, ok := c.(map[string]any)
		if !ok {
			return violation.New(field, "invalid_contacts", "Contact %d must be an object with name, title, phone, email and birthday, not %s.", i+1, kindOf(c))
		}
		for _, key := range contactFields {
			value := contact[key]
			s, isText := value.(string)
			if value != nil && !isText {
				return violation.New(field, "invalid_contacts", "Contact %d: %s must be text, not %s.", i+1, key, kindOf(value))
			}
			if key != "birthday" || s == "" {
				continue
			}
			if msg := notADay(s); msg != "" {
				return violation.New(field, dateInvalid, "Contact %d: birthday %s.", i+1, msg)
			}
		}
	}
	return nil
}

// checkLimits requires {category: whole amount ≥ 0} with known expense
// categories: internal/org reads the limits with the same reader, so that
// every stored entry applies.
func checkLimits(app core.App, field, raw string) error {
	const code = "invalid_category_limits"
	limits, problems := org.Limits(raw)
	if limits == nil && len(problems) > 0 { // not an object
		return violation.New(field, code, "Category limits must be %s; got %s.", problems[0].Want, input.Describe(problems[0].Got))
	}
	categories, err := expenseCategories(app)
	if err != nil {
		return err
	}
	bad := map[string]org.Problem{}
	keys := slices.Collect(maps.Keys(limits))
	for _, p := range problems {
		bad[p.Entry] = p
		keys = append(keys, p.Entry)
	}
	slices.Sort(keys)
	for _, category := range keys {
		if !slices.Contains(categories, category) {
			return violation.New(field, code, "Category limits: %q is not an expense category; the categories are %s.", category, strings.Join(categories, ", "))
		}
		if p, ok := bad[category]; ok {
			return violation.New(field, code, "Category limits: %q must be %s; got %s.", category, p.Want, input.Describe(p.Got))
		}
	}
	return nil
}

// expenseCategories are the values of expenses.category.
func expenseCategories(app core.App) ([]string, error) {
	c, err := app.FindCachedCollectionByNameOrId("expenses")
	if err != nil {
		return nil, err
	}
	f, ok := c.Fields.GetByName("category").(*core.SelectField)
	if !ok {
		return nil, fmt.Errorf("expenses.category is not a select field")
	}
	return f.Values, nil
}

// checkEntitlements requires a list of names.
func checkEntitlements(field, raw string) error {
	_, problems := org.Entitlements(raw)
	return listProblem(field, "invalid_care_entitlements", "Care entitlements", "Care entitlement", problems)
}

// checkOffsets requires a list of follow-ups in the shape org.Offsets reads.
func checkOffsets(field, raw string) error {
	_, problems := org.Offsets(raw)
	return listProblem(field, "invalid_followup_offsets", "Follow-up offsets", "Follow-up offset", problems)
}

// checkHolidays requires a list of {name, date}.
func checkHolidays(field, raw string) error {
	_, problems := org.Holidays(raw)
	return listProblem(field, "invalid_holidays", "Holidays", "Holiday", problems)
}

// listProblem refuses the first problem of a JSON list setting, naming the
// entry (1 = the first) and its key.
func listProblem(field, code, list, entry string, problems []org.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	switch p := problems[0]; {
	case p.Entry == "":
		return violation.New(field, code, "%s must be %s; got %s.", list, p.Want, input.Describe(p.Got))
	case p.Key != "":
		return violation.New(field, code, "%s %s: %q must be %s; got %s.", entry, p.Entry, p.Key, p.Want, input.Describe(p.Got))
	default:
		return violation.New(field, code, "%s %s must be %s; got %s.", entry, p.Entry, p.Want, input.Describe(p.Got))
	}
}

// kindOf names the JSON type of v for a message.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}
