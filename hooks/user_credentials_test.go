package hooks_test

import (
	"bytes"
	"testing"

	"rapport/internal/flow"
	"rapport/internal/testkit"
	"rapport/internal/violation"
)

// Nobody but the account's owner (and superusers) changes a password or
// e-mail: the refusal comes before any credential is checked, and is the
// same whatever was guessed.
func TestSignInFieldsAreTheOwners(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	rita := o.Users["rita"]

	for _, as := range []string{"fay", "ada", "mia"} {
		answers := map[string][][]byte{}
		for _, body := range []map[string]any{
			{"oldPassword": "wrong-guess", "password": "new-password-1", "passwordConfirm": "new-password-1"},
			{"oldPassword": "password123", "password": "new-password-1", "passwordConfirm": "new-password-1"},
			{"email": "someone@example.com"},
			{"email": "rita@example.com"},
			{"password": "new-password-1"},
			{"verified": false},
			{"emailVisibility": true},
		} {
			for how, res := range map[string]testkit.Response{"REST": c.Do(as, "PATCH", url(rita), body), "batch": batchOne(c, as, "PATCH", url(rita), body)} {
				if res.Status != 403 {
					t.Errorf("%s changes rita's %v (%s): %d %s", as, body, how, res.Status, res.Body)
				}
				answers[how] = append(answers[how], res.Body)
			}
		}
		// a wrong and a right old password, an unknown and the real
		// e-mail: one answer
		for how, a := range answers {
			if !bytes.Equal(a[0], a[1]) || !bytes.Equal(a[2], a[3]) {
				t.Errorf("%s (%s): different answers to different guesses:\n%s\n%s\n%s\n%s", as, how, a[0], a[1], a[2], a[3])
			}
		}
	}
	if now := reload(t, app, "users", rita.Id); now.Email() != "rita@example.com" || !now.ValidatePassword("password123") {
		t.Fatal("rita's sign-in changed")
	}
	// the model events hold an admin to it on every other path
	r := reload(t, app, "users", rita.Id)
	r.SetEmail("taken-over@example.com")
	if _, code := violation.Code(flow.Save(app, o.Users["ada"], r)); code != "forbidden" {
		t.Errorf("an admin's model save of rita's e-mail: %s", code)
	}

	// the owner and superusers still can
	if res := c.Do("rita", "PATCH", url(rita), map[string]any{"oldPassword": "password123", "password": "new-password-1", "passwordConfirm": "new-password-1"}); res.Status != 200 {
		t.Errorf("rita changes her password: %d %s", res.Status, res.Body)
	}
	if res := c.Do("superuser", "PATCH", url(rita), map[string]any{"password": "reset-by-root", "passwordConfirm": "reset-by-root"}); res.Status != 200 {
		t.Errorf("a superuser resets rita's password: %d %s", res.Status, res.Body)
	}
	if res := c.Do("ada", "PATCH", url(rita), map[string]any{"name": "Rita K"}); res.Status != 200 {
		t.Errorf("an admin edits rita's name: %d %s", res.Status, res.Body)
	}
}
