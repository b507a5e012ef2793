package links

import (
	"encoding/json"
	"net/http"
	netmail "net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/flow"
	"rapport/internal/mail"
	"rapport/internal/violation"
)

// surveyRequest is the body of POST /api/visits/{id}/survey.
type surveyRequest struct {
	Email string `json:"email"`
}

// requestSurvey: the visit's rep sends one of the customer's contacts a
// link to rate the visit. A done visit only, not answered yet; the email
// must be one of the customer's contacts' (so the link cannot be sent to
// the rep's own mailbox).
func requestSurvey(e *core.RequestEvent) error {
	info, err := e.RequestInfo() // reads the body first: the same answer whether the visit exists or not
	if err != nil {
		return badSurveyBody()
	}
	visit, err := e.App.FindRecordById("visits", e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("", nil)
	}
	if ok, err := e.App.CanAccessRecord(visit, info, visit.Collection().ViewRule); err != nil {
		return err
	} else if !ok {
		return e.NotFoundError("", nil)
	}
	if visit.GetString("rep") != e.Auth.Id {
		return violation.Forbidden("rep", "forbidden", "Only the visit's rep sends its survey.")
	}
	var body surveyRequest
	if err := e.BindBody(&body); err != nil {
		return badSurveyBody()
	}
	email := strings.TrimSpace(body.Email)
	switch {
	case email == "":
		return violation.New("email", "validation_required", "email is required: one of the customer's contacts' email addresses.")
	case visit.GetString("status") != "done":
		return violation.New("status", "visit_not_done", "This visit is %s; a survey can be sent once it is done.", visit.GetString("status"))
	case !visit.GetDateTime("survey_at").IsZero():
		return violation.New("survey_at", "locked", "The customer already rated this visit.")
	}
	customer, err := e.App.FindRecordById("customers", visit.GetString("customer"))
	if err != nil {
		return err
	}
	if !isContact(customer, email) {
		return violation.New("email", "not_a_contact", "%s is not the email of one of %s's contacts; add the contact to the customer first.", email, customer.GetString("name"))
	}
	if !mail.Enabled(e.App) {
		return e.Error(http.StatusServiceUnavailable, "Email is not set up on this server (dashboard: Settings → Mail settings); no survey was sent.", nil)
	}
	token, err := Sign(e.App, Claims{Kind: KindSurvey, Collection: "visits", Record: visit.Id, Email: email}.withSubject(e.Auth.Id), SurveyTTL)
	if err != nil {
		return err
	}
	expires := time.Now().Add(SurveyTTL).UTC()
	err = mail.Send(e.App, mail.Message{
		To: mailAddress(email), Lang: mail.Lang(e.Auth), Name: "survey",
		Data: map[string]any{"Customer": customer.GetString("name"), "Rep": e.Auth.GetString("name"),
			"Day": visitDay(visit), "Link": URL(e.App, token)},
	})
	if err != nil {
		return e.Error(http.StatusBadGateway, "The mail server did not take the survey email; try again later.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"sent": true, "email": email, "expires": expires.Format(time.RFC3339)})
}

func badSurveyBody() error {
	return violation.New("email", "invalid_type", "Send {\"email\": \"…\"}: one of the customer's contacts' email addresses.")
}

// isContact reports whether email is one of customer's contacts' emails
// (compared without case).
func isContact(customer *core.Record, email string) bool {
	var contacts []map[string]any
	_ = json.Unmarshal([]byte(customer.GetString("contacts")), &contacts)
	return slices.ContainsFunc(contacts, func(c map[string]any) bool {
		s, _ := c["email"].(string)
		return s != "" && strings.EqualFold(strings.TrimSpace(s), email)
	})
}

// visitDay is the visit's day as shown to the customer.
func visitDay(v *core.Record) string {
	if d := v.GetString("due_date"); d != "" {
		return d
	}
	return v.GetDateTime("ended_at").Time().Format(time.DateOnly)
}

// surveyPage is what the survey page shows.
type surveyPage struct {
	Customer, Rep, Day string
	Ratings            []int
}

// surveyTarget loads the visit c rates, while the link stands: unused and
// not answered yet.
func surveyTarget(app core.App, c *Claims) (*core.Record, error) {
	if c.Collection != "visits" {
		return nil, problemInvalid
	}
	if u, err := used(app, c); err != nil {
		return nil, err
	} else if u {
		return nil, problemUsed
	}
	v, err := app.FindRecordById("visits", c.Record)
	if err != nil {
		return nil, problemGone
	}
	if !v.GetDateTime("survey_at").IsZero() {
		return nil, problemUsed
	}
	return v, nil
}

// surveyLang is the language of the survey: the rep's, who chose to send
// it (a contact has no language of their own).
func surveyLang(app core.App, c *Claims) string {
	rep, _ := app.FindRecordById("users", c.Subject)
	return mail.Lang(rep)
}

// showSurvey (GET) renders the survey form. It writes nothing.
func showSurvey(e *core.RequestEvent, c *Claims) error {
	lang := surveyLang(e.App, c)
	v, err := surveyTarget(e.App, c)
	if err != nil {
		return showProblem(e, lang, err)
	}
	page := surveyPage{Day: visitDay(v), Ratings: []int{1, 2, 3, 4, 5}}
	if rep, err := e.App.FindRecordById("users", v.GetString("rep")); err == nil {
		page.Rep = rep.GetString("name")
	}
	if cu, err := e.App.FindRecordById("customers", v.GetString("customer")); err == nil {
		page.Customer = cu.GetString("name")
	}
	return render(e, http.StatusOK, "survey", lang, page)
}

// answerSurvey (POST) stores the rating and comment on the visit, as the
// server (the customer has no account), through the visit's record events.
func answerSurvey(e *core.RequestEvent, c *Claims) error {
	lang := surveyLang(e.App, c)
	rating, err := strconv.Atoi(e.Request.FormValue("rating"))
	if err != nil || rating < 1 || rating > 5 {
		return showProblem(e, lang, &Problem{Status: http.StatusBadRequest, Key: "rating"})
	}
	comment := strings.TrimSpace(e.Request.FormValue("comment"))
	if len([]rune(comment)) > 2000 {
		comment = string([]rune(comment)[:2000])
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		v, err := surveyTarget(tx, c)
		if err != nil {
			return err
		}
		if err := use(tx, c); err != nil {
			return problemUsed
		}
		v.Set("survey_rating", rating)
		v.Set("survey_comment", comment)
		v.Set("survey_at", types.NowDateTime())
		return Save(tx, v)
	})
	if err != nil {
		return showProblem(e, lang, err)
	}
	return render(e, http.StatusOK, "message", lang, &Problem{Status: http.StatusOK, Key: "thanks"})
}

// Save is how this package writes as the server (a survey answer has no
// user behind it): flow.Save with no user stamps actor.Server.
func Save(app core.App, r *core.Record) error {
	return flow.Save(app, nil, r)
}

func mailAddress(email string) netmail.Address { return netmail.Address{Address: email} }
