//! Finding who is inside a circle with a database's arithmetic alone: each subscriber's point
//! is kept as a unit vector on the sphere, and a point lies within `r` metres of the centre
//! exactly when the straight-line (chord) distance between their vectors is within
//! `2·sin(r / 2R)`. The test is the haversine's, with no trigonometry in SQL, so SQLite needs no
//! extension; a grid cell on the point narrows the rows to the circle's box first.

use crate::place::Point;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point as a unit vector (x toward 0° N 0° E, z toward the North Pole).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitVector {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl UnitVector {
    pub fn of(p: Point) -> UnitVector {
        let (la, lo) = (p.latitude.to_radians(), p.longitude.to_radians());
        UnitVector {
            x: la.cos() * lo.cos(),
            y: la.cos() * lo.sin(),
            z: la.sin(),
        }
    }

    /// The squared chord distance to another vector.
    pub fn chord2(self, o: UnitVector) -> f64 {
        (self.x - o.x).powi(2) + (self.y - o.y).powi(2) + (self.z - o.z).powi(2)
    }
}

/// The largest squared chord of a point within `metres` (along the surface) of the centre.
pub fn chord2_within(metres: f64) -> f64 {
    (2.0 * (metres / (2.0 * EARTH_RADIUS_M)).sin()).powi(2)
}

/// How finely subscribers' points are kept: four decimal places of a degree, about 11 m north
/// to south and 7 m east to west here, finer than the smallest alert (50 m) needs and coarser
/// than a front door.
pub fn stored(p: Point) -> Point {
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    Point {
        latitude: round(p.latitude),
        longitude: round(p.longitude),
    }
}

/// The grid row a latitude falls in (hundredths of a degree, about 1.1 km), for an index on
/// (row, longitude) that reads a circle's box as a few short ranges.
pub fn grid_row(latitude: f64) -> i64 {
    (latitude * 100.0).floor() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::area::destination;

    #[test]
    fn the_chord_test_agrees_with_the_haversine_a_metre_either_side_of_the_edge() {
        let centre = Point::new(52.8070, -2.1160).unwrap();
        let c = UnitVector::of(centre);
        for radius in [50.0, 3_000.0, 10_000.0] {
            let limit = chord2_within(radius);
            for bearing in [0.0, 60.0, 135.0, 200.0, 300.0] {
                let inside = UnitVector::of(destination(centre, radius - 1.0, bearing));
                let outside = UnitVector::of(destination(centre, radius + 1.0, bearing));
                assert!(c.chord2(inside) <= limit, "{radius} {bearing}");
                assert!(c.chord2(outside) > limit, "{radius} {bearing}");
            }
        }
    }

    #[test]
    fn points_are_kept_to_about_ten_metres_and_fall_in_a_grid_row() {
        let p = stored(Point::new(52.806_949, -2.116_051).unwrap());
        assert_eq!((p.latitude, p.longitude), (52.8069, -2.1161));
        assert!(p.distance_m(Point::new(52.806_949, -2.116_051).unwrap()) < 10.0);
        assert_eq!(grid_row(52.8069), 5280);
        assert_eq!(grid_row(-0.005), -1);
    }
}
