package sync

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"rapport/internal/violation"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{{Seq: 0}, {Seq: 42}, {Seq: 7, Snap: true}, {Seq: 7, Snap: true, Coll: 3, After: "abc123"}} {
		got, ok := parseCursor(c.String())
		if !ok || got != c {
			t.Errorf("%+v → %q → %+v %v", c, c.String(), got, ok)
		}
	}
	for _, bad := range []string{"", "garbage", "MTp4", "Mjo1"} {
		if _, ok := parseCursor(bad); ok {
			t.Errorf("%q parsed as a cursor", bad)
		}
	}
}

// A busy database or a cancelled request stops the push (503, retry); a
// rule or validation error is the mutation's rejection.
func TestTransient(t *testing.T) {
	for err, want := range map[error]bool{
		errors.New("database is locked (5) (SQLITE_BUSY)"):                         true,
		fmt.Errorf("save: %w", context.Canceled):                                   true,
		violation.New("amount", "plan_budget_exceeded", "over budget"):             false,
		errors.New("validation_required: cannot be blank"):                         false,
		fmt.Errorf("wrapped: %w", violation.Forbidden("owner", "forbidden", "no")): false,
	} {
		if isTransient(err) != want {
			t.Errorf("isTransient(%v) = %v", err, !want)
		}
	}
}
