//! A fresh database per test.

use anyhow::{Context, Result};
use harbour_storage::{Backend, Db};
use sqlx::Executor;

pub const POSTGRES_ENV: &str = "HARBOUR_TEST_POSTGRES_URL";

pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The server's administrative address, for a PostgreSQL database made here.
    admin_url: Option<String>,
    /// Keeps a SQLite file's folder alive for the test.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new() -> Result<TestDb> {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(&admin_url).await,
            _ => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite:{}", dir.path().join("harbour.db").display());
        Ok(TestDb {
            url,
            backend: Backend::Sqlite,
            admin_url: None,
            _dir: Some(dir),
        })
    }

    pub async fn postgres(admin_url: &str) -> Result<TestDb> {
        sqlx::any::install_default_drivers();
        let name = format!("harbour_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url)
            .await
            .context("connecting to the test PostgreSQL server")?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(TestDb {
            url: url.to_string(),
            backend: Backend::Postgres,
            admin_url: Some(admin_url.to_owned()),
            _dir: None,
        })
    }

    /// Removes the database: a PostgreSQL one is dropped, closing any connection still open to
    /// it (the tests' server is thrown away whole, but the benchmark may be pointed at one that
    /// is not); a SQLite file goes with its folder.
    pub async fn remove(self) -> Result<()> {
        if let Some(admin_url) = &self.admin_url {
            let name = url::Url::parse(&self.url)?
                .path()
                .trim_start_matches('/')
                .to_owned();
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url).await?;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await?;
        }
        Ok(())
    }

    /// Connects and migrates.
    pub async fn open(&self) -> Result<Db> {
        let db = Db::connect(&self.url, 8).await?;
        harbour_storage::schema::prepare(&db).await?;
        Ok(db)
    }
}
