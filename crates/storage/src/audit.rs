//! The audit writer, search and verification.
//!
//! [`append`] runs inside the transaction of the action it records: both commit or neither.
//! It takes the row lock on `audit_head` (`SELECT … FOR UPDATE`), so on PostgreSQL concurrent
//! transactions take their numbers one at a time and the chain has no gaps.

use crate::db::{Backend, Db, Statement, WriteTx, insert_json_rows, now, to_json};
use crate::error::Result;
use harbour_domain::audit::{AuditEntry, AuditEvent, ChainBreak, verify};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// The head of the chain, locked for the rest of a transaction: entries written through it are
/// numbered one after another, and the head moves with them.
pub(crate) struct Chain {
    seq: i64,
    hash: String,
}

impl Chain {
    /// Reads the head and, on PostgreSQL, takes its row lock (`FOR UPDATE`), so concurrent
    /// transactions number their entries one at a time; one that waited reads the head its
    /// predecessor left. On SQLite the transaction already holds the database's write lock.
    pub(crate) async fn lock(tx: &mut WriteTx) -> Result<Chain> {
        let sql = match tx.backend() {
            Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
            Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        };
        let head = sqlx::query(sql).fetch_one(tx.conn()).await?;
        Ok(Chain {
            seq: head.try_get("seq")?,
            hash: head.try_get("hash")?,
        })
    }

    /// Chains `events` on to the head, inserts them and moves the head past them. On
    /// PostgreSQL that is one statement, so the head's lock is held for one round trip fewer.
    pub(crate) async fn write(
        mut self,
        tx: &mut WriteTx,
        events: &[AuditEvent],
    ) -> Result<Vec<AuditEntry>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let entry = AuditEntry::chain(event, at.clone(), self.seq, &self.hash);
            self.seq = entry.seq;
            self.hash.clone_from(&entry.hash);
            entries.push(entry);
        }
        /// The entries' INSERT; on PostgreSQL it also moves the head, in the same statement.
        static APPEND: Statement = Statement::new(|backend| {
            let insert = insert_json_rows(backend, "audit_log", &ENTRY_COLUMN_TYPES);
            match backend {
                // A data-modifying WITH runs to completion whether or not it is read.
                Backend::Postgres => format!("WITH appended AS ({insert}) {MOVE_HEAD}"),
                Backend::Sqlite => insert,
            }
        });
        const MOVE_HEAD: &str = "UPDATE audit_head SET seq = $2, hash = $3 WHERE id = 1";
        let rows = to_json(&entries)?;
        let backend = tx.backend();
        match backend {
            Backend::Postgres => {
                sqlx::query(APPEND.text(backend))
                    .bind(rows)
                    .bind(self.seq)
                    .bind(&self.hash)
                    .execute(tx.conn())
                    .await?;
            }
            Backend::Sqlite => {
                sqlx::query(APPEND.text(backend))
                    .bind(rows)
                    .execute(tx.conn())
                    .await?;
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(self.seq)
                    .bind(&self.hash)
                    .execute(tx.conn())
                    .await?;
            }
        }
        Ok(entries)
    }
}

/// Appends one entry inside `tx`, the transaction of the action it records.
pub async fn append(tx: &mut WriteTx, event: &AuditEvent) -> Result<AuditEntry> {
    let chain = Chain::lock(tx).await?;
    chain
        .write(tx, std::slice::from_ref(event))
        .await?
        .pop()
        .ok_or_else(|| crate::error::StorageError::Write("no audit entry written".into()))
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

/// Reads the whole log in pages, in order, and checks the chain and the head.
pub async fn verify_log(db: &Db) -> Result<Verification> {
    const PAGE: i64 = 5_000;
    // Read the head first: entries appended while we read are then beyond it and ignored.
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let mut entries = Vec::new();
    let mut after = 0i64;
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
    Ok(match verify(&entries, (head_seq, &head_hash)) {
        Ok(entries) => Verification::Intact { entries },
        Err(e) => Verification::Broken(e),
    })
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
