package testkit

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// Case is one REST call against a fresh app seeded with the standard Org.
//
// URL and Body may name records with {placeholders}: {user:rita},
// {team:field}, {customer:rita} (the customer rita owns), and any key a
// Setup function stored in Org.Refs.
type Case struct {
	Name        string
	As          string // a user of the Org, "superuser", or "" for a guest
	Method      string
	URL         string
	Body        string
	Setup       func(t testing.TB, o *Org)
	Status      int
	Contains    []string
	NotContains []string
	Check       func(t testing.TB, o *Org) // assertions on the database afterwards
	// Events pins the app events the request fires, by name and count
	// (tests.ApiScenario.ExpectedEvents; "*": 0 means no others). Setup's
	// writes are not counted.
	Events map[string]int
}

// Run executes c as a tests.ApiScenario.
func (c Case) Run(t *testing.T) {
	t.Helper()
	var o *Org
	s := &tests.ApiScenario{
		Name:               c.Name,
		Method:             c.Method,
		ExpectedStatus:     c.Status,
		ExpectedContent:    c.Contains,
		NotExpectedContent: c.NotContains,
		Headers:            map[string]string{},
		ExpectedEvents:     c.Events,
	}
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if len(s.ExpectedContent) == 0 && len(s.NotExpectedContent) == 0 && c.Status != http.StatusNoContent {
		s.ExpectedContent = []string{""} // any body
	}
	s.TestAppFactory = func(tb testing.TB) *tests.TestApp {
		app := NewApp(tb)
		o = NewOrg(tb, app)
		if c.Setup != nil {
			c.Setup(tb, o)
		}
		s.URL = o.Expand(c.URL)
		if c.Body != "" {
			s.Body = strings.NewReader(o.Expand(c.Body))
		}
		switch c.As {
		case "":
		case "superuser":
			s.Headers["Authorization"] = SuperuserToken(tb, app)
		default:
			s.Headers["Authorization"] = o.Token(tb, c.As)
		}
		return app
	}
	if c.Check != nil {
		s.AfterTestFunc = func(tb testing.TB, app *tests.TestApp, res *http.Response) {
			c.Check(tb, o)
		}
	}
	s.Timeout = 20 * time.Second
	s.Test(t)
}

// Expand replaces {placeholders} in s with record ids.
func (o *Org) Expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	pairs := []string{}
	for k, v := range o.Refs {
		pairs = append(pairs, "{"+k+"}", v)
	}
	for k, v := range o.Users {
		pairs = append(pairs, "{user:"+k+"}", v.Id)
	}
	for k, v := range o.Teams {
		pairs = append(pairs, "{team:"+k+"}", v.Id)
	}
	for k, v := range o.Customers {
		pairs = append(pairs, "{customer:"+k+"}", v.Id)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// MustCollection finds a collection by name or fails the test.
func MustCollection(t testing.TB, app core.App, name string) *core.Collection {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
