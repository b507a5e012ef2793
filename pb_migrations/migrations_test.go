package migrations_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"rapport/hooks"
	"rapport/internal/sync"
	_ "rapport/pb_migrations"
)

// schema is the contract of shared/spec/domain.md: every collection with its
// fields as name:type or name:type:select,values. Day fields are text
// (YYYY-MM-DD, see docs/decisions.md).
var schema = map[string]string{
	"users": "name:text role:select:rep,manager,director,finance,admin team:relation manager:relation " +
		"approval_limit:number active:bool language:select:zh-CN,en",
	"teams": "name:text parent:relation manager:relation viewers:relation version:number",
	"customers": "name:text code:text tier:select:A,B,C,D tier_locked:bool annual_contract_amount:number owner:relation " +
		"team:relation status:select:active,dormant,lost industry:text address:text location:geoPoint contacts:json " +
		"customer_since:text last_visit_at:date next_visit_due:text satisfaction_avg:number version:number",
	"plans": "customer:relation owner:relation title:text methods:select:visit,call,gift,meal,event,trip,other measures:text " +
		"period_start:text period_end:text planned_visits:number budget:number status:select:draft,submitted,approved,rejected,closed " +
		"decision_note:text approved_budget:number approver:relation approved_by:relation approved_at:date committed:number " +
		"spent:number team:relation version:number",
	"visits": "customer:relation plan:relation kind:select:visit,call,care,event status:select:scheduled,in_progress,done,missed,cancelled " +
		"due_date:text window_start:text window_end:text started_at:date ended_at:date checkin_location:geoPoint " +
		"checkin_accuracy_m:number notes:text outcome:text satisfaction:number photos:file rep:relation checkin_distance_m:number " +
		"checkin_result:select:verified,outside,no_fix,no_customer_location source:select:manual,schedule,followup,care " +
		"team:relation survey_rating:number survey_comment:text survey_at:date version:number",
	"expenses": "plan:relation visit:relation category:select:meal,gift,travel,transport,event,entertainment,other amount:number " +
		"currency:text incurred_on:text description:text receipt:file status:select:draft,submitted,approved,rejected,paid " +
		"decision_note:text rep:relation customer:relation receipt_sha256:text approver:relation approval_level:number flags:json " +
		"submitted_at:date approved_at:date paid_at:date team:relation version:number",
	"approvals": "plan:relation expense:relation decision:select:approve,reject note:text acknowledge_flags:bool " +
		"approver:relation level:number final:bool version:number",
	"budgets": "name:text scope:select:org,team,rep team:relation rep:relation " +
		"category:select:meal,gift,travel,transport,event,entertainment,other period:select:month,quarter,year period_start:text " +
		"amount:number on_exceed:select:stop,warn,escalate warn_at_percent:number committed:number spent:number version:number",
	"tier_policies": "tier:select:A,B,C,D label:text min_annual_contract:number visit_interval_days:number visit_window_days:number " +
		"annual_care_cap:number category_limits:json care_entitlements:json version:number",
	"org_settings": "currency:text timezone:text receipt_required_over:number max_age_days:number future_tolerance_hours:number " +
		"auto_approve_under:number plan_on_exceed:select:stop,warn,escalate geofence_radius_m:number " +
		"geofence_mode:select:off,flag,block followup_offsets:json approval_digest_hours:number sync_retention_days:number version:number",
	"notifications": "user:relation kind:text title:text body:text link:text read_at:date",
	"audit_log": "actor:relation actor_superuser:text client_id:text action:select:create,update,delete collection:text " +
		"record_id:text changes:json prev_hash:text hash:text",
}

// stockUsers are the fields of PocketBase's own users collection.
var stockUsers = []string{"id", "password", "tokenKey", "email", "emailVisibility", "verified", "name", "avatar", "created", "updated"}

