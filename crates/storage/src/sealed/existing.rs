//! Sealing the values written before their field was sealed: a database from an earlier
//! version, at its first start with encryption, or a field newly added to the list.

use super::{Field, SEALED};
use crate::db::{Backend, Db};
use crate::error::Result;
use sqlx::Row;

/// Rows sealed per transaction, so that a large first start never holds the writer for long.
const BATCH: i64 = 500;

/// A key column's value: text, or a number (a version).
enum KeyValue {
    Text(String),
    Number(i64),
}

/// Seals every plain value of every sealed field, listed as sealed or not (for loaders that
/// write plain in bulk); returns how many.
pub(crate) async fn seal_plain_values(db: &Db) -> Result<u64> {
    let mut sealed = 0;
    for field in SEALED {
        sealed += seal_field(db, *field).await?;
    }
    Ok(sealed)
}

/// At start: seals the plain values of the fields not yet listed in `sealed_fields`, and lists
/// them. A listed field is skipped, since everything that writes it seals.
pub(super) async fn seal_unlisted_fields(db: &Db) -> Result<u64> {
    let listed: Vec<String> = sqlx::query_scalar("SELECT field FROM sealed_fields")
        .fetch_all(db.pool())
        .await?;
    let mut sealed = 0;
    for field in SEALED {
        if !listed.contains(&name(*field)) {
            sealed += seal_field(db, *field).await?;
        }
    }
    Ok(sealed)
}

fn name(field: Field) -> String {
    format!("{}.{}", field.table, field.column)
}

async fn seal_field(db: &Db, field: Field) -> Result<u64> {
    let keyring = db.keyring()?;
    let (table, column) = (field.table, field.column);
    let select = format!(
        "SELECT {keys}, {column} AS plain FROM {table} WHERE {column} IS NOT NULL \
         AND {column} NOT IN ('', '[]', '{{}}') AND {column} NOT LIKE 'hbe1:%' LIMIT {BATCH}",
        keys = field.key.join(", "),
    );
    let update = format!(
        "UPDATE {table} SET {column} = $1 WHERE {}",
        field
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", i + 2))
            .collect::<Vec<_>>()
            .join(" AND ")
    );
    let mut sealed = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let rows = sqlx::query(&select).fetch_all(tx.conn()).await?;
        if rows.is_empty() {
            sqlx::query(
                "INSERT INTO sealed_fields (field, sealed_at) VALUES ($1, $2) \
                 ON CONFLICT (field) DO NOTHING",
            )
            .bind(name(field))
            .bind(crate::db::now())
            .execute(tx.conn())
            .await?;
            tx.commit().await?;
            return Ok(sealed);
        }
        for row in &rows {
            let plain: String = row.try_get("plain")?;
            let mut query = sqlx::query(&update).bind(keyring.seal(field, &plain)?);
            for key in field.key {
                query = match key_value(row, key)? {
                    KeyValue::Text(t) => query.bind(t),
                    KeyValue::Number(n) => query.bind(n),
                };
            }
            query.execute(tx.conn()).await?;
            sealed += 1;
        }
        tx.commit().await?;
    }
}

/// After sealing what was plain, clears the pages that held it. On SQLite the old text would
/// otherwise stay in free pages and the write-ahead log until overwritten: `VACUUM` rewrites the
/// file and the checkpoint empties the log. On PostgreSQL the old row versions go when
/// autovacuum reaches them, but their bytes stay in the pages until reused; `VACUUM FULL`, which
/// locks each table while it rewrites it, is left to the administrator (see the README).
pub(super) async fn clear_old_pages(db: &Db) -> Result<()> {
    if db.backend() == Backend::Sqlite {
        let mut conn = db.pool().acquire().await?;
        sqlx::query("VACUUM").execute(&mut *conn).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn key_value(row: &sqlx::any::AnyRow, column: &str) -> Result<KeyValue> {
    match row.try_get::<String, _>(column) {
        Ok(t) => Ok(KeyValue::Text(t)),
        Err(_) => Ok(KeyValue::Number(row.try_get::<i64, _>(column)?)),
    }
}
