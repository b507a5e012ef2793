package notify

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/mail"
)

// Count is how many records of a collection someone looked after.
type Count struct {
	Collection string
	N          int
}

// Handover tells to, who took over deactivated leaver's work
// (hooks/user_leavers.go), what is now theirs, in their language; it runs in the
// deactivation's transaction.
func Handover(app core.App, leaver, to *core.Record, work []Count) error {
	title, body := handoverText(mail.Lang(to), leaver.GetString("name"), work)
	return Send(app, Notice{User: to.Id, Kind: "handover", Title: title, Body: body, Link: "customers"})
}

// handoverNames are the collections' names in a notice, by language.
var handoverNames = map[string]map[string]string{
	"en":    {"customers": "customers", "plans": "open plans", "visits": "scheduled visits", "complaints": "open complaints"},
	"zh-CN": {"customers": "客户", "plans": "进行中的计划", "visits": "待进行的拜访", "complaints": "未结投诉"},
}

func handoverText(lang, leaver string, work []Count) (title, body string) {
	var parts []string
	for _, c := range work {
		name := handoverNames[lang][c.Collection]
		if name == "" {
			name = c.Collection
		}
		if lang == "en" {
			parts = append(parts, fmt.Sprintf("%d %s", c.N, name))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d 个", name, c.N))
		}
	}
	if lang == "en" {
		return leaver + "'s work is now yours",
			leaver + "'s account was deactivated. What they looked after is now yours: " + strings.Join(parts, ", ") + ". Reassign it to someone in your team if they should take it over."
	}
	return leaver + " 的工作已转交给您",
		leaver + " 的账号已停用，其负责的工作现由您接手：" + strings.Join(parts, "、") + "。如需由团队中其他人接手，请重新分配。"
}
