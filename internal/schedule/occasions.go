package schedule

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/org"
)

// occasions are the follow-ups and care tasks c is due as of the run's
// day: they depend on c and the settings alone.
func (p *planner) occasions(c *core.Record) []task {
	return append(p.followups(c), p.care(c)...)
}

// followups are the after-purchase calls whose creation day has come:
// from lead_days before the window opens until it ends, and never for a
// window already past when the customer was created.
func (p *planner) followups(c *core.Record) []task {
	since := c.GetString("customer_since")
	if _, err := p.s.ParseDay(since); err != nil {
		return nil
	}
	createdDay := p.s.Today(c.GetDateTime("created").Time())
	var tasks []task
	for _, o := range p.s.FollowupOffsets {
		start, end := addDays(p.s, since, o.FromDays), addDays(p.s, since, o.ToDays)
		if o.EveryDays > 0 {
			start = p.nextEvery(since, o.EveryDays)
			end = start
		}
		if end < createdDay || end < p.day || addDays(p.s, start, -o.LeadDays) > p.day {
			continue
		}
		label := o.Label
		if label == "" {
			label = fmt.Sprintf("%d–%d days", o.FromDays, o.ToDays)
		}
		tasks = append(tasks, task{source: SourceFollowup, kind: "call", occasion: "followup:" + start + ".." + end,
			due: start, start: start, end: end,
			notes: fmt.Sprintf("After-purchase follow-up (%s): call between %s and %s.", label, start, end)})
	}
	return tasks
}

// nextEvery is the first day since + k×every (k ≥ 1) on or after the run's day.
func (p *planner) nextEvery(since string, every int) string {
	s, _ := p.s.ParseDay(since)
	today, _ := p.s.ParseDay(p.day)
	k := max(1, int(today.Sub(s).Hours()/24)/every)
	for {
		d := s.AddDate(0, 0, k*every).Format(org.DayLayout)
		if d >= p.day {
			return d
		}
		k++
	}
}

// care are the care tasks whose creation day has come (care_lead_days
// before the occasion): one per birthday day of the customer's contacts
// and per holiday, when the customer's tier entitles it to something fitting.
func (p *planner) care(c *core.Record) []task {
	tier, ok := org.Find(p.tiers, c.GetString("tier"))
	if !ok {
		return nil
	}
	var tasks []task
	if gift := fitting(tier.CareEntitlements, "birthday_card", "greeting_card"); gift != "" {
		byDay := map[string][]string{}
		for _, contact := range contacts(c) {
			if occ := p.nextBirthday(contact.Birthday); occ != "" && p.inLead(occ) {
				byDay[occ] = append(byDay[occ], contact.Name)
			}
		}
		for occ, names := range byDay {
			tasks = append(tasks, p.careTask("birthday:"+occ, occ,
				fmt.Sprintf("Birthday of %s on %s. Suggested: %s.", strings.Join(names, ", "), occ, gift)))
		}
	}
	if gift := fitting(tier.CareEntitlements, "holiday_gift", "greeting_card"); gift != "" {
		for _, h := range p.s.Holidays {
			if h.Date >= p.day && p.inLead(h.Date) {
				tasks = append(tasks, p.careTask("holiday:"+h.Date+":"+h.Name, h.Date,
					fmt.Sprintf("%s on %s. Suggested: %s.", h.Name, h.Date, gift)))
			}
		}
	}
	slices.SortFunc(tasks, func(a, b task) int { return strings.Compare(a.occasion, b.occasion) })
	return tasks
}

func (p *planner) careTask(occasion, day, notes string) task {
	return task{source: SourceCare, kind: "care", occasion: occasion, due: day,
		start: addDays(p.s, day, -p.s.CareLeadDays), end: day, notes: notes}
}

// inLead reports whether day is within care_lead_days from the run's day.
func (p *planner) inLead(day string) bool {
	return day >= p.day && addDays(p.s, day, -p.s.CareLeadDays) <= p.day
}

// fitting is the first of wanted the tier is entitled to ("" when none).
func fitting(entitlements []string, wanted ...string) string {
	for _, w := range wanted {
		if slices.Contains(entitlements, w) {
			return w
		}
	}
	return ""
}

type contact struct {
	Name     string `json:"name"`
	Birthday string `json:"birthday"`
}

func contacts(c *core.Record) []contact {
	var list []contact
	_ = json.Unmarshal([]byte(c.GetString("contacts")), &list) // checked when written
	return list
}

// nextBirthday is the first anniversary of birthday (YYYY-MM-DD) on or
// after the run's day; 29 February is kept on 28 February in other years.
func (p *planner) nextBirthday(birthday string) string {
	b, err := time.Parse(org.DayLayout, birthday)
	if err != nil {
		return ""
	}
	today, _ := time.Parse(org.DayLayout, p.day)
	for _, y := range []int{today.Year(), today.Year() + 1} {
		d := anniversary(y, b.Month(), b.Day())
		if d >= p.day {
			return d
		}
	}
	return ""
}

func anniversary(year int, month time.Month, day int) string {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Month() != month { // 29 February in a common year
		t = time.Date(year, month, 28, 0, 0, 0, 0, time.UTC)
	}
	return t.Format(org.DayLayout)
}
