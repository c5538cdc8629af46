//! Keeping the directory current, through the scoped store: the list partners work from, one
//! entry with everything (confidential fields too), edits with a change history, capacity, and
//! "last checked". Administrators keep every entry; a service's own agency keeps its own.

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
use sqlx::Row;

/// A row of the staff directory list.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub at: String,
    pub action: String,
    pub field: String,
    pub previous: String,
    pub replacement: String,
    pub by: String,
}

const SUMMARY: &str = "SELECT s.id, s.name, o.name AS organization, o.id AS organization_id, o.agency_id, s.status, \
     s.last_checked_on, s.capacity_unit, s.capacity_free, s.capacity_total, s.capacity_updated_at, \
     s.referral_route, s.referral_email, s.referral_phone, s.gender \
     FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id";

fn summary(r: &sqlx::any::AnyRow) -> Result<ServiceSummary> {
    Ok(ServiceSummary {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        organization: r.try_get("organization")?,
        organization_id: r.try_get("organization_id")?,
        agency_id: r.try_get("agency_id")?,
        status: r.try_get("status")?,
        last_checked_on: r.try_get("last_checked_on")?,
        capacity_unit: r.try_get("capacity_unit")?,
        capacity_free: r.try_get("capacity_free")?,
        capacity_total: r.try_get("capacity_total")?,
        capacity_updated_at: r.try_get("capacity_updated_at")?,
        referral_route: r.try_get("referral_route")?,
        referral_email: r.try_get("referral_email")?,
        referral_phone: r.try_get("referral_phone")?,
        gender: r.try_get("gender")?,
    })
}

/// An organisation a person may add services under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationChoice {
    pub id: String,
    pub name: String,
}

