package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/clientwrite"
)

// Request hooks only admit the client's write through internal/clientwrite,
// the entry the sync push shares: the values as sent checked (exact
// numbers), the caller stamped as the writer. Every business rule is
// model-level; the users' request rules (StageRequestRules) read only what
// the request body says, and accounts are not written through sync.
func bindRequest(app core.App) {
	bind(app.OnRecordCreateRequest(), StageClient, "rapport.request.client", clientwrite.Request)
	bind(app.OnRecordUpdateRequest(), StageClient, "rapport.request.client", clientwrite.Request)
	bind(app.OnRecordDeleteRequest(), StageClient, "rapport.request.client", clientwrite.Request)
}
