package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"rapport/internal/catalog"
	"rapport/internal/geo"
)

// Coordinates written (catalog Located) in a Chinese map datum (GCJ-02, BD-09: what phones'
// map SDKs give) are stored as WGS-84, before anything measures with them
// (StageLocation: the check-in is judged after).
func bindLocations(app core.App) {
	for _, c := range catalog.All {
		if c.Located == "" {
			continue
		}
		toWGS84 := func(e *core.RecordEvent) error {
			convertLocation(e.Record, c.Located)
			return e.Next()
		}
		bind(app.OnRecordCreateExecute(c.Name), StageLocation, "rapport."+c.Name+".location", toWGS84)
		bind(app.OnRecordUpdateExecute(c.Name), StageLocation, "rapport."+c.Name+".location", toWGS84)
	}
}

// convertLocation stores a point written in GCJ-02 or BD-09 as WGS-84;
// location_crs then says wgs84. Only a point this write sets is converted:
// the stored one already is WGS-84.
func convertLocation(r *core.Record, field string) {
	crs := r.GetString("location_crs")
	p := r.GetGeoPoint(field)
	if p.Lon == 0 && p.Lat == 0 {
		return
	}
	if !r.IsNew() && sameValue(p, r.Original().GetGeoPoint(field)) {
		if crs != "" {
			r.Set("location_crs", "wgs84")
		}
		return
	}
	p.Lon, p.Lat = geo.ToWGS84(crs, p.Lon, p.Lat)
	r.Set(field, p)
	r.Set("location_crs", "wgs84")
}
