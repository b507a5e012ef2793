// Rapport: an offline-first backend for customer-care field teams, built on
// PocketBase. This file only wires the pieces together.
package main

import (
	"log"
	"mime"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/spf13/cobra"

	"rapport/hooks"
	"rapport/internal/audit"
	"rapport/internal/bench"
	"rapport/internal/dbconn"
	"rapport/internal/demo"
	"rapport/internal/links"
	"rapport/internal/notify"
	"rapport/internal/report"
	"rapport/internal/schedule"
	"rapport/internal/sync"
	_ "rapport/pb_migrations"
)

// Go's collector, tuned for a server unless GOMEMLIMIT / GOGC say otherwise:
//   - a soft memory limit: thousands of idle realtime connections leave
//     garbage that the collector would otherwise let grow to twice the live
//     heap;
//   - below it, a collection when the heap has grown to 5× the live heap
//     rather than 2×: a write allocates 150–250 KB of short-lived records and
//     JSON, and with the few MB a busy server keeps live, the default
//     collected every few dozen writes, 10–14 % of a write's CPU
//     (docs/benchmarks.md).
const (
	defaultMemoryLimit = 192 << 20
	defaultGCPercent   = 400
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	// SQLite through a driver that keeps prepared statements (internal/dbconn)
	app := pocketbase.NewWithConfig(pocketbase.Config{DBConnect: dbconn.Connect})

	// The schema lives in Go migrations; dashboard edits do not write new ones.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangGo,
		Dir:          "pb_migrations",
	})

	// PocketBase's colored error writer prints to stdout; scripts read a
	// command's result there (HEAD=$(rapport audit verify)), so errors and
	// summaries go to stderr.
	app.RootCmd.SetErr(os.Stderr)

	hooks.Register(app)
	sync.Register(app)
	report.Register(app)
	notify.Register(app)
	links.Register(app)
	schedule.Register(app)
	app.RootCmd.AddCommand(exitOnError(audit.Command(app)))
	app.RootCmd.AddCommand(exitOnError(bench.Command()))
	app.RootCmd.AddCommand(exitOnError(demo.Command(app)))
	app.RootCmd.AddCommand(exitOnError(schedule.Command(app)))
	app.RootCmd.AddCommand(exitOnError(sync.Command(app)))
	app.RootCmd.AddCommand(exitOnError(links.Command(app)))

	// The sync library's TypeScript declarations are text (the system's
	// MIME table may call .ts a Qt translation file).
	_ = mime.AddExtensionType(".ts", "text/plain; charset=utf-8")
	// Static web from pb_public/ (relative to where the server runs).
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if !se.Router.HasRoute(http.MethodGet, "/{path...}") {
			se.Router.GET("/{path...}", apis.Static(os.DirFS("pb_public"), false))
		}
		return se.Next()
	})

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// exitOnError makes cmd and its subcommands exit with status 1 when they
// fail: PocketBase's Start ignores a command's error, and whoever runs
// `audit verify` from cron or CI reads the status.
func exitOnError(cmd *cobra.Command) *cobra.Command {
	for _, c := range append(cmd.Commands(), cmd) {
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error {
				if err := run(c, args); err != nil {
					c.PrintErrln("Error:", err)
					os.Exit(1)
				}
				return nil
			}
		}
	}
	return cmd
}
