//! API tokens issued to an agency's integration. Only a SHA-256 of each token is stored:
//! tokens are 256 random bits, so a slow hash adds nothing, and a leaked table reveals none.

use crate::db::{Stamp, new_id, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::AgencyId;
use harbour_domain::permission::Action;
use harbour_domain::validation::{FieldErrors, required_text};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, Row};

/// Every token starts with this, so a leaked one is easy to recognise in a scan.
pub const TOKEN_PREFIX: &str = "hbr_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub agency_id: AgencyId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An API token as stored (its digest stays behind).
#[derive(FromRow)]
struct TokenRow {
    id: String,
    agency_id: AgencyId,
    name: String,
    created_at: Stamp,
    revoked_at: Option<Stamp>,
    last_used_at: Option<Stamp>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> ApiToken {
        ApiToken {
            id: r.id,
            agency_id: r.agency_id,
            name: r.name,
            created_at: r.created_at.0,
            revoked_at: r.revoked_at.map(|s| s.0),
            last_used_at: r.last_used_at.map(|s| s.0),
        }
    }
}

/// A new random secret: 32 bytes from the operating system, as hex.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl ScopedStore {
    pub async fn list_api_tokens(&self, agency_id: &AgencyId) -> Result<Vec<ApiToken>> {
        self.grant(Action::ManageApiTokens)?;
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, agency_id, name, created_at, revoked_at, last_used_at FROM api_tokens \
             WHERE agency_id = $1 ORDER BY created_at DESC",
        )
        .bind(agency_id)
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    /// Issues a token and returns it with its secret, which is shown once and never stored.
    pub async fn create_api_token(
        &self,
        agency_id: &AgencyId,
        name: &str,
    ) -> Result<(String, String)> {
        self.grant(Action::ManageApiTokens)?;
        let mut errors = FieldErrors::new();
        let name = required_text(
            &mut errors,
            "name",
            name,
            "Enter a name for the token, such as the system that will use it",
            100,
        );
        let name = errors.into_result(name).map_err(StorageError::Invalid)?;
        self.get_agency(agency_id).await?;
        let id = new_id();
        let secret = format!("{TOKEN_PREFIX}{}", random_secret());
        let created_by = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, agency_id, name, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(agency_id)
        .bind(&name)
        .bind(digest(&secret))
        .bind(&created_by)
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "api_token",
            Some(&id),
            "issue API token",
        )
        .await?;
        tx.commit().await?;
        Ok((id, secret))
    }

    /// Revokes a token at once; returns the agency it belonged to.
    pub async fn revoke_api_token(&self, id: &str) -> Result<String> {
        self.grant(Action::ManageApiTokens)?;
        let mut tx = self.db().begin_write().await?;
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             RETURNING agency_id",
        )
        .bind(now())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("API token"))?;
        let agency_id: String = row.try_get("agency_id")?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "api_token",
            Some(id),
            "revoke API token",
        )
        .await?;
        tx.commit().await?;
        // Forget every token checked recently, so the revoked one is refused at its next use.
        if let Ok(mut cache) = self.db().owned::<crate::auth::LiveTokens>().0.lock() {
            cache.clear();
        }
        Ok(agency_id)
    }
}
