package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/input"
)

// bindInput checks the types of the records API's raw input (REST, batch,
// dashboard) with internal/input, the entry the sync push calls too.
func bindInput(app core.App) {
	check := func(e *core.RecordRequestEvent) error {
		if err := input.CheckRequest(e); err != nil {
			return err
		}
		return e.Next()
	}
	app.OnRecordCreateRequest().BindFunc(check)
	app.OnRecordUpdateRequest().BindFunc(check)
}

// Helpers of internal/input that other rules' messages and readers share.
var (
	decodeExact = input.DecodeExact
	describe    = input.Describe
	numberText  = input.NumberText
)
