package demo

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Command is `rapport demo`: seed the demo organisation into pb_data.
func Command(app core.App) *cobra.Command {
	opt := Options{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Seed a realistic demo organisation (teams, users, customers, plans, visits, expenses, budgets)",
		Long: "Seeds a demo organisation through the real business rules. Running it again changes nothing;\n" +
			"it refuses a database that already holds other data unless --force is given.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Dev mode (the default under `go run`) logs every SQL statement,
			// thousands here, burying the progress display.
			for _, db := range []dbx.Builder{app.ConcurrentDB(), app.NonconcurrentDB()} {
				if db, ok := db.(*dbx.DB); ok {
					db.QueryLogFunc, db.ExecLogFunc = nil, nil
				}
			}
			// `serve` migrates on start; the demo may run first.
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			opt.Out = cmd.OutOrStdout()
			_, err := Run(app, opt)
			return err
		},
	}
	cmd.Flags().Uint64Var(&opt.Seed, "seed", 2026, "random seed: the same seed gives the same organisation")
	cmd.Flags().IntVar(&opt.Customers, "customers", 200, "number of customers")
	cmd.Flags().BoolVar(&opt.Force, "force", false, "add the demo to a database that already holds other data")
	return cmd
}
