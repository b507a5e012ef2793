package bench

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Command is `rapport bench`.
func Command() *cobra.Command {
	var (
		only    string
		quick   bool
		asJSON  bool
		profile string
		seed    uint64
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the performance targets (P1–P8) against stock PocketBase, side by side",
		Long: `Starts its own servers on temporary data directories and loopback ports,
generates an organisation, runs each scenario with bounded request counts and
durations, and prints one table. Exits non-zero only on errors, not on a
missed target.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			RunChildIfAsked()
			cfg := Config{Sizes: Full, CPUProfile: profile, Seed: seed, Log: os.Stderr}
			if quick {
				cfg.Sizes = Quick
			}
			for _, id := range strings.Split(only, ",") {
				if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
					cfg.Only = append(cfg.Only, id)
				}
			}
			rep, err := Run(cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return rep.WriteJSON(cmd.OutOrStdout())
			}
			fmt.Fprintln(cmd.OutOrStdout())
			rep.WriteTable(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "only", "", "scenarios to run, e.g. P1,P3 (default: all)")
	cmd.Flags().BoolVar(&quick, "quick", false, "small sizes: the whole run fits in about a minute")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write CPU profiles: this file for the bench process, <name>.<scenario>-<server>.prof for each server")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed of the generated data")
	return cmd
}
