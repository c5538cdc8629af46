//! Places on the map: points, distances, and service areas drawn as GeoJSON polygons.

use geo::Contains;
use serde::{Deserialize, Serialize};

/// A point in WGS 84 degrees, as the ONS Postcode Directory gives a postcode's centroid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl Point {
    /// `None` unless both are finite and on the globe.
    pub fn new(latitude: f64, longitude: f64) -> Option<Point> {
        ((-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude)).then_some(
            Point {
                latitude,
                longitude,
            },
        )
    }

    /// Great-circle distance in metres (haversine; within 0.5% anywhere in the UK).
    pub fn distance_m(self, other: Point) -> f64 {
        let (la1, la2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dla = la2 - la1;
        let dlo = (other.longitude - self.longitude).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }

    /// A box that holds every point within `metres`, for a database to narrow a search
    /// before [`Point::distance_m`] decides.
    pub fn bounding_box(self, metres: f64) -> BoundingBox {
        let dlat = (metres / EARTH_RADIUS_M).to_degrees();
        let cos = self.latitude.to_radians().cos().max(0.01);
        let dlon = dlat / cos;
        BoundingBox {
            min_latitude: self.latitude - dlat,
            max_latitude: self.latitude + dlat,
            min_longitude: self.longitude - dlon,
            max_longitude: self.longitude + dlon,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    pub min_latitude: f64,
    pub max_latitude: f64,
    pub min_longitude: f64,
    pub max_longitude: f64,
}

impl BoundingBox {
    pub fn contains(&self, p: Point) -> bool {
        (self.min_latitude..=self.max_latitude).contains(&p.latitude)
            && (self.min_longitude..=self.max_longitude).contains(&p.longitude)
    }
}

/// A service area drawn on a map: one or more polygons (with holes), from GeoJSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    shape: geo::MultiPolygon<f64>,
}

/// Why a GeoJSON text is not a usable service area.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RegionError(pub String);

impl Region {
    /// Reads a GeoJSON Polygon or MultiPolygon, bare or as a Feature or a FeatureCollection
    /// of polygons (their union). Longitude comes first, as GeoJSON says.
    pub fn from_geojson(text: &str) -> Result<Region, RegionError> {
        let json: geojson::GeoJson = text
            .parse()
            .map_err(|_| RegionError("The area is not valid GeoJSON".into()))?;
        let geometries: Vec<geojson::Geometry> = match json {
            geojson::GeoJson::Geometry(g) => vec![g],
            geojson::GeoJson::Feature(f) => f.geometry.into_iter().collect(),
            geojson::GeoJson::FeatureCollection(c) => {
                c.features.into_iter().filter_map(|f| f.geometry).collect()
            }
        };
        let mut polygons = Vec::new();
        for g in geometries {
            match geo::Geometry::<f64>::try_from(g) {
                Ok(geo::Geometry::Polygon(p)) => polygons.push(p),
                Ok(geo::Geometry::MultiPolygon(m)) => polygons.extend(m.0),
                _ => {
                    return Err(RegionError(
                        "The area must be a Polygon or MultiPolygon".into(),
                    ));
                }
            }
        }
        if polygons.is_empty() {
            return Err(RegionError("The area has no polygon in it".into()));
        }
        let on_globe = polygons.iter().all(|p| {
            p.exterior()
                .coords()
                .all(|c| Point::new(c.y, c.x).is_some())
        });
        if !on_globe {
            return Err(RegionError(
                "The area has a point off the globe (GeoJSON puts longitude first)".into(),
            ));
        }
        Ok(Region {
            shape: geo::MultiPolygon(polygons),
        })
    }

    pub fn contains(&self, p: Point) -> bool {
        self.shape
            .contains(&geo::Point::new(p.longitude, p.latitude))
    }

    /// The smallest box around the region, stored beside it so a search by point can skip
    /// regions nowhere near.
    pub fn bounding_box(&self) -> BoundingBox {
        let mut b = BoundingBox {
            min_latitude: f64::MAX,
            max_latitude: f64::MIN,
            min_longitude: f64::MAX,
            max_longitude: f64::MIN,
        };
        for c in self.shape.0.iter().flat_map(|p| p.exterior().coords()) {
            b.min_latitude = b.min_latitude.min(c.y);
            b.max_latitude = b.max_latitude.max(c.y);
            b.min_longitude = b.min_longitude.min(c.x);
            b.max_longitude = b.max_longitude.max(c.x);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STAFFORD: Point = Point {
        latitude: 52.8067,
        longitude: -2.1167,
    };
    const STOKE: Point = Point {
        latitude: 53.0027,
        longitude: -2.1794,
    };

    #[test]
    fn measures_distances_in_metres() {
        let d = STAFFORD.distance_m(STOKE);
        assert!((21_000.0..23_000.0).contains(&d), "{d}");
        assert!(STAFFORD.distance_m(STAFFORD) < 0.001);
    }

    #[test]
    fn reads_polygons_with_holes_and_tells_inside_from_outside() {
        let square_with_hole = r#"{"type":"Polygon","coordinates":[
            [[-2.3,52.7],[-1.9,52.7],[-1.9,52.9],[-2.3,52.9],[-2.3,52.7]],
            [[-2.13,52.80],[-2.10,52.80],[-2.10,52.82],[-2.13,52.82],[-2.13,52.80]]]}"#;
        let r = Region::from_geojson(square_with_hole).unwrap();
        assert!(!r.contains(STAFFORD), "Stafford is in the hole");
        assert!(r.contains(Point::new(52.75, -2.0).unwrap()));
        assert!(!r.contains(STOKE));
        let b = r.bounding_box();
        assert!(b.contains(STAFFORD) && !b.contains(STOKE));
        let feature =
            format!(r#"{{"type":"Feature","properties":{{}},"geometry":{square_with_hole}}}"#);
        assert_eq!(Region::from_geojson(&feature).unwrap(), r);
    }

    #[test]
    fn refuses_what_is_not_an_area() {
        for (text, why) in [
            ("not json", "not valid GeoJSON"),
            (
                r#"{"type":"Point","coordinates":[-2.1,52.8]}"#,
                "Polygon or MultiPolygon",
            ),
            (
                r#"{"type":"FeatureCollection","features":[]}"#,
                "no polygon",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[52.8,-200],[52.9,-2.1],[52.7,-2.0],[52.8,-200]]]}"#,
                "longitude first",
            ),
        ] {
            let e = Region::from_geojson(text).unwrap_err();
            assert!(e.0.contains(why), "{text}: {e}");
        }
    }

    proptest! {
        #[test]
        fn every_point_within_the_radius_is_in_its_box(
            lat in 49.0f64..61.0, lon in -8.0f64..2.0, bearing in 0.0f64..360.0, frac in 0.0f64..1.0,
            metres in 10.0f64..100_000.0
        ) {
            let centre = Point::new(lat, lon).unwrap();
            // Walk `frac * metres` along `bearing` (spherical destination formula).
            let d = frac * metres * 0.999 / EARTH_RADIUS_M;
            let (la, lo, b) = (lat.to_radians(), lon.to_radians(), bearing.to_radians());
            let la2 = (la.sin() * d.cos() + la.cos() * d.sin() * b.cos()).asin();
            let lo2 = lo + (b.sin() * d.sin() * la.cos()).atan2(d.cos() - la.sin() * la2.sin());
            let p = Point::new(la2.to_degrees(), lo2.to_degrees()).unwrap();
            prop_assert!(centre.distance_m(p) <= metres);
            prop_assert!(centre.bounding_box(metres).contains(p));
        }
    }
}

