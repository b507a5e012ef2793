package links

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Register binds the link routes and the pruning of spent token ids to app.
//
//	GET  /l/{token}                the confirmation page or survey form (writes nothing)
//	POST /l/{token}                decide, or answer the survey (once)
//	POST /api/visits/{id}/survey   the visit's rep sends a survey link
//	POST /api/links/rotate-secret  superusers: a new signing secret (voids every link)
//
// The /l/ routes are rate limited per IP by PocketBase's rate limiter (rule
// "/l/", set by migration 1700000061; dashboard: Settings → Rate limiting).
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/l/{token}", serve(showApproval, showSurvey))
		se.Router.POST("/l/{token}", serve(decideByLink, answerSurvey))
		se.Router.POST("/api/visits/{id}/survey", requestSurvey).Bind(apis.RequireAuth("users"))
		se.Router.POST("/api/links/rotate-secret", func(e *core.RequestEvent) error {
			if err := Rotate(e.App); err != nil {
				return err
			}
			return e.JSON(http.StatusOK, map[string]any{"rotated": true})
		}).Bind(apis.RequireSuperuserAuth())
		return se.Next()
	})
	app.Cron().MustAdd("rapport_links_prune", "37 4 * * *", func() {
		if err := prune(app); err != nil {
			app.Logger().Error("links: prune failed", "error", err)
		}
	})
}

type handler func(e *core.RequestEvent, c *Claims) error

// serve parses the token and hands it to the handler of its kind; a
// forged, altered or expired token gets its page and nothing else.
func serve(approval, survey handler) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		c, err := Parse(e.App, e.Request.PathValue("token"))
		switch {
		case errors.Is(err, ErrExpired):
			return render(e, problemExpired.Status, "message", visitorLang(e), problemExpired)
		case errors.Is(err, ErrInvalid):
			return render(e, problemInvalid.Status, "message", visitorLang(e), problemInvalid)
		case err != nil:
			return err
		case c.Kind == KindApproval:
			return approval(e, c)
		case c.Kind == KindSurvey:
			return survey(e, c)
		}
		return render(e, http.StatusBadRequest, "message", visitorLang(e), problemInvalid)
	}
}

// Command is `rapport links rotate-secret`.
func Command(app core.App) *cobra.Command {
	rotate := &cobra.Command{
		Use:   "rotate-secret",
		Short: "Replace the secret that signs one-click links (voids every link sent so far)",
		Long: `Generates a new secret for the one-click links of digest and survey emails.
Every link made before stops working at once (its page says the link is not
valid); the next digest carries new links. Use it when a mailbox holding
links may have been read by someone else.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := Rotate(app); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "link secret rotated: every link sent so far is void")
			return nil
		},
	}
	cmd := &cobra.Command{Use: "links", Short: "One-click link tools"}
	cmd.AddCommand(rotate)
	return cmd
}
