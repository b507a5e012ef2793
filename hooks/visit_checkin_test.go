package hooks_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/geo"
	"rapport/internal/testkit"
)

// People's Square, Shanghai (WGS-84), and points due north of it: 0.002698°
// of latitude is 300 m, 0.009° is 1,001 m.
const squareLon, squareLat = 121.4737, 31.2304

func point(dLat float64) map[string]any {
	return map[string]any{"lon": squareLon, "lat": squareLat + dLat}
}

// The check-in verdict in each geofence mode, with distances from known
// coordinates; block refuses with the distance and the radius.
func TestCheckinGeofence(t *testing.T) {
	for _, tc := range []struct {
		mode, name string
		at         map[string]any
		accuracy   float64
		status     int
		result     string
		distance   float64
	}{
		{"off", "near", point(0.002698), 10, 200, "verified", 300},
		{"off", "far", point(0.009), 10, 200, "outside", 1001},
		{"flag", "near", point(0.002698), 10, 200, "verified", 300},
		{"flag", "far", point(0.009), 10, 200, "outside", 1001},
		{"flag", "coarse fix", point(0.002698), 800, 200, "no_fix", 0},
		{"block", "near", point(0.002698), 0, 200, "verified", 300},
		{"block", "far", point(0.009), 10, 400, "", 0},
		{"block", "no location", nil, 0, 200, "no_fix", 0},
	} {
		t.Run(tc.mode+" "+tc.name, func(t *testing.T) {
			app := testkit.NewApp(t)
			o := testkit.NewOrg(t, app)
			o.SetOrg(t, map[string]any{"geofence_mode": tc.mode, "geofence_radius_m": 500})
			acme := o.Reload(t, o.Customers["rita"])
			acme.Set("location", types.GeoPoint{Lon: squareLon, Lat: squareLat})
			if err := testkit.Save(app, nil, acme); err != nil {
				t.Fatal(err)
			}
			v := testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": acme.Id, "due_date": testkit.Day(0)})
			body := map[string]any{"status": "in_progress", "checkin_accuracy_m": tc.accuracy}
			if tc.at != nil {
				body["checkin_location"] = tc.at
			}
			res := testkit.NewClient(t, o).Do("rita", "PATCH", "/api/collections/visits/records/"+v.Id, body)
			if res.Status != tc.status {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			if tc.status == 400 {
				if res.Code("checkin_location") != "outside_geofence" || !containsAll(string(res.Body), "1001 m", "500 m") {
					t.Errorf("%s", res.Body)
				}
				return
			}
			got := o.Reload(t, v)
			if got.GetString("checkin_result") != tc.result || got.GetFloat("checkin_distance_m") != tc.distance {
				t.Errorf("result %s, distance %v", got.GetString("checkin_result"), got.GetFloat("checkin_distance_m"))
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// toBD09 is Baidu's published offset from GCJ-02 to BD-09.
func toBD09(lon, lat float64) (float64, float64) {
	const xPi = math.Pi * 3000.0 / 180.0
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*xPi)
	θ := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*xPi)
	return z*math.Cos(θ) + 0.0065, z*math.Sin(θ) + 0.006
}

// A pin copied from a Chinese map app (GCJ-02) is stored as WGS-84: the
// rep standing at the door is verified, not ~500 m away.
func TestGCJ02Pin(t *testing.T) {
	gLon, gLat := geo.ToGCJ02(squareLon, squareLat)
	if d := geo.Distance(squareLon, squareLat, gLon, gLat); d < 400 || d > 600 {
		t.Fatalf("the GCJ-02 offset in Shanghai is %.0f m, expected about 480", d)
	}
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	res := c.Do("rita", "PATCH", "/api/collections/customers/records/"+o.Customers["rita"].Id,
		map[string]any{"location": map[string]any{"lon": gLon, "lat": gLat}, "location_crs": "gcj02"})
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	acme := o.Reload(t, o.Customers["rita"])
	p := acme.GetGeoPoint("location")
	if d := geo.Distance(squareLon, squareLat, p.Lon, p.Lat); d > 1 || acme.GetString("location_crs") != "wgs84" {
		t.Errorf("stored %v (%s), %.2f m from the WGS-84 point", p, acme.GetString("location_crs"), d)
	}
	// the same pin given in BD-09 (Baidu) lands on the same spot
	bLon, bLat := toBD09(gLon, gLat)
	if d := geo.Distance(squareLon, squareLat, bLon, bLat); d < 700 || d > 1500 {
		t.Fatalf("the BD-09 offset in Shanghai is %.0f m, expected about a kilometre", d)
	}
	bd := map[string]any{"lon": bLon, "lat": bLat}
	res = c.Do("rita", "PATCH", "/api/collections/customers/records/"+o.Customers["rita"].Id, map[string]any{"location": bd, "location_crs": "bd09"})
	p = o.Reload(t, o.Customers["rita"]).GetGeoPoint("location")
	if d := geo.Distance(squareLon, squareLat, p.Lon, p.Lat); res.Status != 200 || d > 1 {
		t.Errorf("BD-09: %d, %.0f m away", res.Status, d)
	}
}

// The first located visit at a customer without a location sets it, once;
// done visits keep last_visit_at, next_visit_due and satisfaction_avg.
func TestVisitFiguresAndFirstLocation(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	c := testkit.NewClient(t, o)
	acme := o.Customers["rita"]
	visit := func(body map[string]any) map[string]any {
		body["customer"] = acme.Id
		res := c.Do("rita", "POST", "/api/collections/visits/records", body)
		if res.Status != 200 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		return res.JSON()
	}
	started := testkit.Day(-3) + " 02:00:00.000Z"
	v := visit(map[string]any{"status": "done", "started_at": started, "checkin_location": point(0), "satisfaction": 4})
	if v["checkin_result"] != "no_customer_location" {
		t.Errorf("first check-in: %v", v["checkin_result"])
	}
	got := o.Reload(t, acme)
	if p := got.GetGeoPoint("location"); p.Lon != squareLon || p.Lat != squareLat {
		t.Errorf("customer location %v", p)
	}
	visit(map[string]any{"status": "done", "started_at": testkit.Day(-1) + " 02:00:00.000Z", "checkin_location": point(0.02), "satisfaction": 2})
	got = o.Reload(t, acme)
	if p := got.GetGeoPoint("location"); p.Lat != squareLat {
		t.Errorf("a later visit moved the customer to %v", p)
	}
	if got.GetString("last_visit_at") != testkit.Day(-1)+" 02:00:00.000Z" || got.GetFloat("satisfaction_avg") != 3 || got.GetString("next_visit_due") != testkit.Day(59) {
		t.Errorf("last_visit_at %s, satisfaction_avg %v, next_visit_due %s", got.GetString("last_visit_at"), got.GetFloat("satisfaction_avg"), got.GetString("next_visit_due"))
	}
	entries, _ := app.FindAllRecords("audit_log", dbx.HashExp{"record_id": acme.Id, "action": "update"})
	located := 0
	for _, e := range entries {
		if strings.Contains(e.GetString("changes"), `"location"`) {
			located++
		}
	}
	if located != 1 {
		t.Errorf("%d audited location changes", located)
	}

	// device times that cannot be
	for _, tc := range []struct {
		body        map[string]any
		field, code string
	}{
		{map[string]any{"started_at": testkit.Day(0) + " 10:00:00.000Z", "ended_at": testkit.Day(0) + " 09:00:00.000Z"}, "ended_at", "ended_before_started"},
		{map[string]any{"started_at": testkit.Day(3) + " 10:00:00.000Z"}, "started_at", "visit_in_future"},
	} {
		tc.body["customer"] = acme.Id
		if res := c.Do("rita", "POST", "/api/collections/visits/records", tc.body); res.Status != 400 || res.Code(tc.field) != tc.code {
			t.Errorf("%v: %d %s", tc.body, res.Status, res.Body)
		}
	}
}

// flag mode: an off-site check-in flags that day's expenses at the
// customer, whether they were submitted before the check-in or after.
func TestOffsiteFlag(t *testing.T) {
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	o.SetOrg(t, map[string]any{"geofence_mode": "flag", "geofence_radius_m": 500})
	acme := o.Reload(t, o.Customers["rita"])
	acme.Set("location", types.GeoPoint{Lon: squareLon, Lat: squareLat})
	if err := testkit.Save(app, nil, acme); err != nil {
		t.Fatal(err)
	}
	plan := mkPlan(t, o, "rita", "approved", 10_000)
	c := testkit.NewClient(t, o)
	submit := func() string {
		x := mkExpense(t, o, plan, 50)
		res := c.Do("rita", "PATCH", "/api/collections/expenses/records/"+x.Id, map[string]any{"status": "submitted"})
		if res.Status != 200 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		return x.Id
	}
	before := submit()
	res := c.Do("rita", "POST", "/api/collections/visits/records", map[string]any{"customer": acme.Id, "status": "done",
		"started_at": testkit.Day(0) + " 00:30:00.000Z", "checkin_location": point(0.009)})
	if res.Status != 200 || res.JSON()["checkin_result"] != "outside" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	after := submit()
	for name, id := range map[string]string{"submitted before": before, "submitted after": after} {
		if flags := reload(t, app, "expenses", id).GetStringSlice("flags"); !slices.Contains(flags, "offsite_checkin") {
			t.Errorf("%s the check-in: flags %v", name, flags)
		}
	}
}
