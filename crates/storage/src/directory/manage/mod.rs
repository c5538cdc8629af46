//! Keeping the directory current, through the scoped store: the list partners work from, one
//! entry with everything (confidential fields too), edits with a change history, capacity, and
//! "last checked". Administrators keep every entry; a service's own agency keeps its own.

mod changes;
mod edit;

use super::import::{Loader, area_uri};
use super::oruk::Service;
use super::read::{self, View};
use super::writer::{Change, clear_harbour_links, note_area_limits, record_change};
use crate::db::{WriteTx, new_id, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::directory::{HarbourTaxonomy, ServiceEntry, ServiceStatus};
use harbour_domain::permission::{Action, Denied, Scope};
use sqlx::{FromRow, Row};

/// A row of the staff directory list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub organization_id: String,
    pub agency_id: Option<String>,
    pub status: String,
    pub last_checked_on: Option<String>,
    pub capacity_unit: Option<String>,
    pub capacity_free: Option<i64>,
    pub capacity_total: Option<i64>,
    pub capacity_updated_at: Option<String>,
    pub referral_route: String,
    pub referral_email: Option<String>,
    pub referral_phone: Option<String>,
    pub gender: String,
}

/// One line of an entry's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeRow {
    #[sqlx(rename = "last_action_date")]
    pub at: String,
    #[sqlx(rename = "last_action_type")]
    pub action: String,
    #[sqlx(rename = "field_name")]
    pub field: String,
    #[sqlx(rename = "previous_value")]
    pub previous: String,
    #[sqlx(rename = "replacement_value")]
    pub replacement: String,
    #[sqlx(rename = "updated_by")]
    pub by: String,
}

const SUMMARY: &str = "SELECT s.id, s.name, o.name AS organization, o.id AS organization_id, o.agency_id, s.status, \
     s.last_checked_on, s.capacity_unit, s.capacity_free, s.capacity_total, s.capacity_updated_at, \
     s.referral_route, s.referral_email, s.referral_phone, s.gender \
     FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id";

/// An organisation a person may add services under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationChoice {
    pub id: String,
    pub name: String,
}

impl ScopedStore {
    fn loader(&self, label: &str) -> Loader {
        Loader {
            user_id: self.actor().user_id.as_ref().map(|u| u.to_string()),
            agency_id: Some(self.actor().agency_id.to_string()),
            label: label.to_owned(),
            request_id: self.actor().request_id.clone(),
        }
    }

    /// Every service, by name, for partners.
    pub async fn list_directory(&self) -> Result<Vec<ServiceSummary>> {
        self.grant(Action::ViewDirectory)?;
        let rows = sqlx::query(&format!("{SUMMARY} ORDER BY s.name, s.id"))
            .fetch_all(self.db().pool())
            .await?;
        Ok(rows
            .iter()
            .map(ServiceSummary::from_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Whether the actor may keep this service's entry.
    pub fn may_manage(&self, s: &ServiceSummary) -> bool {
        match self.grant(Action::ManageDirectory).map(|g| g.scope()) {
            Ok(Scope::Partnership) => true,
            Ok(_) => s.agency_id.as_deref() == Some(self.actor().agency_id.as_str()),
            Err(_) => false,
        }
    }

    /// Organisations the actor may add a service under: all, or their agency's.
    pub async fn organizations_to_manage(&self) -> Result<Vec<OrganizationChoice>> {
        let grant = self.grant(Action::ManageDirectory)?;
        let rows = match grant.scope() {
            Scope::Partnership => {
                sqlx::query("SELECT id, name FROM dir_organizations ORDER BY name")
                    .fetch_all(self.db().pool())
                    .await?
            }
            _ => {
                sqlx::query(
                    "SELECT id, name FROM dir_organizations WHERE agency_id = $1 ORDER BY name",
                )
                .bind(&self.actor().agency_id)
                .fetch_all(self.db().pool())
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(OrganizationChoice {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn summary_of(&self, id: &str) -> Result<ServiceSummary> {
        let row = sqlx::query(&format!("{SUMMARY} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(self.db().pool())
            .await?
            .ok_or(StorageError::NotFound("service"))?;
        Ok(ServiceSummary::from_row(&row)?)
    }

    /// One entry with everything, its history, and its summary. Reading the confidential
    /// fields is audited.
    pub async fn directory_entry(
        &self,
        id: &str,
    ) -> Result<(Service, ServiceSummary, Vec<ChangeRow>)> {
        self.grant(Action::ViewDirectory)?;
        let summary = self.summary_of(id).await?;
        let service = read::services_full(self.db(), &[id.to_owned()], View::Partner)
            .await?
            .pop()
            .ok_or(StorageError::NotFound("service"))?;
        let rows = sqlx::query(
            "SELECT last_action_date, last_action_type, field_name, previous_value, replacement_value, updated_by \
             FROM dir_changes WHERE resource_id = $1 ORDER BY last_action_date DESC, id LIMIT 200",
        )
        .bind(id)
        .fetch_all(self.db().pool())
        .await?;
        let history = rows
            .iter()
            .map(ChangeRow::from_row)
            .collect::<std::result::Result<_, _>>()?;
        let mut tx = self.db().begin_write().await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "directory_service",
            Some(id),
            "directory entry with confidential fields",
        )
        .await?;
        tx.commit().await?;
        Ok((service, summary, history))
    }

    fn check_manage(&self, s: &ServiceSummary) -> Result<()> {
        if self.may_manage(s) {
            Ok(())
        } else {
            Err(StorageError::Denied(Denied {
                action: Action::ManageDirectory,
            }))
        }
    }
}

/// Whether a stored status is one the public search shows.
pub fn is_open_to_the_public(status: &str) -> bool {
    matches!(
        ServiceStatus::from_code(status),
        Some(ServiceStatus::Active | ServiceStatus::TemporarilyClosed)
    )
}
