//! The database handle: a pool for either SQLite or PostgreSQL, migrations, and write
//! transactions.
//!
//! SQLite allows one writer at a time. A transaction that reads and then writes can fail
//! at once with SQLITE_BUSY if another connection wrote in between, whatever the busy
//! timeout, so on SQLite write transactions also take a process-wide lock first. PostgreSQL
//! needs no such lock.

use crate::error::{Result, StorageError};
use crate::sealed::{KeyEncryptionKey, Keyring};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a pooled connection may sit idle before it is checked again before use.
const IDLE_BEFORE_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// State the features keep beside the connection, one value of each type, made on first use:
/// the intake writer's handle, caches of reference data. Each feature owns its type; this layer
/// knows none of them.
type Owned = std::sync::RwLock<
    std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>,
>;

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// PostgreSQL only: the intake writer's connections (see `connect`).
    intake_pool: Option<AnyPool>,
    backend: Backend,
    write_lock: Option<Arc<Mutex<()>>>,
    owned: Arc<Owned>,
    /// The key that wraps the data keys, and the data keys once unwrapped (see `sealed`).
    key_encryption_key: Arc<KeyEncryptionKey>,
    keyring: Arc<OnceLock<Arc<Keyring>>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL can hold a password: never print it.
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn locked() -> StorageError {
    StorageError::Write("the data keys are not unlocked: prepare the database first".into())
}

/// A write transaction; on SQLite it holds the process-wide writer lock until it ends.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
    backend: Backend,
    keyring: Option<Arc<Keyring>>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database's data keys, for sealing what this transaction writes.
    pub fn keyring(&self) -> Result<Arc<Keyring>> {
        self.keyring.clone().ok_or_else(locked)
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Opens the database named by `url` (`sqlite:PATH` or `postgres://…`), creating a
    /// SQLite file and its folder if they do not exist.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StorageError::Open("the database URL must start with sqlite: or postgres://".to_owned())
        })?;
        let url = match backend {
            Backend::Sqlite => sqlite_url_creating_folder(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StorageError::Open(redact(&e.to_string(), &url)))?;
        let pool = pool_options(backend, max_connections, None)
            .connect_with(options.clone())
            .await
            .map_err(|e| StorageError::Open(redact(&e.to_string(), &url)))?;
        // The intake writer's own connections on PostgreSQL (see `INTAKE_SESSION`), opened on
        // first use.
        let intake_pool = (backend == Backend::Postgres).then(|| {
            pool_options(backend, INTAKE_CONNECTIONS, Some(INTAKE_SESSION))
                .connect_lazy_with(options)
        });
        Ok(Db {
            pool,
            intake_pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            owned: Arc::default(),
            key_encryption_key: Arc::new(KeyEncryptionKey::development()),
            keyring: Arc::default(),
        })
    }

    /// This handle with `key` as its key-encryption key, before [`crate::schema::prepare`]
    /// unwraps the data keys with it. Without one, a handle uses the development key, which
    /// the demonstration, the tests and the benchmarks share and which protects nothing.
    pub fn with_key_encryption_key(self, key: KeyEncryptionKey) -> Db {
        Db {
            key_encryption_key: Arc::new(key),
            keyring: Arc::default(),
            ..self
        }
    }

    pub(crate) fn key_encryption_key(&self) -> Arc<KeyEncryptionKey> {
        self.key_encryption_key.clone()
    }

    pub(crate) fn set_keyring(&self, keyring: Keyring) {
        // Unlocked once per handle; a second unlock (a second prepare) made the same keys.
        let _ = self.keyring.set(Arc::new(keyring));
    }

    /// The database's data keys, for sealing; unlocked by [`crate::schema::prepare`].
    pub fn keyring(&self) -> Result<Arc<Keyring>> {
        self.keyring.get().cloned().ok_or_else(locked)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool. Every query is storage's own: outside this crate the pool is reachable only
    /// with the `test-support` feature, which the test kit turns on to inspect what was stored.
    #[cfg(feature = "test-support")]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    #[cfg(not(feature = "test-support"))]
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The schema migrations for this database's kind, and nothing else: what a new database
    /// also needs (reference data, backfills, the audit triggers) is [`crate::schema::prepare`].
    pub(crate) async fn run_migrations(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn begin_write(&self) -> Result<WriteTx> {
        let writer = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        // On SQLite, take the database's write lock at BEGIN (IMMEDIATE). A deferred transaction
        // that reads first and writes later fails at once with SQLITE_BUSY, without waiting,
        // when another connection wrote in between (a token's last use, a session touch).
        let tx = if writer.is_some() {
            self.pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            self.pool.begin().await?
        };
        Ok(WriteTx {
            tx,
            _writer: writer,
            backend: self.backend,
            keyring: self.keyring.get().cloned(),
        })
    }

    /// The state of type `T` a feature keeps beside the connection, made on first use and
    /// shared by every copy of this handle.
    pub(crate) fn owned<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let id = std::any::TypeId::of::<T>();
        let found = self
            .owned
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned();
        let any = match found {
            Some(any) => any,
            None => self
                .owned
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(id)
                .or_insert_with(|| Arc::new(T::default()))
                .clone(),
        };
        any.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("kept under its own type's id"))
    }

    /// A copy of this handle that shares the connections but none of the features' state: for
    /// a task that must not keep that state alive (the intake writer holds one, so that when the
    /// last outside handle goes, its channel closes and it ends).
    pub(crate) fn detached(&self) -> Db {
        Db {
            owned: Arc::default(),
            ..self.clone()
        }
    }

    /// The connections the intake writer uses on PostgreSQL.
    pub(crate) fn intake_pool(&self) -> &AnyPool {
        self.intake_pool.as_ref().unwrap_or(&self.pool)
    }

    pub async fn close(&self) {
        if let Some(pool) = &self.intake_pool {
            pool.close().await;
        }
        self.pool.close().await;
    }
}