/// Converts a British National Grid reference (OSGB36 easting and northing, metres), as
/// Code-Point Open gives postcodes, to a WGS 84 point: the Ordnance Survey's inverse
/// transverse Mercator, then its published seven-parameter Helmert transformation (good to
/// a few metres, plenty for a postcode centroid). No maintained pure-Rust crate does this;
/// the `proj` crate needs the C library.
pub fn from_british_national_grid(easting: f64, northing: f64) -> Option<Point> {
    let (lat, lon) = osgb36_lat_lon(easting, northing);
    let (x, y, z) = to_cartesian(lat, lon, AIRY_A, AIRY_B);
    // OSGB36 to WGS 84 (the inverse of the OS's WGS 84 to OSGB36 parameters).
    let (tx, ty, tz) = (446.448, -125.157, 542.060);
    let s = -20.4894e-6;
    let sec = |a: f64| (a / 3600.0).to_radians();
    let (rx, ry, rz) = (sec(0.1502), sec(0.2470), sec(0.8421));
    let x2 = tx + (1.0 + s) * x - rz * y + ry * z;
    let y2 = ty + rz * x + (1.0 + s) * y - rx * z;
    let z2 = tz - ry * x + rx * y + (1.0 + s) * z;
    let (lat, lon) = from_cartesian(x2, y2, z2, 6_378_137.0, 6_356_752.314_245);
    Point::new(lat.to_degrees(), lon.to_degrees())
}

