package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/actor"
	"rapport/internal/input"
)

// Request hooks only say who is asking, and check the records API's raw
// input (REST, batch, dashboard) with internal/input, the entry the sync
// push calls too; every rule is model-level.
func bindRequest(app core.App) {
	bind(app.OnRecordCreateRequest(), StageActor, "rapport.request.actor", stampCaller)
	bind(app.OnRecordUpdateRequest(), StageActor, "rapport.request.actor", stampCaller)
	bind(app.OnRecordDeleteRequest(), StageActor, "rapport.request.actor", stampCaller)
	bind(app.OnRecordCreateRequest(), StageInput, "rapport.request.input", checkInput)
	bind(app.OnRecordUpdateRequest(), StageInput, "rapport.request.input", checkInput)
}

// stampCaller names the signed-in caller (or superuser) as the writer.
func stampCaller(e *core.RecordRequestEvent) error {
	actor.Bind(e.Record, actor.FromAuth(e.Auth))
	return e.Next()
}

func checkInput(e *core.RecordRequestEvent) error {
	if err := input.CheckRequest(e); err != nil {
		return err
	}
	return e.Next()
}

// Helpers of internal/input that other rules' messages and readers share.
var (
	decodeExact = input.DecodeExact
	describe    = input.Describe
	numberText  = input.NumberText
)
