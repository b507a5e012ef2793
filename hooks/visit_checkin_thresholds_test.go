package hooks_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/pocketbase/pocketbase/tools/types"

	"rapport/internal/geo"
	"rapport/internal/testkit"
)

// The geofence thresholds at limit−1, limit and limit+1 metre: a check-in
// at most geofence_radius_m from the customer is verified, farther is
// outside (refused with outside_geofence in block mode); a fix whose
// accuracy is coarser than the radius is no_fix.

// fenceLon is the longitude of the customer, on the equator, and of the
// check-ins, due north of it.
const fenceLon = 121.4737

// exactlyNorth is the latitude of a check-in exactly metres from the
// customer as the server computes distances, if one exists: the distance
// moves by about two of its own rounding steps per step of latitude, so
// about half the whole numbers are reachable.
func exactlyNorth(metres float64) (float64, bool) {
	lat := metres / 6_371_008.8 * 180 / math.Pi
	for range 8 {
		d := geo.Distance(fenceLon, 0, fenceLon, lat)
		if d == metres {
			return lat, true
		}
		lat = math.Nextafter(lat, math.Copysign(math.Inf(1), metres-d))
	}
	return 0, false
}

// fence is a geofence radius with check-ins exactly radius−1, radius and
// radius+1 metres from the customer.
type fence struct {
	radius int
	north  map[int]float64 // by step from the radius
}

func newFence(t testing.TB) fence {
	t.Helper()
	for radius := 400; radius < 800; radius++ {
		f := fence{radius: radius, north: map[int]float64{}}
		for _, step := range steps {
			if lat, ok := exactlyNorth(float64(radius + step)); ok {
				f.north[step] = lat
			}
		}
		if len(f.north) == len(steps) {
			return f
		}
	}
	t.Fatal("no radius between 400 and 800 m has check-ins at exactly radius−1, radius and radius+1 m")
	return fence{}
}

// checkinAt sends rita's check-in at (fenceLon, lat) with accuracy, under
// a geofence of radius metres in block mode around her customer at
// (fenceLon, 0).
func checkinAt(t *testing.T, radius int, lat, accuracy float64) (testkit.Response, *testkit.Org, string) {
	t.Helper()
	app := testkit.NewApp(t)
	o := testkit.NewOrg(t, app)
	o.SetOrg(t, map[string]any{"geofence_mode": "block", "geofence_radius_m": radius})
	acme := o.Reload(t, o.Customers["rita"])
	acme.Set("location", types.GeoPoint{Lon: fenceLon, Lat: 0})
	if err := testkit.Save(app, nil, acme); err != nil {
		t.Fatal(err)
	}
	v := testkit.MustCreate(t, app, o.Users["rita"], "visits", map[string]any{"customer": acme.Id, "due_date": testkit.Day(0)})
	res := testkit.NewClient(t, o).Do("rita", "PATCH", "/api/collections/visits/records/"+v.Id, map[string]any{
		"status": "in_progress", "checkin_accuracy_m": accuracy, "checkin_location": map[string]any{"lon": fenceLon, "lat": lat}})
	return res, o, v.Id
}

// outside_geofence: distance > geofence_radius_m.
func TestOutsideGeofenceAtGeofenceRadius(t *testing.T) {
	f := newFence(t)
	for _, step := range steps {
		t.Run(fmt.Sprintf("limit%+d", step), func(t *testing.T) {
			metres := f.radius + step
			res, o, id := checkinAt(t, f.radius, f.north[step], 10)
			if step > 0 {
				if res.Status != 400 || res.Code("checkin_location") != "outside_geofence" {
					t.Errorf("%d m from the customer, radius %d m: %d %s, want 400 outside_geofence", metres, f.radius, res.Status, res.Body)
				}
				return
			}
			got := reload(t, o.App, "visits", id)
			if res.Status != 200 || got.GetString("checkin_result") != "verified" || got.GetFloat("checkin_distance_m") != float64(metres) {
				t.Errorf("%d m from the customer, radius %d m: %d, result %q at %v m, want verified", metres, f.radius, res.Status, got.GetString("checkin_result"), got.GetFloat("checkin_distance_m"))
			}
		})
	}
}

// no_fix: a check-in whose accuracy is coarser than geofence_radius_m.
func TestNoFixAtGeofenceRadius(t *testing.T) {
	const radius = 500
	near := 100 / 6_371_008.8 * 180 / math.Pi // about 100 m north
	for _, step := range steps {
		t.Run(fmt.Sprintf("limit%+d", step), func(t *testing.T) {
			res, o, id := checkinAt(t, radius, near, float64(radius+step))
			want := "verified"
			if step > 0 {
				want = "no_fix"
			}
			if got := reload(t, o.App, "visits", id).GetString("checkin_result"); res.Status != 200 || got != want {
				t.Errorf("accuracy %d m: %d, result %q, want %s", radius+step, res.Status, got, want)
			}
		})
	}
}