const AIRY_A: f64 = 6_377_563.396;
const AIRY_B: f64 = 6_356_256.909;

/// OSGB36 latitude and longitude (radians) of a grid reference.
fn osgb36_lat_lon(e: f64, n: f64) -> (f64, f64) {
    let (a, b) = (AIRY_A, AIRY_B);
    let f0 = 0.999_601_271_7;
    let lat0 = 49f64.to_radians();
    let lon0 = (-2f64).to_radians();
    let (n0, e0) = (-100_000.0, 400_000.0);
    let e2 = 1.0 - (b * b) / (a * a);
    let nn = (a - b) / (a + b);
    let (n2, n3) = (nn * nn, nn * nn * nn);
    let meridional = |lat: f64| {
        let (d, s) = (lat - lat0, lat + lat0);
        b * f0
            * ((1.0 + nn + 1.25 * n2 + 1.25 * n3) * d
                - (3.0 * nn + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
                + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
                - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
    };
    let mut lat = lat0;
    let mut m = 0.0;
    for _ in 0..100 {
        lat += (n - n0 - m) / (a * f0);
        m = meridional(lat);
        if (n - n0 - m).abs() < 1e-5 {
            break;
        }
    }
    let sin2 = lat.sin().powi(2);
    let nu = a * f0 / (1.0 - e2 * sin2).sqrt();
    let rho = a * f0 * (1.0 - e2) / (1.0 - e2 * sin2).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let t = lat.tan();
    let (t2, t4, t6) = (t * t, t.powi(4), t.powi(6));
    let sec = 1.0 / lat.cos();
    let vii = t / (2.0 * rho * nu);
    let viii = t / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = t / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = e - e0;
    let lat = lat - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon = lon0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat, lon)
}

fn to_cartesian(lat: f64, lon: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    (
        nu * lat.cos() * lon.cos(),
        nu * lat.cos() * lon.sin(),
        (1.0 - e2) * nu * lat.sin(),
    )
}

fn from_cartesian(x: f64, y: f64, z: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let p = (x * x + y * y).sqrt();
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        lat = (z + e2 * nu * lat.sin()).atan2(p);
    }
    (lat, y.atan2(x))
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    #[test]
    fn projects_the_ordnance_surveys_worked_example() {
        // "A guide to coordinate systems in Great Britain", annex C: E 651409.903, N 313177.270
        // is 52°39'27.2531"N 1°43'4.5177"E on OSGB36.
        let (lat, lon) = osgb36_lat_lon(651_409.903, 313_177.270);
        let dms = |d: f64, m: f64, s: f64| d + m / 60.0 + s / 3600.0;
        assert!((lat.to_degrees() - dms(52.0, 39.0, 27.2531)).abs() < 1e-6);
        assert!((lon.to_degrees() - dms(1.0, 43.0, 4.5177)).abs() < 1e-6);
    }

    #[test]
    fn the_datum_shift_to_wgs84_is_the_expected_hundred_metres_or_so() {
        let (lat, lon) = osgb36_lat_lon(651_409.903, 313_177.270);
        let osgb = Point::new(lat.to_degrees(), lon.to_degrees()).unwrap();
        let wgs = from_british_national_grid(651_409.903, 313_177.270).unwrap();
        let shift = osgb.distance_m(wgs);
        assert!((50.0..150.0).contains(&shift), "{shift}");
        // The WGS 84 meridian lies about 100 m east of Airy's, so longitudes fall.
        assert!(wgs.longitude < osgb.longitude);
    }
}