impl ScopedStore {
    fn loader(&self, label: &str) -> Loader {
        Loader {
            user_id: self.actor().user_id.clone(),
            agency_id: Some(self.actor().agency_id.clone()),
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
        rows.iter().map(summary).collect()
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
        summary(&row)
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
            .map(|r| {
                Ok(ChangeRow {
                    at: r.try_get("last_action_date")?,
                    action: r.try_get("last_action_type")?,
                    field: r.try_get("field_name")?,
                    previous: r.try_get("previous_value")?,
                    replacement: r.try_get("replacement_value")?,
                    by: r.try_get("updated_by")?,
                })
            })
            .collect::<Result<_>>()?;
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

    /// Adds a service under an organisation the actor may keep.
    pub async fn create_service(
        &self,
        organization_id: &str,
        entry: &ServiceEntry,
    ) -> Result<String> {
        self.grant(Action::ManageDirectory)?;
        let orgs = self.organizations_to_manage().await?;
        if !orgs.iter().any(|o| o.id == organization_id) {
            return Err(StorageError::invalid(
                "organization_id",
                "Choose an organisation from the list",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let stamp = now();
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO dir_services (id, organization_id, name, status, last_modified, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(&entry.name)
        .bind(entry.status.code())
        .bind(&stamp)
        .execute(tx.conn())
        .await?;
        self.write_entry(&mut tx, &id, entry, None).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "directory_service",
            Some(&id),
            "add a directory entry",
        )
        .await?;
        tx.commit().await?;
        super::profiles::forget(self.db());
        Ok(id)
    }

    /// Saves an edited entry; each field that changed goes in its history.
    pub async fn update_service(&self, id: &str, entry: &ServiceEntry) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let before = read::services_full(self.db(), &[id.to_owned()], View::Partner)
            .await?
            .pop()
            .ok_or(StorageError::NotFound("service"))?;
        let mut tx = self.db().begin_write().await?;
        self.write_entry(&mut tx, id, entry, Some((&before, &summary)))
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "edit a directory entry",
        )
        .await?;
        tx.commit().await?;
        super::profiles::forget(self.db());
        Ok(())
    }

    async fn write_entry(
        &self,
        tx: &mut WriteTx,
        id: &str,
        e: &ServiceEntry,
        before: Option<(&Service, &ServiceSummary)>,
    ) -> Result<()> {
        let el = &e.eligibility;
        sqlx::query(
            "UPDATE dir_services SET name = $2, description = $3, status = $4, url = $5, email = $6, alert = $7, \
             minimum_age = $8, maximum_age = $9, gender = $10, referral_route = $11, referral_email = $12, \
             referral_phone = $13, capacity_unit = $14, last_modified = $15 WHERE id = $1",
        )
        .bind(id)
        .bind(&e.name)
        .bind(&e.description)
        .bind(e.status.code())
        .bind(&e.url)
        .bind(&e.email)
        .bind(&e.alert)
        .bind(el.minimum_age.map(i64::from))
        .bind(el.maximum_age.map(i64::from))
        .bind(el.gender.unwrap_or(harbour_domain::directory::GenderEligibility::Any).slug())
        .bind(e.referral_route.slug())
        .bind(&e.referral_email)
        .bind(&e.referral_phone)
        .bind(&e.capacity_unit)
        .bind(now())
        .execute(tx.conn())
        .await?;

        // Needs, tiers and crimes: Harbour's attributes, replaced; other vocabularies' kept.
        clear_harbour_links(tx, id).await?;
        let links = el
            .needs
            .iter()
            .map(|n| (HarbourTaxonomy::Needs, n.slug()))
            .chain(el.tiers.iter().map(|t| (HarbourTaxonomy::Tiers, t.slug())))
            .chain(
                el.crime_categories
                    .iter()
                    .map(|c| (HarbourTaxonomy::Crimes, c.slug())),
            );
        for (taxonomy, code) in links {
            sqlx::query(
                "INSERT INTO dir_attributes (id, link_id, link_type, link_entity, taxonomy_term_id) VALUES ($1, $2, $3, 'service', $4)",
            )
            .bind(new_id())
            .bind(id)
            .bind(taxonomy.link_type())
            .bind(taxonomy.term_id(code).to_string())
            .execute(tx.conn())
            .await?;
        }

        // Named areas, replaced; drawn ones kept.
        sqlx::query(
            "DELETE FROM dir_service_areas WHERE service_id = $1 AND area_code IS NOT NULL",
        )
        .bind(id)
        .execute(tx.conn())
        .await?;
        for code in &e.areas {
            let name: Option<String> = sqlx::query("SELECT name FROM areas WHERE gss_code = $1")
                .bind(code)
                .fetch_optional(tx.conn())
                .await?
                .map(|r| r.try_get("name"))
                .transpose()?;
            let name = name.unwrap_or_else(|| match code.as_str() {
                "W92000004" => "Wales".into(),
                _ => "England".into(),
            });
            sqlx::query(
                "INSERT INTO dir_service_areas (id, service_id, name, extent_type, uri, area_code) VALUES ($1, $2, $3, 'text', $4, $5)",
            )
            .bind(new_id())
            .bind(id)
            .bind(name)
            .bind(area_uri(code))
            .bind(code)
            .execute(tx.conn())
            .await?;
        }

        note_area_limits(tx, id).await?;

        // The published line: one public phone, replaced.
        sqlx::query("DELETE FROM dir_phones WHERE service_id = $1 AND confidential = $2")
            .bind(id)
            .bind(false)
            .execute(tx.conn())
            .await?;
        if let Some(p) = &e.public_phone {
            sqlx::query(
                "INSERT INTO dir_phones (id, service_id, number, type, description, confidential) VALUES ($1, $2, $3, 'voice', 'Public line', $4)",
            )
            .bind(new_id())
            .bind(id)
            .bind(p)
            .bind(false)
            .execute(tx.conn())
            .await?;
        }

        let who = self.loader(&self.actor_label().await?);
        match before {
            None => {
                let c = Change {
                    resource_id: id,
                    resource_type: "service",
                    action: "create",
                    field: "*",
                    previous: "",
                    replacement: &e.name,
                };
                record_change(tx, &c, &who).await?;
            }
            Some((old, summary)) => {
                for (field, previous, replacement) in differences(old, summary, e) {
                    let c = Change {
                        resource_id: id,
                        resource_type: "service",
                        action: "update",
                        field,
                        previous: &previous,
                        replacement: &replacement,
                    };
                    record_change(tx, &c, &who).await?;
                }
            }
        }
        Ok(())
    }

    /// The name the change history shows for the actor.
    async fn actor_label(&self) -> Result<String> {
        match &self.actor().user_id {
            Some(uid) => Ok(sqlx::query("SELECT display_name FROM users WHERE id = $1")
                .bind(uid)
                .fetch_optional(self.db().pool())
                .await?
                .map(|r| r.try_get::<String, _>("display_name"))
                .transpose()?
                .unwrap_or_else(|| "a member of staff".into())),
            None => Ok("an integration".into()),
        }
    }

    /// Records how much room a service has now.
    pub async fn update_capacity(&self, id: &str, free: u32, total: Option<u32>) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "UPDATE dir_services SET capacity_free = $2, capacity_total = $3, capacity_updated_at = $4, capacity_updated_by = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(free))
        .bind(total.map(i64::from))
        .bind(now())
        .bind(&self.actor().user_id)
        .execute(tx.conn())
        .await?;
        let show = |f: Option<i64>, t: Option<i64>| match (f, t) {
            (Some(f), Some(t)) => format!("{f} of {t}"),
            (Some(f), None) => f.to_string(),
            _ => String::new(),
        };
        let who = self.loader(&self.actor_label().await?);
        let c = Change {
            resource_id: id,
            resource_type: "service",
            action: "capacity",
            field: "capacity",
            previous: &show(summary.capacity_free, summary.capacity_total),
            replacement: &show(Some(i64::from(free)), total.map(i64::from)),
        };
        record_change(&mut tx, &c, &who).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "update capacity",
        )
        .await?;
        tx.commit().await?;
        super::profiles::forget(self.db());
        Ok(())
    }

    /// Confirms the entry is right as it stands, today.
    pub async fn mark_checked(&self, id: &str, today: chrono::NaiveDate) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let mut tx = self.db().begin_write().await?;
        let day = today.format("%Y-%m-%d").to_string();
        sqlx::query(
            "UPDATE dir_services SET last_checked_on = $2, last_checked_by = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(&day)
        .bind(&self.actor().user_id)
        .execute(tx.conn())
        .await?;
        let who = self.loader(&self.actor_label().await?);
        let c = Change {
            resource_id: id,
            resource_type: "service",
            action: "checked",
            field: "last_checked_on",
            previous: summary.last_checked_on.as_deref().unwrap_or(""),
            replacement: &day,
        };
        record_change(&mut tx, &c, &who).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "confirm a directory entry is current",
        )
        .await?;
        tx.commit().await
    }
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn age(v: Option<f64>) -> String {
    v.map(|a| (a as i64).to_string()).unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> String {
    v.sort();
    v.join(", ")
}

/// (field, before, after) for every field an edit changes.
fn differences(
    old: &Service,
    summary: &ServiceSummary,
    e: &ServiceEntry,
) -> Vec<(&'static str, String, String)> {
    let el = &e.eligibility;
    let old_areas: Vec<String> = old
        .service_areas
        .iter()
        .filter_map(|a| {
            a.uri
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .map(str::to_owned)
        })
        .collect();
    let public_phone = old
        .phones
        .iter()
        .find(|p| !p.confidential)
        .map(|p| p.number.clone());
    let pairs: Vec<(&'static str, String, String)> = vec![
        ("name", old.name.clone(), e.name.clone()),
        ("description", opt(&old.description), e.description.clone()),
        ("status", old.status.clone(), e.status.code().to_owned()),
        ("url", opt(&old.url), opt(&e.url)),
        ("email", opt(&old.email), opt(&e.email)),
        ("alert", opt(&old.alert), opt(&e.alert)),
        (
            "minimum_age",
            age(old.minimum_age),
            el.minimum_age.map(|a| a.to_string()).unwrap_or_default(),
        ),
        (
            "maximum_age",
            age(old.maximum_age),
            el.maximum_age.map(|a| a.to_string()).unwrap_or_default(),
        ),
        (
            "gender",
            summary.gender.clone(),
            el.gender.map(|g| g.slug()).unwrap_or("any").to_owned(),
        ),
        (
            "needs",
            sorted(old.harbour_codes(HarbourTaxonomy::Needs)),
            sorted(el.needs.iter().map(|n| n.slug().to_owned()).collect()),
        ),
        (
            "tiers",
            sorted(old.harbour_codes(HarbourTaxonomy::Tiers)),
            sorted(el.tiers.iter().map(|n| n.slug().to_owned()).collect()),
        ),
        (
            "crime_categories",
            sorted(old.harbour_codes(HarbourTaxonomy::Crimes)),
            sorted(
                el.crime_categories
                    .iter()
                    .map(|n| n.slug().to_owned())
                    .collect(),
            ),
        ),
        ("areas", sorted(old_areas), sorted(e.areas.clone())),
        (
            "referral_route",
            summary.referral_route.clone(),
            e.referral_route.slug().to_owned(),
        ),
        (
            "referral_email",
            opt(&summary.referral_email),
            opt(&e.referral_email),
        ),
        (
            "referral_phone",
            opt(&summary.referral_phone),
            opt(&e.referral_phone),
        ),
        ("public_phone", opt(&public_phone), opt(&e.public_phone)),
        (
            "capacity_unit",
            opt(&summary.capacity_unit),
            opt(&e.capacity_unit),
        ),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).collect()
}

/// Whether a stored status is one the public search shows.
pub fn is_open_to_the_public(status: &str) -> bool {
    matches!(
        ServiceStatus::from_code(status),
        Some(ServiceStatus::Active | ServiceStatus::TemporarilyClosed)
    )
}
