package sync

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Command is `sync`, the sync engine's admin tools.
func Command(app core.App) *cobra.Command {
	cmd := &cobra.Command{Use: "sync", Short: "Offline sync tools"}
	cmd.AddCommand(&cobra.Command{
		Use:   "mark-restored",
		Short: "Mark a database restored by other means than PocketBase's backups",
		Long: `Marks the database as restored from a copy (Litestream, a volume snapshot, a
copy of data.db), as PocketBase's own backups are marked: the next start draws a new
change-log epoch, every device resets once on its next pull, and each install may push
once past the mutations the restore lost. Run it after restoring, before serving.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := setState(app, "restored", 1); err != nil {
				return err
			}
			cmd.PrintErrln("marked as restored: devices reset on their next pull")
			return nil
		},
	})
	return cmd
}
