//! The phone contact bundle for the person on a referral, and the resources issued to them
//! (a phone, a personal safety device, home security). Open to the hub, and to a service that
//! has taken the person on.

use crate::db::{WriteTx, new_id, now};
use crate::error::{Result, StorageError};
use crate::referrals::read_referral;
use crate::scoped::ScopedStore;
use chrono::{NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::bundle::{self, BundleContact, ResourceKind, Section};
use harbour_domain::calendar::uk_date;
use harbour_domain::directory::{GenderEligibility, ReferralRoute};
use harbour_domain::ids::{PersonId, ReferralId};
use harbour_domain::matching::match_services;
use harbour_domain::onward::State;
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;
use sqlx::Row;

/// A resource issued to the person, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    pub kind: ResourceKind,
    pub description: String,
    pub issued_on: String,
    pub agency: String,
    pub recorded_by: String,
}

/// A resource as entered.
#[derive(Debug, Clone, Default)]
pub struct ResourceInput {
    pub kind: String,
    pub description: String,
    /// YYYY-MM-DD; today when empty.
    pub issued_on: String,
}

/// The bundle for one person, with what they were given.
#[derive(Debug, Clone)]
pub struct ContactBundle {
    pub referral_id: ReferralId,
    pub reference: String,
    pub given_name: String,
    pub contacts: Vec<BundleContact>,
    pub resources: Vec<ResourceRecord>,
}

impl ScopedStore {
    /// Refuses anyone but the hub and a service that has taken the person on (not found).
    async fn bundle_access(&self, tx: &mut WriteTx, referral_id: &ReferralId) -> Result<()> {
        if self.may(Action::ReferOnward) {
            return Ok(());
        }
        self.grant(Action::WorkOnwardReferral)?;
        let taken_on: Vec<&str> = State::ALL
            .iter()
            .filter(|s| s.taken_on())
            .map(|s| s.slug())
            .collect();
        let ours = sqlx::query(&format!(
            "SELECT 1 AS x FROM onward_referrals WHERE referral_id = $1 AND recipient_agency_id = $2 \
             AND state IN ('{}') LIMIT 1",
            taken_on.join("', '")
        ))
        .bind(referral_id)
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        ours.map(|_| ()).ok_or(StorageError::NotFound("referral"))
    }

    /// The contacts for the person's phone: the police, the services they are referred to
    /// (those that took them on first, as their caseworker's), and the national helplines
    /// that fit their crime, gender and age.
    pub async fn contact_bundle(&self, referral_id: &ReferralId) -> Result<ContactBundle> {
        let mut tx = self.db().begin_write().await?;
        self.bundle_access(&mut tx, referral_id).await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        let services = sqlx::query(
            "SELECT o.state, s.id AS service_id, s.name AS service_name, s.organization_id, \
             og.name AS organization_name FROM onward_referrals o \
             JOIN dir_services s ON s.id = o.service_id JOIN dir_organizations og ON og.id = s.organization_id \
             WHERE o.referral_id = $1 AND o.state NOT IN ('declined', 'rerouted', 'withdrawn') ORDER BY o.sent_at",
        )
        .bind(referral_id)
        .fetch_all(tx.conn())
        .await?;
        let mut caseworker = Vec::new();
        let mut referred = Vec::new();
        for s in &services {
            let state: String = s.try_get("state")?;
            let service_id: String = s.try_get("service_id")?;
            let org_id: String = s.try_get("organization_id")?;
            // Public lines only: a partner's direct line never goes on a victim's phone.
            let number: Option<String> = sqlx::query(
                "SELECT number FROM dir_phones WHERE (service_id = $1 OR organization_id = $2) \
                 AND NOT confidential ORDER BY CASE WHEN service_id = $1 THEN 0 ELSE 1 END, number LIMIT 1",
            )
            .bind(&service_id)
            .bind(&org_id)
            .fetch_optional(tx.conn())
            .await?
            .map(|r| r.try_get("number"))
            .transpose()?;
            let Some(number) = number else { continue };
            let taken_on = State::from_slug(&state).is_some_and(State::taken_on);
            let contact = BundleContact {
                section: if taken_on {
                    Section::Caseworker
                } else {
                    Section::Service
                },
                name: s.try_get("service_name")?,
                organization: Some(s.try_get("organization_name")?),
                number,
                note: if taken_on {
                    "Your caseworker's service.".into()
                } else {
                    "You have been referred here; they will contact you.".into()
                },
            };
            if taken_on {
                caseworker.push(contact);
            } else {
                referred.push(contact);
            }
        }
        let today = uk_date(Utc::now());
        let age = referral.person.age_on(today);
        let gender = GenderEligibility::of_person(&referral.person.gender);
        let helplines: Vec<BundleContact> = bundle::national_helplines()
            .into_iter()
            .filter(|h| h.fits(referral.crime_category, gender, age))
            .map(|h| BundleContact {
                section: Section::Helpline,
                name: h.name,
                organization: None,
                number: h.number,
                note: h.note,
            })
            .collect();
        let latest = crate::triage::history(&mut tx, referral_id).await?;
        let needs = latest.first().map(|d| d.needs.clone()).unwrap_or_default();
        let local = self.local_support(&mut tx, &referral, age, &needs).await?;
        let contacts = bundle::assemble(
            caseworker,
            referred,
            local.into_iter().chain(helplines).collect(),
        );
        let resources = resources(&mut tx, &referral.person_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral_id.as_str()),
            "view the phone contact bundle",
        )
        .await?;
        tx.commit().await?;
        Ok(ContactBundle {
            referral_id: referral.id,
            reference: referral.reference,
            given_name: referral.person.given_name,
            contacts,
            resources,
        })
    }

    /// Local services in the directory the person can call themself (a self-referral or phone
    /// route, with a public line) that fit where they live, their age, gender, crime and needs;
    /// the five that fit best.
    async fn local_support(
        &self,
        tx: &mut WriteTx,
        referral: &crate::referrals::ReferralView,
        age: Option<u32>,
        needs: &[String],
    ) -> Result<Vec<BundleContact>> {
        let profiles = crate::directory::profiles::cached_service_profiles(self.db()).await?;
        let seeker = crate::seeker::seeker_for(self.db(), referral, age, needs, "").await?;
        let mut found = Vec::new();
        for m in match_services(&seeker, &profiles)
            .into_iter()
            .filter(|m| m.eligible)
        {
            let direct = profiles.iter().any(|p| {
                p.id == m.service_id
                    && matches!(
                        p.referral_route,
                        ReferralRoute::SelfReferral | ReferralRoute::Phone
                    )
            });
            if !direct {
                continue;
            }
            let number: Option<String> = sqlx::query(
                "SELECT number FROM dir_phones WHERE service_id = $1 AND NOT confidential \
                 ORDER BY number LIMIT 1",
            )
            .bind(m.service_id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .map(|r| r.try_get("number"))
            .transpose()?;
            if let Some(number) = number {
                found.push(BundleContact {
                    section: Section::Helpline,
                    name: m.name,
                    organization: Some(m.organization),
                    number,
                    note: "Local support you can contact yourself.".into(),
                });
            }
            if found.len() == 5 {
                break;
            }
        }
        Ok(found)
    }

    /// Records a resource issued to the person on a referral, by the actor's agency.
    pub async fn record_resource(
        &self,
        referral_id: &ReferralId,
        input: &ResourceInput,
    ) -> Result<()> {
        let checked = check_resource(input)?;
        let mut tx = self.db().begin_write().await?;
        self.bundle_access(&mut tx, referral_id).await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        self.insert_resource(&mut tx, referral_id, &referral.person_id, &checked)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a checked resource for the person, audited, in the caller's transaction (whose
    /// access the caller has already checked).
    pub(crate) async fn insert_resource(
        &self,
        tx: &mut WriteTx,
        referral_id: &ReferralId,
        person_id: &PersonId,
        checked: &CheckedResource,
    ) -> Result<()> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO resources_issued (id, person_id, referral_id, kind, description, issued_on, agency_id, \
             recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(person_id)
        .bind(referral_id)
        .bind(checked.kind.slug())
        .bind(&checked.description)
        .bind(checked.issued_on.to_string())
        .bind(&self.actor().agency_id)
        .bind(&self.actor().user_id)
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            tx,
            AuditAction::Create,
            "resource_issued",
            Some(&id),
            &format!("record a resource issued ({})", checked.kind.slug()),
        )
        .await?;
        Ok(())
    }
}