/// How the intake writer's PostgreSQL connections plan: always the generic plan of a prepared
/// statement, and never a read of a whole table or index where a probe by key will do.
///
/// The intake's statements take their values as JSON arrays, and PostgreSQL otherwise kept
/// re-planning them for each batch's values (more than half the look-ups, measured with
/// `pg_stat_statements`), which cost more than running them: with one client at a time, a
/// referral cost 2.3 ms of CPU instead of 0.9. A generic plan, though, is kept until autovacuum
/// next analyzes the table, which can be a minute, and one made while a table was small reads it
/// whole as it grows: a sequential scan, or a hash or merge join against all of a primary key's
/// index (the update of the people already known did that, and intake ran at a third of its speed
/// for the first half minute after 20,000 referrals). Every statement on these connections finds
/// its rows by key, a batch's few hundred at most, so those plans are ruled out instead, and a
/// join is a nested loop that probes an index. `tests/it/referrals.rs` checks the plans of the
/// look-up and the write on a connection set up this way, with the tables small and large.
pub const INTAKE_SESSION: &str = "SET plan_cache_mode = force_generic_plan; \
     SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off";

/// Connections the intake writer keeps on PostgreSQL: its two writers, and one to spare.
const INTAKE_CONNECTIONS: u32 = 3;

/// How a pool opens and checks its connections; `session` is run on each new PostgreSQL one.
fn pool_options(
    backend: Backend,
    max_connections: u32,
    session: Option<&'static str>,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        // A connection in steady use is known to be alive: checking each one before every
        // transaction would cost a round trip each time. One that has sat idle a while may
        // have been dropped (a restarted server, a firewall), so that one is checked.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_CHECK {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                match backend {
                    // WAL lets readers work while one writer commits; synchronous=FULL makes
                    // every commit durable before it is acknowledged.
                    Backend::Sqlite => {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Backend::Postgres => {
                        if let Some(sql) = session {
                            conn.execute(sql).await?;
                        }
                    }
                }
                Ok(())
            })
        })
}

fn sqlite_url_creating_folder(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(StorageError::Open(
            "give SQLite a file path, for example sqlite:data/harbour.db".to_owned(),
        ));
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            StorageError::Open(format!(
                "cannot create the folder {}: {e}",
                parent.display()
            ))
        })?;
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

/// Removes a password from any message that might repeat the URL.
fn redact(message: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "********"),
        _ => message.to_owned(),
    }
}

/// The current time as stored: RFC 3339, UTC, microseconds, so text order is time order.
pub fn now() -> String {
    format_time(chrono::Utc::now())
}

pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| StorageError::Corrupt(format!("bad timestamp {s:?}")))
}

/// A boolean column as either database stores it: `BOOLEAN` on PostgreSQL, 0 or 1 in an
/// `INTEGER` on SQLite (whose boolean type the `Any` driver does not map). For row structs:
/// `#[derive(FromRow)] struct AgencyRow { active: Flag, … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i32 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if let Ok(b) = <bool as sqlx::Decode<sqlx::Any>>::decode(value.clone()) {
            return Ok(Flag(b));
        }
        if let Ok(n) = <i64 as sqlx::Decode<sqlx::Any>>::decode(value.clone()) {
            return Ok(Flag(n != 0));
        }
        Ok(Flag(<i32 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0))
    }
}

/// A stored instant (RFC 3339 text, as [`format_time`] writes it) read as a time, for row
/// structs: `#[derive(FromRow)] struct ReferralRow { received_at: Stamp, … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(pub chrono::DateTime<chrono::Utc>);

