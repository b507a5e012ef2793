package org

import (
	"fmt"
	"time"
)

// DailyCron is the cron expression of hour:00 in loc on the day of now, in
// the clock of PocketBase's scheduler (UTC: moving its zone would move
// every other job). Jobs of the org's day re-derive it daily, so a
// daylight-saving change follows.
func DailyCron(loc *time.Location, hour int, now time.Time) string {
	local := now.In(loc)
	at := time.Date(local.Year(), local.Month(), local.Day(), hour, 0, 0, 0, loc).UTC()
	return fmt.Sprintf("%d %d * * *", at.Minute(), at.Hour())
}
