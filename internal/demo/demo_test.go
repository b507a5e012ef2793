package demo_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/demo"
	"rapport/internal/testkit"
)

// The demo seeds every state through the rules, and a second run changes
// nothing.
func TestDemo(t *testing.T) {
	app := testkit.NewApp(t)
	var out bytes.Buffer
	seeded, err := demo.Run(app, demo.Options{Seed: 7, Customers: 40, Out: &out})
	if err != nil || !seeded {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, s := range []string{"customers, plans, visits, expenses", "40/40", demo.Password, "ada@" + demo.Domain} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}

	for collection, want := range map[string]string{
		"customers": "tier:A tier:B tier:C tier:D",
		"plans":     "status:draft status:submitted status:approved status:rejected status:closed",
		"visits": "status:scheduled status:in_progress status:done status:missed status:cancelled " +
			"source:schedule source:followup source:care checkin_result:verified checkin_result:outside",
		"complaints": "status:open status:acknowledged status:closed breached:1",
		"expenses":   "status:draft status:submitted status:approved status:rejected status:paid",
		"users":      "role:rep role:manager role:director role:finance role:admin",
		"budgets":    "scope:org scope:team scope:rep",
	} {
		for _, pair := range strings.Fields(want) {
			field, value, _ := strings.Cut(pair, ":")
			n, err := app.CountRecords(collection, dbx.HashExp{field: value})
			if err != nil || n == 0 {
				t.Errorf("no %s with %s (%v)", collection, pair, err)
			}
		}
	}
	if n, _ := app.CountRecords("customers"); n != 40 {
		t.Errorf("%d customers, want 40", n)
	}
	// Submitted expenses wait for someone; decisions were made by people.
	waiting, _ := app.FindAllRecords("expenses", dbx.HashExp{"status": "submitted"})
	for _, x := range waiting {
		if x.GetString("approver") == "" {
			t.Errorf("submitted expense %s waits for nobody", x.Id)
		}
	}
	if n, _ := app.CountRecords("plans", dbx.HashExp{"status": "submitted"}, dbx.NewExp("approval_level >= 2")); n == 0 {
		t.Error("no plan waits for a second approval level")
	}
	decided, _ := app.FindAllRecords("approvals")
	for _, a := range decided {
		if a.GetString("approver") == "" && a.GetString("note") != "auto" {
			t.Errorf("approval %s has no approver", a.Id)
		}
	}
	paid, _ := app.FindAllRecords("expenses", dbx.HashExp{"status": "paid"})
	for _, x := range paid {
		if x.GetString("receipt") == "" || x.GetDateTime("paid_at").IsZero() {
			t.Errorf("paid expense %s: receipt %q paid_at %v", x.Id, x.GetString("receipt"), x.GetDateTime("paid_at"))
		}
	}
	// Users sign in with the printed password.
	ada, err := app.FindAuthRecordByEmail("users", "ada@"+demo.Domain)
	if err != nil || !ada.ValidatePassword(demo.Password) {
		t.Errorf("demo admin cannot sign in: %v", err)
	}

	before := counts(t, app)
	out.Reset()
	seeded, err = demo.Run(app, demo.Options{Seed: 8, Customers: 40, Out: &out})
	if err != nil || seeded {
		t.Fatalf("second run: seeded %v, %v", seeded, err)
	}
	if after := counts(t, app); after != before {
		t.Errorf("second run changed the data: %s → %s", before, after)
	}
}

// A database with someone else's data is left alone unless forced.
func TestDemoRefusesForeignData(t *testing.T) {
	app := testkit.NewApp(t)
	testkit.MustCreate(t, app, nil, "teams", map[string]any{"name": "Real team"})
	if _, err := demo.Run(app, demo.Options{Customers: 3}); !errors.Is(err, demo.ErrNotEmpty) {
		t.Fatalf("demo on a used database: %v", err)
	}
	if n, _ := app.CountRecords("users"); n != 0 {
		t.Fatalf("refused demo wrote %d users", n)
	}
	if seeded, err := demo.Run(app, demo.Options{Customers: 3, Force: true}); err != nil || !seeded {
		t.Fatalf("forced demo: %v", err)
	}
}

func counts(t testing.TB, app core.App) string {
	var b strings.Builder
	for _, c := range []string{"users", "teams", "customers", "plans", "visits", "expenses", "approvals", "budgets", "audit_log"} {
		n, err := app.CountRecords(c)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", c, n)
	}
	return b.String()
}

// `rapport demo` is the same seed behind a command line.
func TestDemoCommand(t *testing.T) {
	app := testkit.NewApp(t)
	cmd := demo.Command(app)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--customers", "3", "--seed", "1"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("demo command: %v\n%s", err, out.String())
	}
	if n, _ := app.CountRecords("customers"); n != 3 || !strings.Contains(out.String(), "Demo accounts") {
		t.Errorf("%d customers; output:\n%s", n, out.String())
	}
}
