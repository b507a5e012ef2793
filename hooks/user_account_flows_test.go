package hooks_test

import (
	"testing"

	"rapport/internal/testkit"
)

// PocketBase's own account routes still save the account: a password reset
// confirmed with its token sets the new password.
func TestPasswordResetIsSaved(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	token, err := o.Users["rita"].NewPasswordResetToken()
	if err != nil {
		t.Fatal(err)
	}
	res := c.Do("", "POST", "/api/collections/users/confirm-password-reset",
		map[string]any{"token": token, "password": "a-new-secret", "passwordConfirm": "a-new-secret"})
	if res.Status != 204 {
		t.Fatalf("confirm password reset: %d %s", res.Status, res.Body)
	}
	if !reload(t, app, "users", o.Users["rita"].Id).ValidatePassword("a-new-secret") {
		t.Error("the new password was not saved")
	}
}
