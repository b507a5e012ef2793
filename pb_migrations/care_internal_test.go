package migrations

import (
	"encoding/json"
	"testing"

	"rapport/internal/org"
)

// Stored follow-ups in the older {from, to} shape are rewritten entry by
// entry; the old default becomes the spec's default; unreadable entries
// stay for the reader to report.
func TestUpgradeFollowups(t *testing.T) {
	for _, tc := range []struct{ stored, want string }{
		{`[{"from":7,"to":7},{"from":120,"to":180},{"from":300,"to":365}]`, mustJSON(defaultFollowups)},
		{``, mustJSON(defaultFollowups)},
		{`[{"from":30,"to":60},{"from":90,"to":90,"label":"quarter"},"x",{"label":"yearly","every_days":365}]`,
			`[{"from_days":30,"label":"30–60 days","to_days":60},{"from_days":90,"label":"quarter","to_days":90},"x",{"every_days":365,"label":"yearly"}]`},
	} {
		got, err := upgradeFollowups(tc.stored)
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.stored, got, tc.want)
		}
	}
	offsets, problems := org.Offsets(mustJSON(defaultFollowups))
	if len(offsets) != 4 || len(problems) != 0 {
		t.Errorf("the default reads as %v, %v", offsets, problems)
	}
	if seed := holidaySeed(2026); len(seed) != 14 || seed[0]["unofficial"] != nil || seed[13]["unofficial"] != true {
		t.Errorf("2026 seed: %v", seed)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
