//! The audit writer, search and verification.
//!
//! [`append`] runs inside the transaction of the action it records: both commit or neither.
//! Entries are numbered without gaps under the row lock on `audit_head`, so concurrent
//! transactions take their numbers one at a time.
//!
//! On PostgreSQL the database chains the entries itself (`audit_append`, migration 0009): it
//! takes the head's lock, hashes each entry as [`AuditEntry::compute_hash`] does, inserts them
//! and moves the head, in one statement; so the intake can write referrals and their entries in
//! one statement too. On SQLite this module chains them, under the database's write lock.

use crate::db::{Backend, Db, Statement, WriteTx, insert_json_rows, now, to_json};
use crate::error::Result;
use harbour_domain::audit::{AuditEntry, AuditEvent, ChainBreak, GENESIS_HASH, verify_from};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// Appends `events`, in order, inside `tx`, the transaction of the action they record.
pub(crate) async fn append_all(tx: &mut WriteTx, events: &[AuditEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let at = now();
    match tx.backend() {
        Backend::Postgres => {
            sqlx::query("SELECT audit_append($1::json)")
                .bind(to_append(events, &at)?)
                .execute(tx.conn())
                .await?;
        }
        Backend::Sqlite => chain_here(tx, events, at).await?,
    }
    Ok(())
}

/// An entry for work with no signed-in actor behind a store: run from the command line, at
/// start-up or by the demo (`by` names the person when one asked, as an administrator's page
/// does), in a request of its own.
pub(crate) fn event(
    by: Option<&str>,
    action: harbour_domain::audit::AuditAction,
    entity_kind: &str,
    entity_id: Option<String>,
    purpose: impl Into<String>,
) -> AuditEvent {
    AuditEvent {
        actor_user_id: by.map(str::to_owned),
        actor_agency_id: None,
        action,
        entity_kind: entity_kind.to_owned(),
        entity_id,
        purpose: purpose.into(),
        request_id: crate::db::new_id(),
    }
}

/// Appends one entry inside `tx`, the transaction of the action it records.
pub async fn append(tx: &mut WriteTx, event: &AuditEvent) -> Result<()> {
    append_all(tx, std::slice::from_ref(event)).await
}

/// An event with its time, as PostgreSQL's `audit_append` reads it.
#[derive(Serialize)]
struct ToAppend<'a> {
    at: &'a str,
    actor_user_id: Option<&'a str>,
    actor_agency_id: Option<&'a str>,
    action: &'static str,
    entity_kind: &'a str,
    entity_id: Option<&'a str>,
    purpose: &'a str,
    request_id: &'a str,
}

/// `events`, each at `at`, as the JSON array PostgreSQL's `audit_append($1::json)` appends: for
/// a statement that writes something and appends its entries at once.
pub(crate) fn to_append(events: &[AuditEvent], at: &str) -> Result<String> {
    let entries: Vec<ToAppend<'_>> = events
        .iter()
        .map(|e| ToAppend {
            at,
            actor_user_id: e.actor_user_id.as_deref(),
            actor_agency_id: e.actor_agency_id.as_deref(),
            action: e.action.slug(),
            entity_kind: &e.entity_kind,
            entity_id: e.entity_id.as_deref(),
            purpose: &e.purpose,
            request_id: &e.request_id,
        })
        .collect();
    to_json(&entries)
}

/// Chains `events` on to the head here, inserts them and moves the head (SQLite, whose
/// transaction already holds the database's write lock).
async fn chain_here(tx: &mut WriteTx, events: &[AuditEvent], at: String) -> Result<()> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(tx.conn())
        .await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut hash: String = head.try_get("hash")?;
    let mut entries = Vec::with_capacity(events.len());
    for event in events {
        let entry = AuditEntry::chain(event, at.clone(), seq, &hash);
        seq = entry.seq;
        hash.clone_from(&entry.hash);
        entries.push(entry);
    }
    static INSERT: Statement =
        Statement::new(|backend| insert_json_rows(backend, "audit_log", &ENTRY_COLUMN_TYPES));
    sqlx::query(INSERT.text(tx.backend()))
        .bind(to_json(&entries)?)
        .execute(tx.conn())
        .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub(crate) fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor_user_id: row.try_get("actor_user_id")?,
        actor_agency_id: row.try_get("actor_agency_id")?,
        action: row.try_get("action")?,
        entity_kind: row.try_get("entity_kind")?,
        entity_id: row.try_get("entity_id")?,
        purpose: row.try_get("purpose")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The log's columns with their PostgreSQL types.
