//! A running Harbour for a test.

use crate::client::TestClient;
use crate::db::TestDb;
use anyhow::Result;
use harbour_domain::role::Role;
use harbour_storage::Db;
use harbour_storage::demo::{DEMO_PASSWORD, demo_sign_ins, load_demo};
use harbour_storage::sealed::KeyEncryptionKey;
use harbour_web::WebConfig;

pub struct TestApp {
    pub url: String,
    pub db: Db,
    pub test_db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// A server with the demo partnership loaded and a generous per-address sign-in limit
    /// (tests sign in often from one address).
    pub async fn spawn() -> Result<TestApp> {
        Self::spawn_with(|c| {
            c.sign_in_attempts_per_minute = 100_000;
            c.open_data_requests_per_minute = 100_000;
        })
        .await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut WebConfig)) -> Result<TestApp> {
        Self::spawn_keyed(KeyEncryptionKey::development(), configure).await
    }

    /// A server whose database's data keys are wrapped by `key` (the others use the
    /// development key), configured by `configure`.
    pub async fn spawn_keyed(
        key: KeyEncryptionKey,
        configure: impl FnOnce(&mut WebConfig),
    ) -> Result<TestApp> {
        let test_db = TestDb::new().await?;
        let db = Db::connect(&test_db.url, 8)
            .await?
            .with_key_encryption_key(key);
        harbour_storage::schema::prepare(&db).await?;
        load_demo(&db).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        // The address people use is the one it listens on, as in a real deployment.
        let mut config = WebConfig {
            public_url: url.clone(),
            ..WebConfig::default()
        };
        configure(&mut config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server_db = db.clone();
        tokio::spawn(async move {
            let _ = harbour_web::serve(listener, server_db, config, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(TestApp {
            url,
            db,
            test_db,
            shutdown: Some(tx),
        })
    }

    pub fn client(&self) -> TestClient {
        TestClient::new(&self.url)
    }

    /// A client signed in as the demo account for `role`.
    pub async fn signed_in(&self, role: Role) -> Result<TestClient> {
        let email = demo_email(role);
        let client = self.client();
        client.sign_in(&email, DEMO_PASSWORD).await?;
        Ok(client)
    }
}

impl TestApp {
    /// Issues an API token to the named demo agency, as the demo administrator would.
    pub async fn api_token(&self, agency_name: &str) -> Result<String> {
        issue_token(&self.db, agency_name).await
    }
}

/// Issues an API token to the named agency of a database holding the demo partnership.
pub async fn issue_token(db: &Db, agency_name: &str) -> Result<String> {
    use sqlx::Row;
    let admin = sqlx::query("SELECT id, agency_id FROM users WHERE email = $1")
        .bind(demo_email(Role::Administrator))
        .fetch_one(db.pool())
        .await?;
    let agency = crate::inspect::agency_id(db, agency_name).await?;
    let store = harbour_storage::ScopedStore::new(
        db.clone(),
        harbour_storage::Actor {
            user_id: Some(admin.get("id")),
            agency_id: admin.get("agency_id"),
            roles: vec![Role::Administrator],
            request_id: "test".into(),
            token_id: None,
        },
    );
    Ok(store.create_api_token(&agency, "test integration").await?.1)
}

pub fn demo_email(role: Role) -> String {
    demo_sign_ins()
        .into_iter()
        .find(|s| s.role == role)
        .map(|s| s.email)
        .unwrap_or_default()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