impl sqlx::Type<sqlx::Any> for Stamp {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Stamp {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(Stamp(parse_time(&text)?))
    }
}

/// Reads a boolean column by name, as [`Flag`] does.
pub fn get_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    Ok(row.try_get::<Flag, _>(column)?.0)
}

/// `INSERT INTO table (columns) SELECT …` reading its rows from one JSON parameter, `$1`: an
/// array of objects keyed by column name. The statement's text is the same whatever the number
/// of rows, so each connection prepares and plans it once, not once per batch size. `columns`
/// names each column with its PostgreSQL type.
pub(crate) fn insert_json_rows(backend: Backend, table: &str, columns: &[(&str, &str)]) -> String {
    insert_json_rows_from(backend, table, columns, 1)
}

/// A statement whose text depends only on the backend: built the first time each backend asks
/// for it, then shared, so a hot path formats no SQL.
pub(crate) struct Statement {
    build: fn(Backend) -> String,
    texts: [OnceLock<String>; 2],
}

impl Statement {
    pub(crate) const fn new(build: fn(Backend) -> String) -> Statement {
        Statement {
            build,
            texts: [OnceLock::new(), OnceLock::new()],
        }
    }

    pub(crate) fn text(&self, backend: Backend) -> &str {
        let i = match backend {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        };
        self.texts[i].get_or_init(|| (self.build)(backend))
    }
}

/// [`insert_json_rows`] reading its rows from parameter `$param`, for a statement that has others.
pub(crate) fn insert_json_rows_from(
    backend: Backend,
    table: &str,
    columns: &[(&str, &str)],
    param: usize,
) -> String {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let select = match backend {
        Backend::Postgres => format!(
            "SELECT {} FROM {}",
            names
                .iter()
                .map(|c| format!("x.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            json_recordset(columns, param)
        ),
        Backend::Sqlite => format!(
            "SELECT {} FROM json_each(${param})",
            names
                .iter()
                .map(|c| format!("json_extract(value, '$.{c}')"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("INSERT INTO {table} ({}) {select}", names.join(", "))
}

/// `UPDATE table SET …` of the rows in the JSON parameter `$param`, an array of objects keyed by
/// column name, each row found by the first of `columns` (its id) and given the others. Like
/// [`insert_json_rows`], one statement text whatever the number of rows. A row named twice is
/// updated once, from either; the caller names each once.
pub(crate) fn update_json_rows_from(
    backend: Backend,
    table: &str,
    columns: &[(&str, &str)],
    param: usize,
) -> String {
    let Some(((key, _), rest)) = columns.split_first() else {
        return String::new();
    };
    match backend {
        Backend::Postgres => format!(
            "UPDATE {table} SET {} FROM {} WHERE {table}.{key} = x.{key}",
            rest.iter()
                .map(|(c, _)| format!("{c} = x.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            json_recordset(columns, param)
        ),
        Backend::Sqlite => format!(
            "UPDATE {table} SET {} FROM json_each(${param}) AS x \
             WHERE {table}.{key} = json_extract(x.value, '$.{key}')",
            rest.iter()
                .map(|(c, _)| format!("{c} = json_extract(x.value, '$.{c}')"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// PostgreSQL's rows, named `x`, of the JSON array parameter `$param`, typed as `columns` say.
fn json_recordset(columns: &[(&str, &str)], param: usize) -> String {
    let types: Vec<String> = columns.iter().map(|(c, t)| format!("{c} {t}")).collect();
    format!(
        "json_to_recordset(${param}::json) AS x({})",
        types.join(", ")
    )
}

/// A value as stored in a JSON text column.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// A new row's id: a UUIDv7, which begins with the time it was made, so new rows go to the end of
/// each id index rather than to a random page (on SQLite that is what keeps a batch's writes
/// small); the rest is random.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/h.db");
        let url = sqlite_url_creating_folder(&format!("sqlite:{}", path.display())).unwrap();
        assert!(url.ends_with("h.db?mode=rwc"));
        assert!(path.parent().unwrap().is_dir());
        assert!(sqlite_url_creating_folder("sqlite::memory:").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let url = "postgres://harbour:s3cret@localhost/harbour";
        assert_eq!(redact("failed for s3cret", url), "failed for ********");
    }

    #[test]
    fn times_sort_as_text() {
        let a = format_time(chrono::DateTime::from_timestamp(1_700_000_000, 5_000).unwrap());
        let b = format_time(chrono::DateTime::from_timestamp(1_700_000_000, 50_000).unwrap());
        assert!(a < b, "{a} {b}");
        assert_eq!(parse_time(&a).unwrap().timestamp(), 1_700_000_000);
    }
}
