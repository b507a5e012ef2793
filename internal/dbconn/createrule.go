package dbconn

import (
	"database/sql/driver"
	"slices"
	"strings"
)

// PocketBase's records API checks a create rule with a query that holds the
// new record as a one-row CTE:
//
//	WITH `expenses__pb_create__T5TE27` as (SELECT ? AS `plan`,? AS `amount`,…)
//	SELECT (1) FROM `expenses__pb_create__T5TE27` WHERE … LIMIT 1
//
// The CTE's name ends in six random characters and its columns come in Go
// map order, so the text is new on every request and SQLite compiled it
// every time: a sixth of the CPU of a REST create (docs/benchmarks.md).
// canonicalCreateCheck gives such a query one text per collection and rule
// — the random part dropped, the columns sorted, their arguments moved with
// them — so that it stays prepared like any other statement. Any other
// query, or one whose shape differs in the least, is left as it is.
const (
	createMark   = "__pb_create__"
	createRandom = 6 // security.PseudorandomString(6)
	selectOpen   = "` as (SELECT "
	selectClose  = ") SELECT "
	column       = "? AS `"
)

// canonicalCreateCheck returns a create-rule check's query and args in
// canonical form, and any other query and args as they are.
func canonicalCreateCheck(query string, args []driver.NamedValue) (string, []driver.NamedValue) {
	rest, ok := strings.CutPrefix(query, "WITH `")
	if !ok {
		return query, args
	}
	name, rest, ok := strings.Cut(rest, selectOpen)
	mark := strings.LastIndex(name, createMark)
	if !ok || mark < 0 || len(name) != mark+len(createMark)+createRandom || !isColumn(name) {
		return query, args
	}
	list, tail, ok := strings.Cut(rest, selectClose)
	if !ok {
		return query, args
	}
	items := strings.Split(list, ",")
	if len(items) > len(args) {
		return query, args
	}
	type item struct {
		text string
		arg  driver.NamedValue
	}
	sorted := make([]item, len(items))
	for i, it := range items {
		col, ok := strings.CutPrefix(it, column)
		col, closed := strings.CutSuffix(col, "`")
		if !ok || !closed || !isColumn(col) || args[i].Ordinal != i+1 {
			return query, args
		}
		sorted[i] = item{it, args[i]}
	}
	slices.SortFunc(sorted, func(a, b item) int { return strings.Compare(a.text, b.text) })

	random := name[mark:] // the mark and the random part, as every derived name carries them
	var b strings.Builder
	b.Grow(len(query))
	b.WriteString("WITH `" + name[:mark] + createMark + selectOpen)
	out := make([]driver.NamedValue, len(args))
	for i, it := range sorted {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(it.text)
		out[i] = it.arg
		out[i].Ordinal = i + 1
	}
	copy(out[len(sorted):], args[len(sorted):])
	b.WriteString(selectClose)
	b.WriteString(strings.ReplaceAll(tail, random, createMark))
	return b.String(), out
}

// isColumn: PocketBase columnifies the names (letters, digits, _).
func isColumn(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
