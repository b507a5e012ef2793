package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/clientwrite"
	"rapport/internal/input"
)

// Request hooks only admit the client's write through internal/clientwrite,
// the entry the sync push shares: the values as sent checked (exact
// numbers), the caller stamped as the writer. Every rule is model-level.
func bindRequest(app core.App) {
	bind(app.OnRecordCreateRequest(), StageClient, "rapport.request.client", clientwrite.Request)
	bind(app.OnRecordUpdateRequest(), StageClient, "rapport.request.client", clientwrite.Request)
	bind(app.OnRecordDeleteRequest(), StageClient, "rapport.request.client", clientwrite.Request)
}

// Helpers of internal/input that other rules' messages and readers share.
var (
	decodeExact = input.DecodeExact
	describe    = input.Describe
	numberText  = input.NumberText
)
