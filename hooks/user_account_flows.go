package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
)

// bindAccountFlows stamps the server as the writer of the account changes
// PocketBase's own auth routes save (a confirmed verification, password
// reset or email change; an OTP or OAuth2 sign-in marking the account
// verified): a token, code or provider proves them, not a user's
// permissions, and they are written as before the actor stamp failed
// closed.
func bindAccountFlows(app core.App) {
	const id = "rapport.users.account_flow"
	bind(app.OnRecordConfirmVerificationRequest(), StageAuth, id, func(e *core.RecordConfirmVerificationRequestEvent) error {
		return asServer(e.Record, e.Next)
	})
	bind(app.OnRecordConfirmPasswordResetRequest(), StageAuth, id, func(e *core.RecordConfirmPasswordResetRequestEvent) error {
		return asServer(e.Record, e.Next)
	})
	bind(app.OnRecordConfirmEmailChangeRequest(), StageAuth, id, func(e *core.RecordConfirmEmailChangeRequestEvent) error {
		return asServer(e.Record, e.Next)
	})
	bind(app.OnRecordAuthWithOTPRequest(), StageAuth, id, func(e *core.RecordAuthWithOTPRequestEvent) error {
		return asServer(e.Record, e.Next)
	})
	bind(app.OnRecordAuthWithOAuth2Request(), StageAuth, id, func(e *core.RecordAuthWithOAuth2RequestEvent) error {
		return asServer(e.Record, e.Next) // nil: sign-up, which goes through the users create request (admins only: refused)
	})
}

// asServer stamps the server on the account the route saves, if any.
func asServer(account *core.Record, next func() error) error {
	if account != nil {
		actor.AsServer(account)
	}
	return next()
}
