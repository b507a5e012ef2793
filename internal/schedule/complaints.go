package schedule

import (
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/notify"
)

// Breaches marks breached every open complaint whose response_due has
// passed at now, and tells its owner and the owner's manager. Each
// complaint commits on its own, with its notices.
func Breaches(app core.App, now time.Time) (int, error) {
	at, _ := types.ParseDateTime(now)
	var ids []string
	err := app.DB().Select("id").From("complaints").
		Where(dbx.HashExp{"status": "open", "breached": false}).
		AndWhere(dbx.NewExp("response_due != '' AND response_due <= {:now}", dbx.Params{"now": at.String()})).
		Column(&ids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := app.RunInTransaction(func(tx core.App) error {
			c, err := tx.FindRecordById("complaints", id)
			if err != nil || c.GetBool("breached") || c.GetString("status") != "open" {
				return nil // answered or gone meanwhile
			}
			c.Set("breached", true)
			if err := save(tx, c); err != nil {
				return err
			}
			n++
			return tellBreach(tx, c)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// tellBreach notifies the complaint's owner and their manager.
func tellBreach(app core.App, c *core.Record) error {
	customer, err := app.FindRecordById("customers", c.GetString("customer"))
	if err != nil {
		return err
	}
	owner, err := app.FindRecordById("users", c.GetString("owner"))
	if err != nil {
		return err
	}
	recipients := []*core.Record{owner}
	if m, err := managerOf(app, owner); err != nil {
		return err
	} else if m != "" && m != owner.Id {
		manager, err := app.FindRecordById("users", m)
		if err != nil {
			return err
		}
		recipients = append(recipients, manager)
	}
	for _, user := range recipients {
		if err := notify.Breach(app, user, c, customer); err != nil {
			return err
		}
	}
	return nil
}

// managerOf is user's manager: the one set on the account, else the
// manager of their team ("" when neither).
func managerOf(app core.App, user *core.Record) (string, error) {
	if m := user.GetString("manager"); m != "" {
		return m, nil
	}
	var m string
	err := app.DB().Select("manager").From("teams").Where(dbx.HashExp{"id": user.GetString("team")}).Row(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return m, err
}
