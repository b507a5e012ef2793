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
	app.OnRecordConfirmVerificationRequest().BindFunc(func(e *core.RecordConfirmVerificationRequestEvent) error {
		actor.AsServer(e.Record)
		return e.Next()
	})
	app.OnRecordConfirmPasswordResetRequest().BindFunc(func(e *core.RecordConfirmPasswordResetRequestEvent) error {
		actor.AsServer(e.Record)
		return e.Next()
	})
	app.OnRecordConfirmEmailChangeRequest().BindFunc(func(e *core.RecordConfirmEmailChangeRequestEvent) error {
		actor.AsServer(e.Record)
		return e.Next()
	})
	app.OnRecordAuthWithOTPRequest().BindFunc(func(e *core.RecordAuthWithOTPRequestEvent) error {
		actor.AsServer(e.Record)
		return e.Next()
	})
	app.OnRecordAuthWithOAuth2Request().BindFunc(func(e *core.RecordAuthWithOAuth2RequestEvent) error {
		if e.Record != nil { // an existing account; a new one is created through the create request
			actor.AsServer(e.Record)
		}
		return e.Next()
	})
}
