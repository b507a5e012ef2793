package report

import (
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Result is a report's answer: the JSON shape of docs/reports.md.
type Result struct {
	Report   string         `json:"report"`
	GroupBy  string         `json:"groupBy"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Currency string         `json:"currency"`
	Rows     []Row          `json:"rows"`
	Totals   map[string]any `json:"totals"`
	Columns  []Column       `json:"columns"` // the figures of a row, in CSV order, and how to show them
}

// Row is one line: key, label, the groupings' own values when several are
// combined, and figures.
type Row map[string]any

// Kind says how a figure is shown: in JSON its name, so that a client knows
// which figures are money (minor units) without guessing from their names.
type Kind int

const (
	Text    Kind = iota
	Count        // an integer
	Money        // minor units; a decimal string in CSV
	Percent      // a number with one decimal, or null when undefined
	Number       // a number with up to two decimals, or null
)

// Column is one figure of a report's rows.
type Column struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

var kindNames = [...]string{Text: "text", Count: "count", Money: "money", Percent: "percent", Number: "number"}

// MarshalJSON writes a kind by name: "money", "count", "percent", "number", "text".
func (k Kind) MarshalJSON() ([]byte, error) { return []byte(`"` + kindNames[k] + `"`), nil }

// percent is part/whole in percent with one decimal, nil when whole is 0.
func percent(part, whole int64) any {
	if whole == 0 {
		return nil
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// rows collects grouped rows in key order.
type rows struct {
	byKey map[string]Row
	parts map[string][]string
}

func newRows() *rows { return &rows{byKey: map[string]Row{}, parts: map[string][]string{}} }

// get returns the row of the grouping values parts, created with zeroed
// figures.
func (rs *rows) get(parts []string, columns []Column) Row {
	key := strings.Join(parts, "|")
	if r, ok := rs.byKey[key]; ok {
		return r
	}
	r := Row{"key": key}
	for _, c := range columns {
		switch c.Kind {
		case Count, Money:
			r[c.Name] = int64(0)
		case Text:
			r[c.Name] = ""
		default:
			r[c.Name] = nil
		}
	}
	rs.byKey[key] = r
	rs.parts[key] = parts
	return r
}

// list labels the rows through the groupings' dimensions and returns them
// in key order.
func (rs *rows) list(q *Query, groupBy []string) ([]Row, error) {
	labels := make([]map[string]string, len(groupBy))
	for i, g := range groupBy {
		seen := map[string]bool{}
		var keys []string
		for _, p := range rs.parts {
			if !seen[p[i]] {
				seen[p[i]] = true
				keys = append(keys, p[i])
			}
		}
		m, err := labelsOf(q.App, g, keys)
		if err != nil {
			return nil, err
		}
		labels[i] = m
	}
	out := make([]Row, 0, len(rs.byKey))
	for key, r := range rs.byKey {
		parts := rs.parts[key]
		names := make([]string, len(parts))
		for i, p := range parts {
			names[i] = labels[i][p]
			if names[i] == "" {
				names[i] = p
			}
			if names[i] == "" {
				names[i] = "(none)"
			}
			if len(groupBy) > 1 {
				r[groupBy[i]] = p
			}
		}
		r["label"] = strings.Join(names, " · ")
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["key"].(string) < out[j]["key"].(string) })
	return out, nil
}

// labelsOf names the keys of a grouping: customers, reps and teams by
// name, tiers by their policy's label.
func labelsOf(app core.App, groupBy string, keys []string) (map[string]string, error) {
	table, column, by := "", "name", "id"
	switch groupBy {
	case "customer":
		table = "customers"
	case "rep":
		table = "users"
	case "team":
		table = "teams"
	case "tier":
		table, column, by = "tier_policies", "label", "tier"
	default:
		return map[string]string{}, nil
	}
	ids := make([]any, 0, len(keys))
	for _, k := range keys {
		if k != "" {
			ids = append(ids, k)
		}
	}
	var found []struct {
		Key  string `db:"k"`
		Name string `db:"n"`
	}
	if len(ids) > 0 {
		err := app.DB().Select(by+" AS k", column+" AS n").From(table).Where(dbx.In(by, ids...)).All(&found)
		if err != nil {
			return nil, err
		}
	}
	m := make(map[string]string, len(found))
	for _, f := range found {
		m[f.Key] = f.Name
		if groupBy == "tier" && f.Name != "" {
			m[f.Key] = f.Key + " (" + f.Name + ")"
		}
	}
	return m, nil
}

// writeCSV sends res as CSV: UTF-8 with a byte order mark (so Excel reads
// Chinese names), a header row, money as decimal strings, the totals last.
func writeCSV(e *core.RequestEvent, res *Result) error {
	var b strings.Builder
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true // RFC 4180, as Excel writes it
	header := []string{"key", "label"}
	groupings := []string{}
	if strings.Contains(res.GroupBy, ",") {
		groupings = strings.Split(res.GroupBy, ",")
	}
	header = append(header, groupings...)
	for _, c := range res.Columns {
		header = append(header, c.Name)
	}
	_ = w.Write(header)
	line := func(r map[string]any) []string {
		out := []string{cell(r["key"], Text), cell(r["label"], Text)}
		for _, g := range groupings {
			out = append(out, cell(r[g], Text))
		}
		for _, c := range res.Columns {
			out = append(out, cell(r[c.Name], c.Kind))
		}
		return out
	}
	for _, r := range res.Rows {
		_ = w.Write(line(r))
	}
	totals := map[string]any{"key": "total", "label": "Total"}
	for k, v := range res.Totals {
		totals[k] = v
	}
	_ = w.Write(line(totals))
	w.Flush()
	name := fmt.Sprintf("%s_%s_%s.csv", res.Report, res.From, res.To)
	e.Response.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return e.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

func cell(v any, kind Kind) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		if kind == Money {
			return decimal(x)
		}
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprint(x)
	default:
		return inert(fmt.Sprint(x))
	}
}

// inert keeps a spreadsheet from running text as a formula: a customer
// named "=HYPERLINK(…)" must reach finance's Excel as text. A leading
// apostrophe is what Excel itself shows for such text.
func inert(text string) string {
	if text != "" && strings.ContainsRune("=+-@\t\r", rune(text[0])) {
		return "'" + text
	}
	return text
}

// decimal writes minor units as a plain decimal ("1200.50", "-3.05").
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}
