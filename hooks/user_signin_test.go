package hooks_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"rapport/internal/testkit"

	"github.com/pocketbase/pocketbase/core"
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

// TestSignInLimitPerAccount: after 5 failed passwords in 15 minutes an
// account's sign-in pauses (429, the wait in seconds), even with the right
// password and whatever the address; other accounts are not affected, and
// concurrent guesses cannot overshoot the limit. The per-IP limit stays.
func TestSignInLimitPerAccount(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	if !slices.ContainsFunc(app.Settings().RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == "*:auth" && r.MaxRequests == 10 }) {
		t.Errorf("the per-IP sign-in limit is gone: %+v", app.Settings().RateLimits.Rules)
	}
	app.Settings().RateLimits.Enabled = false // one test address stands for many
	signIn := func(identity, password string) testkit.Response {
		return c.Do("", "POST", "/api/collections/users/auth-with-password", map[string]any{"identity": identity, "password": password})
	}
	for i := range 5 {
		if res := signIn("rita@example.com", "guess"); res.Status != 400 {
			t.Fatalf("failed sign-in %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	res := signIn("rita@example.com", "password123")
	if res.Status != 429 || res.Code("identity") != "too_many_attempts" || !strings.Contains(res.JSON()["message"].(string), "try again in 900 seconds") {
		t.Errorf("the right password after 5 failures: %d %s", res.Status, res.Body)
	}
	if res := signIn("rob@example.com", "password123"); res.Status != 200 {
		t.Errorf("another account signs in: %d %s", res.Status, res.Body)
	}

	// 20 guesses at once: 5 are checked, the others refused.
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() { statuses <- signIn("ed@example.com", "guess").Status })
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[400] != 5 || counts[429] != 15 {
		t.Errorf("20 concurrent guesses: %v, want 5 checked (400) and 15 refused (429)", counts)
	}
	// an identity with no account is paused alike
	for range 5 {
		signIn("nobody@example.com", "guess")
	}
	if res := signIn("nobody@example.com", "guess"); res.Status != 429 {
		t.Errorf("a made-up identity after 5 failures: %d", res.Status)
	}
}
