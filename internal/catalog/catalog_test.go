package catalog_test

import (
	"testing"

	"rapport/internal/catalog"
	"rapport/internal/testkit"
)

// The list and view rules the migrations store are the ones the catalogue
// renders: who sees what is said once, and sync derives from the same words.
func TestStoredRulesAreTheCataloguesRules(t *testing.T) {
	app := testkit.NewApp(t)
	for _, c := range catalog.All {
		stored, err := app.FindCollectionByNameOrId(c.Name)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := c.Rule()
		for name, rule := range map[string]*string{"list": stored.ListRule, "view": stored.ViewRule} {
			if rule == nil || *rule != want {
				t.Errorf("%s %s rule\n got: %v\nwant: %s", c.Name, name, deref(rule), want)
			}
		}
	}
}

// Every collection a migration creates outside PocketBase's own is either
// in the catalogue or a report view.
func TestEveryCollectionIsCatalogued(t *testing.T) {
	app := testkit.NewApp(t)
	all, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.System || c.IsView() || catalog.Get(c.Name) != nil {
			continue
		}
		t.Errorf("collection %s is not in internal/catalog", c.Name)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil: superusers only>"
	}
	return *s
}

// A client's sent server fields are compared with what the rules derived
// only on versioned collections (hooks, StageSentSame): a collection with
// server fields must be versioned, or a client's value there would be
// dropped silently instead of refused.
func TestServerFieldsAreOnVersionedCollections(t *testing.T) {
	for _, c := range catalog.All {
		if len(c.ServerFields) > 0 && !c.Versioned {
			t.Errorf("%s has server fields %v but is not versioned", c.Name, c.ServerFields)
		}
	}
}
