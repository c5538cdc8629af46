//! Agencies and the areas they serve.

use crate::areas::area_codes;
use crate::db::{Db, WriteTx, get_bool, new_id, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use harbour_domain::agency::{Agency, AgencyInput, AgencyKind, NewAgency};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::AgencyId;
use harbour_domain::permission::Action;
use sqlx::Row;
use std::collections::BTreeMap;

const DUPLICATE_NAME: &str = "An agency with this name already exists";

/// Where an agency's webhooks go, read when one is sent: the address (empty: none) and the
/// secret that signs them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookTarget {
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

/// The agency's webhook target; `None` if the agency no longer exists.
pub async fn webhook_target(db: &Db, agency_id: &str) -> Result<Option<WebhookTarget>> {
    let target: Option<WebhookTarget> =
        sqlx::query_as("SELECT webhook_url, webhook_secret FROM agencies WHERE id = $1")
            .bind(agency_id)
            .fetch_optional(db.pool())
            .await?;
    target
        .map(|t| {
            Ok(WebhookTarget {
                webhook_secret: t
                    .webhook_secret
                    .map(crate::sealed::open_owned)
                    .transpose()?,
                ..t
            })
        })
        .transpose()
}

/// All agencies with their areas, by name. Agency details are not personal data.
pub async fn list_all(db: &Db) -> Result<Vec<Agency>> {
    let rows = sqlx::query("SELECT id, name, kind, active FROM agencies ORDER BY name")
        .fetch_all(db.pool())
        .await?;
    let area_rows = sqlx::query("SELECT agency_id, gss_code FROM agency_areas ORDER BY gss_code")
        .fetch_all(db.pool())
        .await?;
    let mut areas: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &area_rows {
        areas
            .entry(r.try_get("agency_id")?)
            .or_default()
            .push(r.try_get("gss_code")?);
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            Ok(Agency {
                areas: areas.remove(&id).unwrap_or_default(),
                id: id.into(),
                name: r.try_get("name")?,
                kind: AgencyKind::from_slug(&kind)
                    .ok_or_else(|| StorageError::Corrupt(format!("agency kind {kind:?}")))?,
                active: get_bool(r, "active")?,
            })
        })
        .collect()
}

