package audit

import (
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// LeftAt is when field of collection/recordID last changed away from
// value, by the log (ok false when it never did). The log is the one
// record of when a customer changed owner.
func LeftAt(app core.App, collection, recordID, field, value string) (at time.Time, ok bool, err error) {
	var created string
	err = app.DB().Select("created").From("audit_log").
		Where(dbx.HashExp{"collection": collection, "record_id": recordID, "action": "update"}).
		AndWhere(dbx.NewExp("json_extract(changes, {:path}) = {:value}", dbx.Params{"path": "$." + field + "[0]", "value": value})).
		OrderBy("seq DESC").Limit(1).Row(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	} else if err != nil {
		return time.Time{}, false, err
	}
	dt, err := types.ParseDateTime(created)
	return dt.Time(), err == nil, err
}
