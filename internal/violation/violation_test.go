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
