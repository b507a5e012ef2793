package dbconn

import (
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
)

func positional(values ...any) []driver.NamedValue {
	args := make([]driver.NamedValue, len(values))
	for i, v := range values {
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return args
}

func TestCanonicalCreateCheck(t *testing.T) {
	query := "WITH `tips__pb_create__T5TE27` as (SELECT ? AS `owner`,? AS `amount`,? AS `id`) " +
		"SELECT (1) FROM `tips__pb_create__T5TE27` WHERE (`tips__pb_create__T5TE27`.`amount` < ? AND ? IS NOT '') LIMIT 1"
	got, args := canonicalCreateCheck(query, positional("u1", 50, "x", 100, "u1"))
	want := "WITH `tips__pb_create__` as (SELECT ? AS `amount`,? AS `id`,? AS `owner`) " +
		"SELECT (1) FROM `tips__pb_create__` WHERE (`tips__pb_create__`.`amount` < ? AND ? IS NOT '') LIMIT 1"
	if got != want {
		t.Fatalf("canonical text:\n got %s\nwant %s", got, want)
	}
	if !slices.Equal(args, positional(50, "x", "u1", 100, "u1")) {
		t.Fatalf("arguments did not move with their columns: %v", args)
	}

	// anything else stays as it is
	for _, q := range []string{
		"SELECT name FROM t WHERE id = ?",
		"WITH `recent` as (SELECT ? AS `a`) SELECT (1) FROM `recent`",                                 // not a create check
		"WITH `tips__pb_create__T5TE2` as (SELECT ? AS `a`) SELECT (1) FROM `tips__pb_create__T5TE2`", // not 6 random characters
		"WITH `tips__pb_create__T5TE27` as (SELECT 1 AS `a`) SELECT (1) FROM `tips__pb_create__T5TE27`",
		"WITH `tips__pb_create__T5TE27` as (SELECT ? AS `a`,? AS `b`) SELECT (1) FROM `tips__pb_create__T5TE27`", // more columns than arguments
	} {
		if got, args := canonicalCreateCheck(q, positional("v")); got != q || len(args) != 1 {
			t.Errorf("%s was rewritten: %s", q, got)
		}
	}
}

// PocketBase's create-rule checks, with their random names and column
// orders, answer as written and share one prepared statement.
func TestCreateChecksStayPrepared(t *testing.T) {
	db := open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	columns := []string{"amount", "owner", "note", "id"}
	for i := range 50 {
		values := map[string]any{"amount": rng.IntN(200), "owner": []string{"u1", "u2"}[rng.IntN(2)],
			"note": []string{"ok", "blocked"}[rng.IntN(2)], "id": fmt.Sprint(i)}
		rng.Shuffle(len(columns), func(a, b int) { columns[a], columns[b] = columns[b], columns[a] })
		name := fmt.Sprintf("tips__pb_create__%06d", i)
		params := dbx.Params{"auth": "u1"}
		selects := make([]string, len(columns))
		for j, c := range columns {
			params["p_"+c] = values[c]
			selects[j] = "{:p_" + c + "} AS [[" + c + "]]"
		}
		q := db.Select("(1)").PreFragment("WITH {{" + name + "}} as (SELECT " + strings.Join(selects, ",") + ")").From(name).
			Where(dbx.NewExp("[[" + name + ".amount]] < 100 AND [[" + name + ".owner]] = {:auth} AND [[" + name + ".note]] != 'blocked'")).
			Bind(params).Limit(1)
		var rows []int
		if err := q.Column(&rows); err != nil {
			t.Fatal(err)
		}
		allowed := values["amount"].(int) < 100 && values["owner"] == "u1" && values["note"] != "blocked"
		if (len(rows) == 1) != allowed {
			t.Fatalf("check %d with %v in the order %v: allowed=%v, want %v", i, values, columns, len(rows) == 1, allowed)
		}
	}
	kept := cachedOn(t, db)
	if len(kept) != 1 || !strings.Contains(kept[0], "`tips__pb_create__` as (SELECT ? AS `amount`,? AS `id`,? AS `note`,? AS `owner`)") {
		t.Fatalf("cached %q, want the one canonical check", kept)
	}
}
