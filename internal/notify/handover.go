package notify

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"rapport/hooks"
	"rapport/internal/mail"
)

// bindHandover tells the approver who took over a deactivated user's work
// (hooks/leavers.go) what is now theirs, in the deactivation's transaction.
// It binds outside the hand-over (a lower priority), so it reads the record
// of it once the hand-over is done.
func bindHandover(app core.App) {
	app.OnRecordUpdate("users").Bind(&hook.Handler[*core.RecordEvent]{Priority: hooks.LeaverPriority - 1, Func: func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		h, ok := e.Record.GetRaw(hooks.HandoverKey).(*hooks.Handover)
		if !ok {
			return nil
		}
		e.Record.Set(hooks.HandoverKey, nil)
		title, body := handoverText(mail.Lang(h.To), h)
		return Send(e.App, Notice{User: h.To.Id, Kind: "handover", Title: title, Body: body, Link: "customers"})
	}})
}

// handoverNames are the collections' names in a notice, by language.
var handoverNames = map[string]map[string]string{
	"en":    {"customers": "customers", "plans": "open plans", "visits": "scheduled visits", "complaints": "open complaints"},
	"zh-CN": {"customers": "客户", "plans": "进行中的计划", "visits": "待进行的拜访", "complaints": "未结投诉"},
}

func handoverText(lang string, h *hooks.Handover) (title, body string) {
	leaver := h.Leaver.GetString("name")
	var parts []string
	for _, c := range h.Work {
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
