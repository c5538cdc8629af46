//! Cases in bulk, for the caseload benchmark: open cases at New Era for the referrals already
//! stored, spread over a team of caseworkers, with reviews due around today.

use crate::db::{Backend, Db, insert_json_rows, new_id, now, to_json};
use crate::error::Result;
use chrono::{Duration, Utc};
use harbour_domain::calendar::uk_date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Caseworkers the bulk cases are spread over (the demo caseworker is one of them).
pub const TEAM: usize = 2_000;

#[derive(Serialize)]
struct CaseRow {
    id: String,
    person_id: String,
    referral_id: String,
    agency_id: String,
    caseworker_id: String,
    tier: &'static str,
    risk_level: &'static str,
    status: &'static str,
    opened_at: String,
    next_review_on: String,
    updated_at: String,
}

const COLUMNS: [(&str, &str); 11] = [
    ("id", "text"),
    ("person_id", "text"),
    ("referral_id", "text"),
    ("agency_id", "text"),
    ("caseworker_id", "text"),
    ("tier", "text"),
    ("risk_level", "text"),
    ("status", "text"),
    ("opened_at", "text"),
    ("next_review_on", "text"),
    ("updated_at", "text"),
];

/// Opens up to `n` cases at New Era, one for each stored referral that has none, allocated round
/// a team of [`TEAM`] caseworkers (made as needed, sharing the demo caseworker's password): about
/// one in ten paused, reviews from sixty days overdue to sixty ahead. Returns how many.
pub async fn load_demo_cases(db: &Db, n: u64) -> Result<u64> {
    let demo = super::demo_sign_ins()
        .into_iter()
        .find(|s| s.role == harbour_domain::role::Role::Caseworker)
        .map(|s| s.email)
        .unwrap_or_default();
    let (me, agency, hash): (String, String, String) =
        sqlx::query_as("SELECT id, agency_id, password_hash FROM users WHERE email = $1")
            .bind(&demo)
            .fetch_one(db.pool())
            .await?;
    let mut team = vec![me];
    let mut tx = db.begin_write().await?;
    let at = now();
    for i in team.len()..TEAM {
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, agency_id, email, display_name, password_hash, active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&agency)
        .bind(format!("caseworker{i}@new-era.example"))
        .bind(format!("Caseworker {i}"))
        .bind(&hash)
        .bind(true)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'caseworker')")
            .bind(&id)
            .execute(tx.conn())
            .await?;
        team.push(id);
    }
    tx.commit().await?;
    let referrals: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.id, r.person_id FROM referrals r WHERE NOT EXISTS \
         (SELECT 1 FROM cases c WHERE c.referral_id = r.id) ORDER BY r.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut rng = StdRng::seed_from_u64(19);
    let today = uk_date(Utc::now());
    let statement = insert_json_rows(db.backend(), "cases", &COLUMNS);
    let mut made = 0u64;
    for chunk in referrals
        .into_iter()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .collect::<Vec<_>>()
        .chunks(5_000)
    {
        let rows: Vec<CaseRow> = chunk
            .iter()
            .enumerate()
            .map(|(i, (referral, person))| {
                let opened = Utc::now() - Duration::days(rng.gen_range(1..400));
                CaseRow {
                    id: new_id(),
                    person_id: person.clone(),
                    referral_id: referral.clone(),
                    agency_id: agency.clone(),
                    caseworker_id: team[(made as usize + i) % team.len()].clone(),
                    tier: ["targeted", "acute", "early_intervention"][rng.gen_range(0..3)],
                    risk_level: ["standard", "medium", "high"][rng.gen_range(0..3)],
                    status: if rng.gen_bool(0.1) { "paused" } else { "open" },
                    opened_at: crate::db::format_time(opened),
                    next_review_on: (today + Duration::days(rng.gen_range(-60..60))).to_string(),
                    updated_at: at.clone(),
                }
            })
            .collect();
        let mut tx = db.begin_write().await?;
        sqlx::query(&statement)
            .bind(to_json(&rows)?)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        made += rows.len() as u64;
    }
    if db.backend() == Backend::Postgres {
        sqlx::query("ANALYZE cases, users, user_roles")
            .execute(db.pool())
            .await?;
    }
    Ok(made)
}
