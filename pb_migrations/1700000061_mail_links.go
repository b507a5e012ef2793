package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Mail and one-click links (internal/notify, internal/links).
//
//	_link_secret  the HS256 key that signs link tokens: one row, generated on
//	              first use, replaced by `rapport links rotate-secret`
//	_link_used    token ids (jti) already used, until they expire
//	_mail_sent    when each user was last sent each periodic mail (digest,
//	              summary), so a restart or a missed hour never sends twice
//
// Fields: users.language (emails and pages in zh-CN or en) and the visit's
// survey answer (server fields). Each is added only when missing, so a
// branch that adds the same field first is not broken.
var mailTables = []string{
	`CREATE TABLE _link_secret (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		secret  BLOB NOT NULL,
		created INTEGER NOT NULL
	)`,
	`CREATE TABLE _link_used (
		jti     TEXT PRIMARY KEY NOT NULL,
		expires INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE TABLE _mail_sent (
		user TEXT NOT NULL,
		kind TEXT NOT NULL,
		at   INTEGER NOT NULL,
		PRIMARY KEY (user, kind)
	) WITHOUT ROWID`,
}

// linkRateLimit throttles the link pages per client IP: a token is a
// random string, but guessing one must stay slow.
var linkRateLimit = core.RateLimitRule{Label: "/l/", MaxRequests: 30, Duration: 60}

func init() {
	m.Register(func(app core.App) error {
		for _, sql := range mailTables {
			if _, err := app.DB().NewQuery(sql).Execute(); err != nil {
				return err
			}
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		if users.Fields.GetByName("language") == nil {
			users.Fields.Add(sel("language", false, "zh-CN", "en"))
			if err := app.Save(users); err != nil {
				return err
			}
		}
		visits, err := app.FindCollectionByNameOrId("visits")
		if err != nil {
			return err
		}
		for _, f := range []core.Field{
			&core.NumberField{Name: "survey_rating", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(5.0)},
			&core.TextField{Name: "survey_comment", Max: 2000},
			&core.DateField{Name: "survey_at"},
		} {
			if visits.Fields.GetByName(f.GetName()) == nil {
				visits.Fields.Add(f)
			}
		}
		if err := app.Save(visits); err != nil {
			return err
		}
		settings := app.Settings()
		settings.RateLimits.Rules = append(settings.RateLimits.Rules, linkRateLimit)
		return app.Save(settings)
	}, func(app core.App) error {
		settings := app.Settings()
		settings.RateLimits.Rules = slices.DeleteFunc(settings.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == linkRateLimit.Label })
		if err := app.Save(settings); err != nil {
			return err
		}
		for name, fields := range map[string][]string{"visits": {"survey_rating", "survey_comment", "survey_at"}, "users": {"language"}} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			for _, f := range fields {
				c.Fields.RemoveByName(f)
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		for _, t := range []string{"_mail_sent", "_link_used", "_link_secret"} {
			if _, err := app.DB().NewQuery("DROP TABLE IF EXISTS " + t).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}