const ENTRY_COLUMN_TYPES: [(&str, &str); 11] = [
    ("seq", "bigint"),
    ("at", "text"),
    ("actor_user_id", "text"),
    ("actor_agency_id", "text"),
    ("action", "text"),
    ("entity_kind", "text"),
    ("entity_id", "text"),
    ("purpose", "text"),
    ("request_id", "text"),
    ("prev_hash", "text"),
    ("hash", "text"),
];

/// The log's column names, comma-separated, for SELECTs.
static ENTRY_COLUMNS: LazyLock<String> =
    LazyLock::new(|| ENTRY_COLUMN_TYPES.map(|(column, _)| column).join(", "));

/// The outcome of checking the whole log.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Intact { entries: i64 },
    Broken(ChainBreak),
}

/// The log's column names, comma-separated, for SELECTs.
pub(crate) fn entry_columns() -> &'static str {
    &ENTRY_COLUMNS
}

/// Reads the whole log in pages, in order, and checks the chain and the head: from the
/// beginning, or from where the retention schedule last pruned it (a signed checkpoint's entry).
pub async fn verify_log(db: &Db) -> Result<Verification> {
    let mut conn = db.pool().acquire().await?;
    let anchor = crate::audit_prune::anchor(&mut conn).await?;
    drop(conn);
    match anchor {
        Ok(start) => verify_entries_after(db, start).await,
        Err(b) => Ok(Verification::Broken(b)),
    }
}

/// Checks the entries after `start` (an entry's number and hash, trusted), or all of them, up
/// to the head, and the head.
pub(crate) async fn verify_entries_after(
    db: &Db,
    start: Option<(i64, String)>,
) -> Result<Verification> {
    const PAGE: i64 = 5_000;
    // Read the head first: entries appended while we read are then beyond it and ignored.
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let mut entries = Vec::new();
    let mut after = start.as_ref().map_or(0, |(seq, _)| *seq);
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            *ENTRY_COLUMNS
        ))
        .bind(after)
        .bind(head_seq)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("seq")?;
        for row in &rows {
            entries.push(entry_from_row(row)?);
        }
    }
    let (from_seq, from_hash) = start
        .as_ref()
        .map_or((0, GENESIS_HASH), |(seq, hash)| (*seq, hash.as_str()));
    Ok(
        match verify_from((from_seq, from_hash), &entries, (head_seq, &head_hash)) {
            Ok(entries) => Verification::Intact { entries },
            Err(e) => Verification::Broken(e),
        },
    )
}

/// What the auditor searches by. Every field is optional; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive, RFC 3339 or a date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Exclusive.
    pub until: Option<String>,
    /// Entries with a number below this (for the next page; newest first).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

pub(crate) async fn search(tx: &mut WriteTx, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let mut sql = format!("SELECT {} FROM audit_log WHERE 1 = 1", *ENTRY_COLUMNS);
    let mut binds: Vec<String> = Vec::new();
    let mut clause = |sql: &mut String, column_op: &str, value: &str| {
        binds.push(value.to_owned());
        sql.push_str(&format!(" AND {column_op} ${}", binds.len()));
    };
    if let Some(v) = &filter.actor_user_id {
        clause(&mut sql, "actor_user_id =", v);
    }
    if let Some(v) = &filter.entity_kind {
        clause(&mut sql, "entity_kind =", v);
    }
    if let Some(v) = &filter.entity_id {
        clause(&mut sql, "entity_id =", v);
    }
    if let Some(v) = &filter.action {
        clause(&mut sql, "action =", v);
    }
    if let Some(v) = &filter.from {
        clause(&mut sql, "at >=", v);
    }
    if let Some(v) = &filter.until {
        clause(&mut sql, "at <", v);
    }
    let mut query_binds = binds.len();
    if filter.before_seq.is_some() {
        query_binds += 1;
        sql.push_str(&format!(" AND seq < ${query_binds}"));
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", query_binds + 1));
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    if let Some(before) = filter.before_seq {
        query = query.bind(before);
    }
    let rows = query
        .bind(filter.limit.clamp(1, 500))
        .fetch_all(tx.conn())
        .await?;
    rows.iter().map(entry_from_row).collect()
}
