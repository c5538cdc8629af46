//! Setting a MARAC up: its name, the areas it covers, its member agencies, the cases a meeting
//! can hear and the posts that carry its work. Data, not code: the demo makes two.

use super::*;
use crate::db::{Db, new_id, now};

/// A MARAC as set up.
#[derive(Debug, Clone, Default)]
pub struct MaracSetup {
    pub name: String,
    pub areas: Vec<String>,
    /// Member agencies, by name.
    pub members: Vec<String>,
    pub coordinator_email: Option<String>,
    pub capacity: i64,
    pub idva_posts: i64,
    pub coordinator_posts: i64,
}

/// Creates a MARAC (or finds it, by name, when it exists already).
pub async fn create_marac(db: &Db, setup: &MaracSetup) -> Result<MaracId> {
    let mut tx = db.begin_write().await?;
    let existing: Option<MaracId> = sqlx::query_scalar("SELECT id FROM maracs WHERE name = $1")
        .bind(&setup.name)
        .fetch_optional(tx.conn())
        .await?;
    if let Some(id) = existing {
        tx.commit().await?;
        return Ok(id);
    }
    let coordinator: Option<String> = match &setup.coordinator_email {
        Some(email) => {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(tx.conn())
                .await?
        }
        None => None,
    };
    let id = MaracId::from(new_id());
    sqlx::query(
        "INSERT INTO maracs (id, name, areas, coordinator_id, capacity, idva_posts, coordinator_posts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&setup.name)
    .bind(setup.areas.join(","))
    .bind(coordinator)
    .bind(setup.capacity)
    .bind(setup.idva_posts)
    .bind(setup.coordinator_posts)
    .bind(now())
    .execute(tx.conn())
    .await?;
    for member in &setup.members {
        let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
            .bind(member)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("agency"))?;
        sqlx::query("INSERT INTO marac_members (marac_id, agency_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(agency)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}
