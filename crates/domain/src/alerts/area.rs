//! Where an alert reaches: a circle around a point, named areas (community safety areas,
//! wards), or a drawn polygon; and who is inside it.

use crate::place::{BoundingBox, Point};
use geo::Contains;

/// The smallest and largest circle an alert may have, and the one offered first.
pub const MIN_RADIUS_M: f64 = 50.0;
pub const MAX_RADIUS_M: f64 = 10_000.0;
pub const DEFAULT_RADIUS_M: f64 = 3_000.0;

/// An alert's area.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertArea {
    Circle {
        centre: Point,
        radius_m: f64,
    },
    /// GSS codes of community safety areas or wards.
    Named(Vec<String>),
    /// The corners in order, not repeating the first.
    Polygon(Vec<Point>),
}

/// Why an area cannot be used, in words for the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AreaError(pub String);

impl AlertArea {
    /// A circle whose radius is within the limits.
    pub fn circle(centre: Point, radius_m: f64) -> Result<AlertArea, AreaError> {
        if !radius_m.is_finite() || !(MIN_RADIUS_M..=MAX_RADIUS_M).contains(&radius_m) {
            return Err(AreaError(
                "Enter a radius from 50 metres to 10 kilometres".into(),
            ));
        }
        Ok(AlertArea::Circle { centre, radius_m })
    }

    /// A polygon of at least three distinct corners; a last corner equal to the first is
    /// dropped (CAP and GeoJSON close a ring by repeating it).
    pub fn polygon(mut corners: Vec<Point>) -> Result<AlertArea, AreaError> {
        if corners.len() > 1 && corners.first() == corners.last() {
            corners.pop();
        }
        let mut distinct = corners.clone();
        distinct.dedup();
        if distinct.len() < 3 {
            return Err(AreaError("Draw an area with at least three corners".into()));
        }
        Ok(AlertArea::Polygon(corners))
    }

    /// Whether a subscriber at `p`, whose location falls in the named areas `in_areas`, is
    /// inside. A point on the edge is inside.
    pub fn contains(&self, p: Point, in_areas: &[String]) -> bool {
        match self {
            AlertArea::Circle { centre, radius_m } => centre.distance_m(p) <= *radius_m,
            AlertArea::Named(codes) => in_areas.iter().any(|a| codes.contains(a)),
            AlertArea::Polygon(corners) => {
                let shape = ring(corners);
                shape.contains(&geo::Point::new(p.longitude, p.latitude))
                    || geo::Intersects::intersects(
                        &shape.exterior().clone(),
                        &geo::Point::new(p.longitude, p.latitude),
                    )
            }
        }
    }

    /// A box holding every point inside, for a database to narrow the search before
    /// [`AlertArea::contains`] decides; `None` for named areas, found by their codes.
    pub fn bounding_box(&self) -> Option<BoundingBox> {
        match self {
            AlertArea::Circle { centre, radius_m } => Some(centre.bounding_box(*radius_m)),
            AlertArea::Named(_) => None,
            AlertArea::Polygon(corners) => Some(BoundingBox {
                min_latitude: corners.iter().map(|c| c.latitude).fold(f64::MAX, f64::min),
                max_latitude: corners.iter().map(|c| c.latitude).fold(f64::MIN, f64::max),
                min_longitude: corners.iter().map(|c| c.longitude).fold(f64::MAX, f64::min),
                max_longitude: corners.iter().map(|c| c.longitude).fold(f64::MIN, f64::max),
            }),
        }
    }
}

fn ring(corners: &[Point]) -> geo::Polygon<f64> {
    let mut coords: Vec<geo::Coord<f64>> = corners
        .iter()
        .map(|c| geo::Coord {
            x: c.longitude,
            y: c.latitude,
        })
        .collect();
    if let Some(first) = coords.first().copied() {
        coords.push(first);
    }
    geo::Polygon::new(geo::LineString(coords), vec![])
}

/// The point `metres` from `from` on the bearing `degrees` (clockwise from north), on the
/// same sphere [`Point::distance_m`] measures.
pub fn destination(from: Point, metres: f64, degrees: f64) -> Point {
    const R: f64 = 6_371_008.8;
    let (la, lo) = (from.latitude.to_radians(), from.longitude.to_radians());
    let (d, b) = (metres / R, degrees.to_radians());
    let la2 = (la.sin() * d.cos() + la.cos() * d.sin() * b.cos()).asin();
    let lo2 = lo + (b.sin() * d.sin() * la.cos()).atan2(d.cos() - la.sin() * la2.sin());
    Point {
        latitude: la2.to_degrees(),
        longitude: lo2.to_degrees(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stafford() -> Point {
        Point::new(52.8070, -2.1160).unwrap()
    }

    #[test]
    fn a_three_kilometre_circle_holds_a_point_a_metre_inside_and_not_one_a_metre_out() {
        let area = AlertArea::circle(stafford(), DEFAULT_RADIUS_M).unwrap();
        for bearing in [0.0, 45.0, 90.0, 135.0, 180.0, 270.0] {
            let inside = destination(stafford(), 2_999.0, bearing);
            let outside = destination(stafford(), 3_001.0, bearing);
            assert!(area.contains(inside, &[]), "{bearing}");
            assert!(!area.contains(outside, &[]), "{bearing}");
            let b = area.bounding_box().unwrap();
            assert!(b.contains(inside), "{bearing}");
        }
    }

    #[test]
    fn a_radius_must_be_from_fifty_metres_to_ten_kilometres() {
        assert!(AlertArea::circle(stafford(), 49.0).is_err());
        assert!(AlertArea::circle(stafford(), 10_001.0).is_err());
        assert!(AlertArea::circle(stafford(), f64::NAN).is_err());
        assert!(AlertArea::circle(stafford(), 50.0).is_ok());
        assert!(AlertArea::circle(stafford(), 10_000.0).is_ok());
    }

    #[test]
    fn a_polygon_holds_points_a_metre_inside_its_edge_and_not_a_metre_outside() {
        // A square about 2 km across, its western edge on the meridian 2.13 W.
        let c = |la: f64, lo: f64| Point::new(la, lo).unwrap();
        let area = AlertArea::polygon(vec![
            c(52.80, -2.13),
            c(52.80, -2.10),
            c(52.82, -2.10),
            c(52.82, -2.13),
            c(52.80, -2.13),
        ])
        .unwrap();
        let on_edge = c(52.81, -2.13);
        let inside = destination(on_edge, 1.0, 90.0);
        let outside = destination(on_edge, 1.0, 270.0);
        assert!(area.contains(inside, &[]));
        assert!(area.contains(on_edge, &[]));
        assert!(!area.contains(outside, &[]));
        assert!(!area.contains(c(52.81, -2.0), &[]));
        assert!(AlertArea::polygon(vec![c(52.8, -2.1), c(52.9, -2.1), c(52.8, -2.1)]).is_err());
    }

    #[test]
    fn named_areas_hold_the_subscribers_whose_location_falls_in_one() {
        let area = AlertArea::Named(vec!["E07000197".into()]);
        assert!(area.contains(stafford(), &["E05000001".into(), "E07000197".into()]));
        assert!(!area.contains(stafford(), &["E07000195".into()]));
        assert_eq!(area.bounding_box(), None);
    }
}
