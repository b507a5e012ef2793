// Package geo holds the coordinate maths of check-ins: the distance between
// two WGS-84 points, and the conversion of pins copied from Chinese map apps
// (GCJ-02, BD-09) back to WGS-84, the datum phones and browsers report.
package geo

import "math"

// earthRadiusM is the mean Earth radius (IUGG), in metres.
const earthRadiusM = 6_371_008.8

// Distance is the haversine distance in metres between two points given
// as (longitude, latitude) in degrees. Against an ellipsoid it errs by at
// most 0.5 %: a few metres at a geofence's scale, far below GPS noise.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	φ1, φ2 := rad(lat1), rad(lat2)
	dφ, dλ := rad(lat2-lat1), rad(lon2-lon1)
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

func rad(deg float64) float64 { return deg * math.Pi / 180 }

// The GCJ-02 obfuscation (the public "eviltransform" formula): a smooth
// offset of a few hundred metres inside China, none outside.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323
)

// outsideChina reports points the obfuscation leaves as they are.
func outsideChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// toGCJ02 is the forward obfuscation WGS-84 → GCJ-02.
func toGCJ02(lon, lat float64) (float64, float64) {
	if outsideChina(lon, lat) {
		return lon, lat
	}
	x, y := lon-105.0, lat-35.0
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := rad(lat)
	magic := 1 - krasovskyE2*math.Sin(radLat)*math.Sin(radLat)
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyE2)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return lon + dLon, lat + dLat
}

// FromGCJ02 converts a GCJ-02 point to WGS-84 by inverting the
// obfuscation iteratively (under 0.5 m off after a few rounds).
func FromGCJ02(lon, lat float64) (float64, float64) {
	wLon, wLat := lon, lat
	for range 10 {
		gLon, gLat := toGCJ02(wLon, wLat)
		dLon, dLat := gLon-lon, gLat-lat
		wLon, wLat = wLon-dLon, wLat-dLat
		if math.Abs(dLon) < 1e-9 && math.Abs(dLat) < 1e-9 {
			break
		}
	}
	return wLon, wLat
}

// FromBD09 converts a Baidu BD-09 point to WGS-84 (BD-09 is GCJ-02 offset
// once more; Baidu's published inverse takes it back to GCJ-02).
func FromBD09(lon, lat float64) (float64, float64) {
	const xPi = math.Pi * 3000.0 / 180.0
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*xPi)
	θ := math.Atan2(y, x) - 0.000003*math.Cos(x*xPi)
	return FromGCJ02(z*math.Cos(θ), z*math.Sin(θ))
}

// ToWGS84 converts a point given in crs ("gcj02", "bd09"; anything else is
// taken as WGS-84 already) to WGS-84.
func ToWGS84(crs string, lon, lat float64) (float64, float64) {
	switch crs {
	case "gcj02":
		return FromGCJ02(lon, lat)
	case "bd09":
		return FromBD09(lon, lat)
	}
	return lon, lat
}

// ToGCJ02 converts a WGS-84 point to GCJ-02, as Chinese map tiles expect it.
func ToGCJ02(lon, lat float64) (float64, float64) { return toGCJ02(lon, lat) }