pub(crate) async fn insert(tx: &mut WriteTx, agency: &NewAgency) -> Result<String> {
    let id = new_id();
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO agencies (id, name, kind, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(&agency.name)
    .bind(agency.kind.slug())
    .bind(true)
    .bind(&at)
    .execute(tx.conn())
    .await;
    name_clash(inserted)?;
    set_areas(tx, &id, &agency.areas).await?;
    Ok(id)
}

async fn set_areas(tx: &mut WriteTx, id: &str, areas: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM agency_areas WHERE agency_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    for code in areas {
        sqlx::query("INSERT INTO agency_areas (agency_id, gss_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

fn name_clash<T>(result: std::result::Result<T, sqlx::Error>) -> Result<T> {
    result.map_err(|e| {
        let e = StorageError::from(e);
        if e.is_unique_violation() {
            StorageError::invalid("name", DUPLICATE_NAME)
        } else {
            e
        }
    })
}

impl ScopedStore {
    pub async fn list_agencies(&self) -> Result<Vec<Agency>> {
        self.grant(Action::ViewAgencies)?;
        list_all(self.db()).await
    }

    pub async fn get_agency(&self, id: &AgencyId) -> Result<Agency> {
        self.grant(Action::ViewAgencies)?;
        list_all(self.db())
            .await?
            .into_iter()
            .find(|a| a.id == *id)
            .ok_or(StorageError::NotFound("agency"))
    }

    pub async fn create_agency(&self, input: &AgencyInput) -> Result<Agency> {
        self.grant(Action::ManageAgencies)?;
        let agency = input
            .validate(&area_codes(self.db()).await?)
            .map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let id = insert(&mut tx, &agency).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "agency",
            Some(&id),
            "create agency",
        )
        .await?;
        tx.commit().await?;
        self.get_agency(&AgencyId::from(id)).await
    }

    pub async fn update_agency(&self, id: &AgencyId, input: &AgencyInput) -> Result<Agency> {
        self.grant(Action::ManageAgencies)?;
        let agency = input
            .validate(&area_codes(self.db()).await?)
            .map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let updated =
            sqlx::query("UPDATE agencies SET name = $1, kind = $2, updated_at = $3 WHERE id = $4")
                .bind(&agency.name)
                .bind(agency.kind.slug())
                .bind(now())
                .bind(id)
                .execute(tx.conn())
                .await;
        if name_clash(updated)?.rows_affected() == 0 {
            return Err(StorageError::NotFound("agency"));
        }
        set_areas(&mut tx, id.as_str(), &agency.areas).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "agency",
            Some(id.as_str()),
            "change agency",
        )
        .await?;
        tx.commit().await?;
        self.get_agency(id).await
    }
}

impl ScopedStore {
    /// Where the agency's system hears about referrals, if anywhere.
    pub async fn agency_webhook(&self, agency_id: &AgencyId) -> Result<Option<String>> {
        self.grant(Action::ManageAgencies)?;
        let row = sqlx::query("SELECT webhook_url FROM agencies WHERE id = $1")
            .bind(agency_id)
            .fetch_optional(self.db().pool())
            .await?
            .ok_or(StorageError::NotFound("agency"))?;
        Ok(row.try_get("webhook_url")?)
    }

    /// Whether the agency's community alerts wait for a colleague's approval.
    pub async fn agency_alert_approval(&self, agency_id: &AgencyId) -> Result<bool> {
        self.grant(Action::ManageAgencies)?;
        let row: Option<(crate::db::Flag,)> =
            sqlx::query_as("SELECT alerts_need_approval FROM agencies WHERE id = $1")
                .bind(agency_id)
                .fetch_optional(self.db().pool())
                .await?;
        Ok(row.ok_or(StorageError::NotFound("agency"))?.0.0)
    }

    /// Sets whether the agency's community alerts wait for a colleague's approval.
    pub async fn set_agency_alert_approval(
        &self,
        agency_id: &AgencyId,
        needed: bool,
    ) -> Result<()> {
        self.grant(Action::ManageAgencies)?;
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query(
            "UPDATE agencies SET alerts_need_approval = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(needed)
        .bind(now())
        .bind(agency_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StorageError::NotFound("agency"));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "agency",
            Some(agency_id.as_str()),
            if needed {
                "community alerts now wait for a colleague's approval"
            } else {
                "community alerts no longer wait for approval"
            },
        )
        .await?;
        tx.commit().await
    }

    /// Sets (or, with an empty address, removes) the agency's webhook. A new address gets a new
    /// signing secret, returned to be shown once.
    pub async fn set_agency_webhook(
        &self,
        agency_id: &AgencyId,
        url: &str,
        allow_loopback: bool,
    ) -> Result<Option<String>> {
        self.grant(Action::ManageAgencies)?;
        let url = url.trim();
        if let Some(problem) = (!url.is_empty())
            .then(|| harbour_domain::webhook_address::problem(url, allow_loopback))
            .flatten()
        {
            return Err(StorageError::invalid("webhook_url", problem));
        }
        let secret = (!url.is_empty()).then(crate::tokens::random_secret);
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query(
            "UPDATE agencies SET webhook_url = $1, webhook_secret = $2, updated_at = $3 WHERE id = $4",
        )
        .bind((!url.is_empty()).then_some(url))
        .bind(tx.keyring()?.seal_opt(crate::sealed::WEBHOOK_SECRET, secret.as_deref())?)
        .bind(now())
        .bind(agency_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StorageError::NotFound("agency"));
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "agency",
            Some(agency_id.as_str()),
            if secret.is_some() {
                "set the agency's webhook and a new signing secret"
            } else {
                "remove the agency's webhook"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }
}
