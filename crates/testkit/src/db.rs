//! A fresh database per test.

use anyhow::{Context, Result};
use harbour_storage::{Backend, Db};
use sqlx::Executor;

pub const POSTGRES_ENV: &str = "HARBOUR_TEST_POSTGRES_URL";

pub struct TestDb {
    pub url: String,
    pub backend: Backend,
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
            _dir: None,
        })
    }

    /// Connects and migrates.
    pub async fn open(&self) -> Result<Db> {
        let db = Db::connect(&self.url, 8).await?;
        db.migrate().await?;
        Ok(db)
    }
}
