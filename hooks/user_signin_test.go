package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// Sign-in is rate limited per client: the 11th attempt in a minute is 429.
func TestAuthRateLimit(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	users, _ := app.FindCollectionByNameOrId("users")
	if d := users.AuthToken.Duration; d != 30*24*3600 {
		t.Errorf("auth token duration %ds, want 30 days", d)
	}
	if !app.Settings().RateLimits.Enabled {
		t.Fatal("rate limiting is off")
	}
	statuses := []int{}
	for range 11 {
		statuses = append(statuses, c.Do("", "POST", "/api/collections/users/auth-with-password", `{"identity":"rita@example.com","password":"wrong"}`).Status)
	}
	if statuses[0] != 400 || statuses[10] != 429 {
		t.Errorf("sign-in statuses %v: want 400 at first, 429 on the 11th", statuses)
	}
}
