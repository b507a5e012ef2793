package schedule

import (
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Command is `rapport schedule --now [--date YYYY-MM-DD]`: the daily job
// from the shell, as of today or of an org-local day (backfills, tests).
func Command(app core.App) *cobra.Command {
	var now bool
	var date string
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run the daily care schedule job (cadence visits, follow-ups, care tasks, missed windows)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !now {
				return errors.New("say --now to run the job (it also runs daily at 02:00 org time under serve)")
			}
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			res, err := Run(app, date)
			if err != nil {
				return err // nothing to sum up: a refused --date ran nothing
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&now, "now", false, "run the job now")
	cmd.Flags().StringVar(&date, "date", "", "the org-local day to run as of (YYYY-MM-DD; default today)")
	return cmd
}