func TestMigrationsUpDownUp(t *testing.T) {
	dir := t.TempDir()
	app, err := tests.NewTestApp(dir) // an empty data dir: every migration runs
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	checkSchema(t, app)
	if n, _ := app.CountRecords("tier_policies"); n != 4 {
		t.Errorf("%d default tier policies, want 4", n)
	}
	if n, _ := app.CountRecords("org_settings"); n != 1 {
		t.Errorf("%d org settings, want 1", n)
	}
	s := app.Settings()
	if !s.RateLimits.Enabled || !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == "*:auth" }) {
		t.Errorf("rate limits: %+v", s.RateLimits)
	}

	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	reverted, err := runner.Down(len(core.AppMigrations.Items()))
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if len(reverted) != len(core.AppMigrations.Items()) {
		t.Errorf("reverted %v", reverted)
	}
	for name := range schema {
		if name == "users" {
			continue
		}
		if _, err := app.FindCollectionByNameOrId(name); err == nil {
			t.Errorf("collection %s survives the down migration", name)
		}
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	if got := users.Fields.FieldNames(); !slices.Equal(got, stockUsers) {
		t.Errorf("users fields after down: %v, want stock %v", got, stockUsers)
	}
	if len(users.Indexes) != 2 || users.AuthToken.Duration != 604800 || users.AuthRule == nil || *users.AuthRule != "" ||
		users.UpdateRule == nil || *users.UpdateRule != "id = @request.auth.id" {
		t.Errorf("users after down is not stock: indexes %v, token %ds, auth rule %v", users.Indexes, users.AuthToken.Duration, users.AuthRule)
	}

	if _, err := runner.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
	checkSchema(t, app)
	if n, _ := app.CountRecords("tier_policies"); n != 4 {
		t.Errorf("%d tier policies after up again, want 4", n)
	}
}

func checkSchema(t *testing.T, app core.App) {
	t.Helper()
	for name, spec := range schema {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Errorf("collection %s: %v", name, err)
			continue
		}
		for _, f := range strings.Fields(spec) {
			parts := strings.SplitN(f, ":", 3)
			field := c.Fields.GetByName(parts[0])
			if field == nil {
				t.Errorf("%s.%s is missing", name, parts[0])
				continue
			}
			if field.Type() != parts[1] {
				t.Errorf("%s.%s is %s, want %s", name, parts[0], field.Type(), parts[1])
			}
			if len(parts) == 3 {
				values := field.(*core.SelectField).Values
				if strings.Join(values, ",") != parts[2] {
					t.Errorf("%s.%s values %v, want %s", name, parts[0], values, parts[2])
				}
			}
		}
	}
	// the dashboard shows these records by name, not id
	for name, field := range map[string]string{"users": "name", "approvals": "decision", "expenses": "label", "plans": "label"} {
		c, _ := app.FindCollectionByNameOrId(name)
		raw, _ := json.Marshal(c.Fields.GetByName(field))
		if !strings.Contains(string(raw), `"presentable":true`) {
			t.Errorf("%s.%s is not presentable: %s", name, field, raw)
		}
	}
	for name, fields := range map[string]string{"expenses": "receipt", "visits": "photos"} {
		c, _ := app.FindCollectionByNameOrId(name)
		if f, ok := c.Fields.GetByName(fields).(*core.FileField); !ok || !f.Protected || len(f.Thumbs) == 0 {
			t.Errorf("%s.%s must be a protected file field with thumbnails", name, fields)
		}
	}
}

// `serve` registers every hook before it migrates an empty database: the
// migrations must not depend on them.
func TestMigrationsUnderTheProgramsHooks(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer app.ResetBootstrapState()
	hooks.Register(app)
	sync.Register(app)
	if err := app.RunAllMigrations(); err != nil {
		t.Fatalf("migrations with hooks registered: %v", err)
	}
	policies, err := app.FindAllRecords("tier_policies")
	if err != nil || len(policies) != 4 {
		t.Fatalf("tier policies: %d, %v", len(policies), err)
	}
	for _, p := range policies {
		if p.GetInt("version") != 1 || p.GetDateTime("created").IsZero() {
			t.Errorf("tier %s: version %d, created %v", p.GetString("tier"), p.GetInt("version"), p.GetDateTime("created"))
		}
	}
}