/// A resource as checked, ready to record.
pub(crate) struct CheckedResource {
    pub kind: ResourceKind,
    pub description: String,
    pub issued_on: NaiveDate,
}

/// Checks a resource as entered: what it is, a short description, and a day not in the future.
pub(crate) fn check_resource(input: &ResourceInput) -> Result<CheckedResource> {
    let mut errors = FieldErrors::new();
    let kind = ResourceKind::from_slug(&input.kind);
    if kind.is_none() {
        errors.add("kind", "Choose what was issued");
    }
    let description = input.description.trim();
    if description.chars().count() > 200 {
        errors.add("description", "Describe it in 200 characters or fewer");
    }
    let today = uk_date(Utc::now());
    let issued_on = match input.issued_on.trim() {
        "" => Some(today),
        t => match NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        {
            Ok(d) if d <= today => Some(d),
            Ok(_) => {
                errors.add(
                    "issued_on",
                    "The date it was issued cannot be in the future",
                );
                None
            }
            Err(_) => {
                errors.add("issued_on", "Enter the date it was issued, like 23/11/2026");
                None
            }
        },
    };
    match (kind, issued_on) {
        (Some(kind), Some(issued_on)) if errors.is_empty() => Ok(CheckedResource {
            kind,
            description: description.to_owned(),
            issued_on,
        }),
        _ => Err(StorageError::Invalid(errors)),
    }
}

pub(crate) async fn resources(
    tx: &mut WriteTx,
    person_id: &PersonId,
) -> Result<Vec<ResourceRecord>> {
    sqlx::query(
        "SELECT r.kind, r.description, r.issued_on, a.name AS agency_name, \
         COALESCE(u.display_name, 'Harbour') AS by_name FROM resources_issued r \
         JOIN agencies a ON a.id = r.agency_id LEFT JOIN users u ON u.id = r.recorded_by \
         WHERE r.person_id = $1 ORDER BY r.issued_on DESC, r.recorded_at DESC",
    )
    .bind(person_id)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .map(|r| {
        let kind: String = r.try_get("kind")?;
        Ok(ResourceRecord {
            kind: ResourceKind::from_slug(&kind).unwrap_or(ResourceKind::Other),
            description: r.try_get("description")?,
            issued_on: r.try_get("issued_on")?,
            agency: r.try_get("agency_name")?,
            recorded_by: r.try_get("by_name")?,
        })
    })
    .collect()
}
