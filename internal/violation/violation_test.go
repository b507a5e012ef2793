package violation

import (
	"encoding/json"
	"testing"
)

func TestShape(t *testing.T) {
	err := New("amount", "budget_exceeded", "Only %d left.", 5)
	b, _ := json.Marshal(err)
	t.Log(string(b))
	if f, c := Code(err); f != "amount" || c != "budget_exceeded" {
		t.Fatal(f, c, string(b))
	}
}

// A message keeps the words it was written with: a field name or an email
// address that starts it is not capitalised ("incurred_on", not "Incurred_on").
func TestMessageKeepsItsFirstWord(t *testing.T) {
	err := New("incurred_on", "validation_date_invalid", "incurred_on %q is not a date.", "2026-02-30")
	if err.Message != `incurred_on "2026-02-30" is not a date.` {
		t.Errorf("message %q", err.Message)
	}
}
