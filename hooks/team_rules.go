package hooks

import (
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/violation"
)

// A team's ancestors (itself and the teams above) and viewers (their
// managers) are derived on every write; the visibility rules read them.
// Only admins change teams (catalog Writers).
func bindTeams(app core.App) {
	bind(app.OnRecordCreateExecute("teams"), StageRules, "rapport.teams.rules", deriveLineage)
	bind(app.OnRecordUpdateExecute("teams"), StageRules, "rapport.teams.rules", deriveLineage)
	bind(app.OnRecordUpdate("teams"), StageCascade, "rapport.teams.lineage", lineageDown)
}

func deriveLineage(e *core.RecordEvent) error {
	ancestors, viewers, err := teamLineage(e.App, e.Record)
	if err != nil {
		return err
	}
	e.Record.Set("ancestors", ancestors)
	e.Record.Set("viewers", viewers)
	return e.Next()
}

// lineageDown: a changed lineage flows down, each child re-deriving its
// own on save. A new manager or parent also changes approval chains:
// requests left with someone no longer in them move on (once, at the team
// edited).
func lineageDown(e *core.RecordEvent) error {
	original := e.Record.Original()
	if err := e.Next(); err != nil {
		return err
	}
	if sameValue(original.Get("viewers"), e.Record.Get("viewers")) &&
		sameValue(original.Get("ancestors"), e.Record.Get("ancestors")) {
		return nil
	}
	children, err := e.App.FindAllRecords("teams", dbx.HashExp{"parent": e.Record.Id})
	if err != nil {
		return err
	}
	for _, child := range children {
		causedBy(child, e.Record)
		if err := e.App.Save(child); err != nil {
			return err
		}
	}
	if original.GetString("manager") == e.Record.GetString("manager") &&
		original.GetString("parent") == e.Record.GetString("parent") {
		return nil
	}
	return rerouteStranded(e.App, e.Record)
}

// teamLineage returns the team itself plus its ancestors (nearest first),
// and the managers of all of them: the users who may view the team's records.
func teamLineage(app core.App, team *core.Record) (ancestors, viewers []string, err error) {
	ancestors = []string{team.Id}
	addViewer := func(t *core.Record) {
		if m := t.GetString("manager"); m != "" && !slices.Contains(viewers, m) {
			viewers = append(viewers, m)
		}
	}
	addViewer(team)
	for parentId := team.GetString("parent"); parentId != ""; {
		if slices.Contains(ancestors, parentId) {
			return nil, nil, violation.New("parent", "invalid_parent", "A team cannot be placed under itself or one of its own sub-teams.")
		}
		parent, err := app.FindRecordById("teams", parentId)
		if err != nil {
			return nil, nil, violation.New("parent", "invalid_parent", "The parent team does not exist.")
		}
		ancestors = append(ancestors, parent.Id)
		addViewer(parent)
		parentId = parent.GetString("parent")
	}
	if viewers == nil {
		viewers = []string{}
	}
	return ancestors, viewers, nil
}
