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

/// Every `table.column` in the database where any of `needles` appears, searching every
/// column of every table as text (case-insensitively): for showing that erased content has
/// gone from everywhere, not only from the columns a test thought of.
pub async fn where_text_appears(db: &Db, needles: &[&str]) -> Result<Vec<String>> {
    use harbour_storage::db::Backend;
    let columns: Vec<(String, String)> = match db.backend() {
        Backend::Sqlite => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(db.pool())
            .await?;
            let mut out = Vec::new();
            for t in tables {
                let names: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                        .fetch_all(db.pool())
                        .await?;
                out.extend(names.into_iter().map(|c| (t.clone(), c)));
            }
            out
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(db.pool())
            .await?
        }
    };
    let mut found = Vec::new();
    let any = (1..=needles.len())
        .map(|i| format!("LOWER(CAST(\"{{column}}\" AS TEXT)) LIKE ${i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for (table, column) in columns {
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE {}",
            any.replace("{column}", &column)
        );
        let mut q = sqlx::query_scalar(&sql);
        for needle in needles {
            q = q.bind(format!("%{}%", needle.to_lowercase()));
        }
        let n: i64 = q.fetch_one(db.pool()).await?;
        if n == 0 {
            continue;
        }
        for needle in needles {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE LOWER(CAST(\"{column}\" AS TEXT)) LIKE $1"
            ))
            .bind(format!("%{}%", needle.to_lowercase()))
            .fetch_one(db.pool())
            .await?;
            if n > 0 {
                found.push(format!("{table}.{column} holds {needle:?} ({n} rows)"));
            }
        }
    }
    // The sealed fields, opened: what they hold is still held, only not in plain text.
    for field in harbour_storage::sealed::SEALED {
        let sealed: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {c} FROM {t} WHERE {c} LIKE 'hbe1:%'",
            c = field.column,
            t = field.table
        ))
        .fetch_all(db.pool())
        .await?;
        for needle in needles {
            let needle_lower = needle.to_lowercase();
            let mut n = 0;
            for value in &sealed {
                if opened(value)?.to_lowercase().contains(&needle_lower) {
                    n += 1;
                }
            }
            if n > 0 {
                found.push(format!(
                    "{}.{} holds {needle:?} ({n} rows, sealed)",
                    field.table, field.column
                ));
            }
        }
    }
    Ok(found)
}

/// A stored value as Harbour reads it: opened if it is sealed (see storage's `sealed`). The
/// database must have been opened in this process, as a test app's or `TestDb::open`'s is.
pub fn opened(stored: &str) -> Result<String> {
    Ok(harbour_storage::sealed::open(stored)?.into_owned())
}

/// A SQLite database's file and its write-ahead log, byte for byte, as text (lossily): what
/// someone holding a copy of the file has. `url` is the `sqlite:` URL.
pub fn sqlite_file_text(url: &str) -> Result<String> {
    let path = url.trim_start_matches("sqlite:");
    let mut bytes = std::fs::read(path)?;
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
