package bench

import (
	"github.com/pocketbase/pocketbase/core"
)

// The stock server holds what the baselines need, built with PocketBase's
// own API and nothing of Rapport:
//
//	plain       an expense's fields as plain values; no rule, no relation,
//	            no index (REST create baseline, P1 and P2)
//	feed_teams  the generated teams with their viewers
//	feed        one record per rep, visible to the rep and their team's
//	            viewers by an API rule of the same shape as Rapport's, for
//	            stock realtime record subscriptions (P5)
//
// The generated users are copied with their ids so that the same people
// are entitled on both servers.

// stockWorld is what the baselines need to act on the stock server.
type stockWorld struct {
	Tokens map[string]string // user id → auth token on the stock server
	Feed   map[string]string // rep id → their feed record
}

func buildStock(app core.App, w *world) (*stockWorld, error) {
	if err := createPlain(app); err != nil {
		return nil, err
	}
	sw := &stockWorld{Tokens: map[string]string{}, Feed: map[string]string{}}
	err := app.RunInTransaction(func(tx core.App) error {
		users, err := tx.FindCachedCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		for _, p := range append(append([]person{}, w.Reps...), w.Staff...) {
			u := core.NewRecord(users)
			u.Id = p.ID
			u.SetEmail(p.ID + "@bench.example.com")
			u.SetRaw("password", &core.PasswordFieldValue{Hash: w.PasswordHash})
			u.SetVerified(true)
			if err := tx.Save(u); err != nil {
				return err
			}
			if sw.Tokens[p.ID], err = u.NewAuthToken(); err != nil {
				return err
			}
		}

		teams := core.NewBaseCollection("feed_teams")
		teams.Fields.Add(&core.RelationField{Name: "viewers", CollectionId: users.Id, MaxSelect: 999})
		if err := tx.Save(teams); err != nil {
			return err
		}
		for id, viewers := range w.Viewers {
			t := core.NewRecord(teams)
			t.Id = id
			t.Set("viewers", viewers)
			if err := tx.Save(t); err != nil {
				return err
			}
		}

		feed := core.NewBaseCollection("feed")
		feed.Fields.Add(
			&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1},
			&core.RelationField{Name: "team", CollectionId: teams.Id, MaxSelect: 1},
			&core.TextField{Name: "note"},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		visible := `owner = @request.auth.id || team.viewers.id ?= @request.auth.id`
		feed.ListRule = &visible
		feed.ViewRule = &visible
		own := `owner = @request.auth.id`
		feed.UpdateRule = &own
		if err := tx.Save(feed); err != nil {
			return err
		}
		for _, rep := range w.Reps {
			f := core.NewRecord(feed)
			f.Set("owner", rep.ID)
			f.Set("team", rep.Team)
			if err := tx.Save(f); err != nil {
				return err
			}
			sw.Feed[rep.ID] = f.Id
		}
		return nil
	})
	return sw, err
}

// createPlain makes the create baseline's collection: the fields of an
// expense as plain values, no rule (anyone may create), no index, no hook.
func createPlain(app core.App) error {
	c := core.NewBaseCollection("plain")
	c.Fields.Add(
		&core.TextField{Name: "plan"},
		&core.TextField{Name: "category"},
		&core.NumberField{Name: "amount"},
		&core.TextField{Name: "currency"},
		&core.TextField{Name: "incurred_on"},
		&core.TextField{Name: "description"},
		&core.TextField{Name: "status"},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	c.CreateRule = new(string)
	return app.Save(c)
}
