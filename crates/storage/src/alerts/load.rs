//! Confirmed subscribers written in bulk, for the demo and the benchmarks (a million in
//! minutes): the same rows a confirmed sign-up writes, many to a statement.

use crate::db::{Db, format_time, insert_json_rows, new_id, to_json};
use crate::error::Result;
use chrono::Utc;
use harbour_domain::alerts::reach::{UnitVector, grid_row, stored};
use harbour_domain::place::Point;
use serde::Serialize;

/// One synthetic subscriber.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub email: String,
    pub business_sector: Option<&'static str>,
    pub home: Point,
    pub home_area: Option<String>,
    pub second: Option<(Point, Option<String>)>,
    pub topics_mask: i64,
    pub min_level: i64,
    /// `HH:MM` each.
    pub quiet: Option<(String, String)>,
}

#[derive(Serialize)]
struct SubscriberRow<'a> {
    id: &'a str,
    email: &'a str,
    email_key: String,
    kind: &'static str,
    sector: Option<&'static str>,
    age_group: &'static str,
    topics_mask: i64,
    min_level: i64,
    quiet_from: Option<&'a str>,
    quiet_until: Option<&'a str>,
    status: &'static str,
    generation: i64,
    created_at: &'a str,
    confirmed_at: &'a str,
    updated_at: &'a str,
}

#[derive(Serialize)]
struct PlaceRow<'a> {
    subscriber_id: &'a str,
    place: i64,
    area_code: Option<&'a str>,
    latitude: f64,
    longitude: f64,
    grid_row: i64,
    x: f64,
    y: f64,
    z: f64,
    topics_mask: i64,
    min_level: i64,
    quiet: Option<i64>,
    live: bool,
}

fn place<'a>(
    id: &'a str,
    n: i64,
    p: Point,
    area: Option<&'a str>,
    s: &NewSubscriber,
) -> PlaceRow<'a> {
    let p = stored(p);
    let v = UnitVector::of(p);
    PlaceRow {
        subscriber_id: id,
        place: n,
        area_code: area,
        latitude: p.latitude,
        longitude: p.longitude,
        grid_row: grid_row(p.latitude),
        x: v.x,
        y: v.y,
        z: v.z,
        topics_mask: s.topics_mask,
        min_level: s.min_level,
        quiet: s.quiet.as_ref().and_then(|(from, until)| {
            crate::alerts::owner::quiet_of(Some(from), Some(until)).map(|q| q.code())
        }),
        live: true,
    }
}

/// Writes confirmed subscribers, 2,000 to a transaction. Returns how many.
pub async fn load_subscribers(db: &Db, all: &[NewSubscriber]) -> Result<usize> {
    let subscribers = insert_json_rows(
        db.backend(),
        "alert_subscribers",
        &[
            ("id", "text"),
            ("email", "text"),
            ("email_key", "text"),
            ("kind", "text"),
            ("sector", "text"),
            ("age_group", "text"),
            ("topics_mask", "bigint"),
            ("min_level", "bigint"),
            ("quiet_from", "text"),
            ("quiet_until", "text"),
            ("status", "text"),
            ("generation", "bigint"),
            ("created_at", "text"),
            ("confirmed_at", "text"),
            ("updated_at", "text"),
        ],
    );
    let places = insert_json_rows(
        db.backend(),
        "alert_places",
        &[
            ("subscriber_id", "text"),
            ("place", "bigint"),
            ("area_code", "text"),
            ("latitude", "double precision"),
            ("longitude", "double precision"),
            ("grid_row", "bigint"),
            ("x", "double precision"),
            ("y", "double precision"),
            ("z", "double precision"),
            ("topics_mask", "bigint"),
            ("min_level", "bigint"),
            ("quiet", "bigint"),
            ("live", "boolean"),
        ],
    );
    let at = format_time(Utc::now());
    for chunk in all.chunks(2_000) {
        let ids: Vec<String> = chunk.iter().map(|_| new_id()).collect();
        let rows: Vec<SubscriberRow<'_>> = chunk
            .iter()
            .zip(&ids)
            .map(|(s, id)| SubscriberRow {
                id,
                email: &s.email,
                email_key: s.email.to_lowercase(),
                kind: if s.business_sector.is_some() {
                    "business"
                } else {
                    "resident"
                },
                sector: s.business_sector,
                age_group: "18_plus",
                topics_mask: s.topics_mask,
                min_level: s.min_level,
                quiet_from: s.quiet.as_ref().map(|q| q.0.as_str()),
                quiet_until: s.quiet.as_ref().map(|q| q.1.as_str()),
                status: "active",
                generation: 0,
                created_at: &at,
                confirmed_at: &at,
                updated_at: &at,
            })
            .collect();
        let mut place_rows = Vec::with_capacity(chunk.len());
        for (s, id) in chunk.iter().zip(&ids) {
            place_rows.push(place(id, 0, s.home, s.home_area.as_deref(), s));
            if let Some((p, area)) = &s.second {
                place_rows.push(place(id, 1, *p, area.as_deref(), s));
            }
        }
        let mut tx = db.begin_write().await?;
        sqlx::query(&subscribers)
            .bind(to_json(&rows)?)
            .execute(tx.conn())
            .await?;
        sqlx::query(&places)
            .bind(to_json(&place_rows)?)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
    }
    Ok(all.len())
}
