//! Looking at what was stored, for tests: the raw reads several tests make, in one place, so a
//! test says what it checks rather than how to find it. (Reads that only one test makes stay
//! beside it.) Uses `Db::pool`, which storage opens to the test kit alone.

use anyhow::Result;
use harbour_domain::ids::{AgencyId, UserId};
use harbour_storage::Db;
use sqlx::Row;

/// The id of the staff account with `email`.
pub async fn user_id(db: &Db, email: &str) -> Result<UserId> {
    Ok(sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await?
        .try_get("id")?)
}

/// The id of the agency called `name`.
pub async fn agency_id(db: &Db, name: &str) -> Result<AgencyId> {
    Ok(sqlx::query("SELECT id FROM agencies WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?
        .try_get("id")?)
}

/// How many rows `table` holds (a table name from the test itself, never input).
pub async fn rows(db: &Db, table: &str) -> Result<i64> {
    Ok(sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}
