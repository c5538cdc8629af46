//! A person's own sign-ins: where they are signed in, ending any of them, and the devices they
//! signed in from for the first time, which their home page shows until they say it was them.

use crate::db::Flag;
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use crate::tokens::digest;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{DeviceId, SessionId, UserId};
use harbour_domain::permission::Action;

/// One of the person's live sign-ins, as their account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OwnSession {
    pub id: SessionId,
    /// The browser and system, in words ("Firefox on Windows").
    pub device: String,
    pub created_at: String,
    pub last_seen_at: String,
    /// Whether this is the sign-in the request came with.
    #[sqlx(try_from = "Flag")]
    pub this_one: bool,
}

/// A device the person signed in from for the first time, not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NewDevice {
    pub id: DeviceId,
    pub label: String,
    pub first_seen: String,
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl ScopedStore {
    fn own_user(&self) -> Result<UserId> {
        self.grant(Action::ViewOwnAccount)?;
        self.actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))
    }

    /// The person's live sign-ins, the newest first; `current` is the secret of the one asking.
    pub async fn own_sessions(&self, current: &str) -> Result<Vec<OwnSession>> {
        let own = self.own_user()?;
        Ok(sqlx::query_as(
            "SELECT id, COALESCE(device, 'A browser') AS device, created_at, last_seen_at, \
             CASE WHEN token_hash = $2 THEN 1 ELSE 0 END AS this_one \
             FROM sessions WHERE user_id = $1 AND id IS NOT NULL \
             ORDER BY created_at DESC, id",
        )
        .bind(&own)
        .bind(digest(current))
        .fetch_all(self.db().pool())
        .await?)
    }

    /// Ends one of the person's sign-ins. Another person's, or one already ended, is not found.
    pub async fn end_own_session(&self, id: &SessionId) -> Result<()> {
        let own = self.own_user()?;
        let mut tx = self.db().begin_write().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(&own)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if ended == 0 {
            return Err(StorageError::NotFound("sign-in"));
        }
        self.audit(
            &mut tx,
            AuditAction::SignOut,
            "session",
            Some(id.as_str()),
            "end one of their own sign-ins",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Devices the person first signed in from after their first, not yet acknowledged.
    pub async fn new_devices(&self) -> Result<Vec<NewDevice>> {
        let own = self.own_user()?;
        Ok(sqlx::query_as(
            "SELECT id, label, first_seen FROM known_devices \
             WHERE user_id = $1 AND acknowledged = $2 ORDER BY first_seen DESC, id",
        )
        .bind(&own)
        .bind(false)
        .fetch_all(self.db().pool())
        .await?)
    }

    /// The person says a new device's sign-in was them: it leaves their home page.
    pub async fn acknowledge_device(&self, id: &DeviceId) -> Result<()> {
        let own = self.own_user()?;
        let mut tx = self.db().begin_write().await?;
        let done = sqlx::query(
            "UPDATE known_devices SET acknowledged = $1 WHERE id = $2 AND user_id = $3",
        )
        .bind(true)
        .bind(id)
        .bind(&own)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StorageError::NotFound("device"));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "device",
            Some(id.as_str()),
            "confirm a sign-in from a new device was theirs",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
