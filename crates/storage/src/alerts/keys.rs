//! Keys Harbour makes for itself: made on first use and kept in the database, so that every
//! process and every restart sign and check with the same one.

use crate::db::{Db, now};
use crate::error::{Result, StorageError};
use sqlx::Row;

const LINK_KEY: &str = "subscriber_links";

/// The key that signs subscribers' links (32 random bytes). Read once per process.
pub async fn link_key(db: &Db) -> Result<std::sync::Arc<Vec<u8>>> {
    #[derive(Default)]
    struct Held(tokio::sync::OnceCell<std::sync::Arc<Vec<u8>>>);
    let held = db.owned::<Held>();
    held.0
        .get_or_try_init(|| async {
            use rand::RngCore;
            let mut fresh = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut fresh);
            let mut tx = db.begin_write().await?;
            sqlx::query(
                "INSERT INTO site_keys (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(LINK_KEY)
            .bind(hex::encode(fresh))
            .bind(now())
            .execute(tx.conn())
            .await?;
            let value: String = sqlx::query("SELECT value FROM site_keys WHERE name = $1")
                .bind(LINK_KEY)
                .fetch_one(tx.conn())
                .await?
                .try_get("value")?;
            tx.commit().await?;
            hex::decode(value)
                .map(std::sync::Arc::new)
                .map_err(|_| StorageError::Corrupt("a site key is not hex".into()))
        })
        .await
        .cloned()
}
