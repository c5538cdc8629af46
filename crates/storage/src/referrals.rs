//! Referrals: submitting (through the intake writer), the referrer's view of their
//! own, the hub's queue and the full record.

use crate::areas::area_codes;
use crate::db::{Flag, Stamp, WriteTx, format_time, new_id};
pub use crate::drafts::Draft;
use crate::error::{Result, StorageError};
use crate::intake::{Origin, Submission, Submitted};
use crate::person_details::Review;
use crate::scoped::ScopedStore;
use chrono::{DateTime, NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::crime::CrimeCategory;
use harbour_domain::ids::{PersonId, ReferralId};
use harbour_domain::instrument::RiskLevel;
use harbour_domain::permission::{Action, Grant, Scope};
use harbour_domain::person_details::Details;
use harbour_domain::referral::{Child, Perpetrator, Person, ReferralInput, Source, Status, due_by};
use harbour_domain::safe_contact::SafeContact;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

/// What a referrer may see of a referral they made: where it is, not what the hub found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralStatus {
    pub id: ReferralId,
    pub reference: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub crime_category: CrimeCategory,
    /// The name they gave, so they can tell their referrals apart.
    pub person_name: String,
}

/// A line of the hub's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub id: ReferralId,
    pub reference: String,
    pub source: Source,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub crime_category: CrimeCategory,
    pub area: Option<String>,
    pub risk_level: Option<RiskLevel>,
    pub person_name: String,
    /// What it says about the person differs from what is held, and no one has chosen yet.
    pub details_differ: bool,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub area: Option<String>,
    pub source: Option<Source>,
    pub crime_category: Option<CrimeCategory>,
    pub risk_level: Option<RiskLevel>,
    /// Only those due on or before this date (for "overdue").
    pub due_by: Option<NaiveDate>,
    /// Continue after this one (when it was received, and its id).
    pub after: Option<(DateTime<Utc>, ReferralId)>,
    pub limit: i64,
}

/// A referral in full, for the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralView {
    pub id: ReferralId,
    pub reference: String,
    pub status: Status,
    pub source: Source,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub crime_category: CrimeCategory,
    pub reported_to_police: bool,
    pub police_reference: Option<String>,
    pub incident_date: Option<NaiveDate>,
    pub incident_area: Option<String>,
    pub area: Option<String>,
    pub person_id: PersonId,
    /// The person as this referral described them: nothing later alters it.
    pub person: Person,
    /// How it is safe to make contact, as this referral said.
    pub safe_contact: SafeContact,
    /// The details held about the person now, confirmed.
    pub held: Details,
    /// Whether what this referral says differs from what is held, and if so whether someone
    /// has chosen between them.
    pub details_review: Review,
    pub perpetrators: Vec<Perpetrator>,
    pub children: Vec<Child>,
    pub consent_to_referral: String,
    pub consent_basis: String,
    pub consent_to_aggregate: bool,
    pub referrer_risk_level: Option<RiskLevel>,
    pub risk_level: Option<RiskLevel>,
    pub notes: String,
    pub submitted_by_name: Option<String>,
    pub submitting_agency_name: Option<String>,
}

impl ReferralView {
    /// How what this referral says about the person differs from the details held now.
    pub fn details_differences(&self) -> Vec<harbour_domain::person_details::Difference> {
        harbour_domain::person_details::differences(
            &self.held,
            &Details {
                person: self.person.clone(),
                safe_contact: self.safe_contact.clone(),
            },
        )
    }

    /// Whether it differs and no one has yet chosen between them.
    pub fn details_pending(&self) -> bool {
        self.details_review == Review::Pending
    }
}

pub(crate) fn parse<T>(value: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T> {
    f(value).ok_or_else(|| StorageError::Corrupt(format!("{what} {value:?}")))
}

/// A JSON column's value, opened first if it is sealed (see `sealed`).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    let text = crate::sealed::open(text)?;
    serde_json::from_str(&text).map_err(|e| StorageError::Corrupt(e.to_string()))
}

fn risk(s: Option<String>) -> Result<Option<RiskLevel>> {
    s.map(|l| parse(&l, "risk level", RiskLevel::from_slug))
        .transpose()
}

fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}").trim().to_owned()
}

/// A digest of the request, to tell a retry from a different request with the same key.
fn request_digest(input: &ReferralInput) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(input).unwrap_or_default(),
    ))
}

impl ScopedStore {
    fn origin(&self) -> Origin {
        let actor = self.actor();
        Origin {
            submitted_by: actor.user_id.as_ref().map(|u| u.to_string()),
            submitting_agency: Some(actor.agency_id.to_string()),
            api_token_id: actor.token_id.clone(),
        }
    }

    async fn submit(
        &self,
        input: &ReferralInput,
        idempotency_key: Option<&str>,
        import_key: Option<&str>,
        purpose: &str,
    ) -> Result<Submitted> {
        let received_at = Utc::now();
        let referral = input
            .validate(uk_date(received_at), &area_codes(self.db()).await?)
            .map_err(StorageError::Invalid)?;
        let due_on = due_by(
            referral.source,
            received_at,
            &WorkingDays::england_and_wales(),
        );
        let submission = Submission {
            due_on,
            referral,
            origin: self.origin(),
            received_at,
            idempotency: idempotency_key.map(|k| (k.to_owned(), request_digest(input))),
            import_key: import_key.map(str::to_owned),
            event: self.event(AuditAction::Create, "referral", None, purpose),
        };
        self.db().intake().submit(submission).await
    }

    /// Submits a referral from a form or the API. With a key, a retry returns the first result.
    pub async fn submit_referral(
        &self,
        input: &ReferralInput,
        idempotency_key: Option<&str>,
        channel: &str,
    ) -> Result<Submitted> {
        self.grant(Action::SubmitReferral)?;
        self.submit(
            input,
            idempotency_key,
            None,
            &format!("submit referral ({channel})"),
        )
        .await
    }

    /// Imports one row of a bulk file; `import_key` is the file's own id for the row, so a
    /// file loaded twice creates nothing the second time.
    pub async fn import_referral(
        &self,
        input: &ReferralInput,
        import_key: &str,
    ) -> Result<Submitted> {
        self.grant(Action::ImportReferrals)?;
        self.submit(input, None, Some(import_key), "import referral (bulk file)")
            .await
    }

    /// The referrals the actor made (or, for an integration, its agency made), newest first.
    pub async fn own_referrals(&self, limit: i64) -> Result<Vec<ReferralStatus>> {
        let grant = self.grant(Action::ViewOwnReferrals)?;
        let (clause, param) = self.own_clause(&grant)?;
        let mut tx = self.db().begin_write().await?;
        let rows = sqlx::query(&format!(
            "SELECT r.id, r.reference, r.status, r.received_at, r.crime_category, p.given_name, p.family_name \
             FROM referrals r JOIN persons p ON p.id = r.person_id WHERE {clause} \
             ORDER BY r.received_at DESC, r.id DESC LIMIT $2"
        ))
        .bind(&param)
        .bind(limit.clamp(1, 500))
        .fetch_all(tx.conn())
        .await?;
        let list = rows
            .iter()
            .map(|r| StatusRow::from_row(r)?.try_into())
            .collect::<Result<Vec<_>>>()?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            None,
            "list own referrals",
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One of the actor's own referrals; anyone else's reads as not found.
    pub async fn own_referral(&self, id: &ReferralId) -> Result<ReferralStatus> {
        let grant = self.grant(Action::ViewOwnReferrals)?;
        let (clause, param) = self.own_clause(&grant)?;
        let mut tx = self.db().begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT r.id, r.reference, r.status, r.received_at, r.crime_category, p.given_name, p.family_name \
             FROM referrals r JOIN persons p ON p.id = r.person_id WHERE {clause} AND r.id = $2"
        ))
        .bind(&param)
        .bind(id.as_str())
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StorageError::NotFound("referral"))?;
        let status = ReferralStatus::try_from(StatusRow::from_row(&row)?)?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(id.as_str()),
            "view own referral's status",
        )
        .await?;
        tx.commit().await?;
        Ok(status)
    }

    /// The referrals `grant` reaches as SQL: the actor's own, or their agency's.
    fn own_clause(&self, grant: &Grant) -> Result<(&'static str, String)> {
        let actor = self.actor();
        match (grant.scope(), &actor.user_id) {
            (Scope::Own, Some(user)) => Ok(("r.submitted_by = $1", user.to_string())),
            (Scope::Agency | Scope::SharedWithAgency | Scope::Partnership, _) => {
                Ok(("r.submitting_agency = $1", actor.agency_id.to_string()))
            }
            (Scope::Own, None) => Err(StorageError::NotFound("referral")),
        }
    }

    /// The hub's queue: referrals received and not yet triaged, oldest first.
    pub async fn queue(&self, filter: &QueueFilter) -> Result<Vec<QueueItem>> {
        self.grant(Action::ViewReferrals)?;
        let mut sql = String::from(
            "SELECT r.id, r.reference, r.source, r.received_at, r.due_on, r.crime_category, r.area, \
             r.risk_level, r.details_review, p.given_name, p.family_name \
             FROM referrals r JOIN persons p ON p.id = r.person_id WHERE r.status = $1",
        );
        let mut binds: Vec<String> = vec![Status::Received.slug().to_owned()];
        fn add(sql: &mut String, binds: &mut Vec<String>, clause: &str, value: String) {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        }
        if let Some(a) = &filter.area {
            add(&mut sql, &mut binds, " AND r.area = ?", a.clone());
        }
        if let Some(s) = filter.source {
            add(
                &mut sql,
                &mut binds,
                " AND r.source = ?",
                s.slug().to_owned(),
            );
        }
        if let Some(c) = filter.crime_category {
            add(
                &mut sql,
                &mut binds,
                " AND r.crime_category = ?",
                c.slug().to_owned(),
            );
        }
        if let Some(l) = filter.risk_level {
            add(
                &mut sql,
                &mut binds,
                " AND r.risk_level = ?",
                l.slug().to_owned(),
            );
        }
        if let Some(d) = filter.due_by {
            add(&mut sql, &mut binds, " AND r.due_on <= ?", d.to_string());
        }
        if let Some((at, id)) = &filter.after {
            // Keyset paging: row values compare in order on both databases.
            binds.push(format_time(*at));
            binds.push(id.to_string());
            let n = binds.len();
            sql.push_str(&format!(" AND (r.received_at, r.id) > (${}, ${n})", n - 1));
        }
        sql.push_str(&format!(
            " ORDER BY r.received_at, r.id LIMIT ${}",
            binds.len() + 1
        ));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let mut tx = self.db().begin_write().await?;
        let rows = query
            .bind(filter.limit.clamp(1, 200))
            .fetch_all(tx.conn())
            .await?;
        let items = rows
            .iter()
            .map(|r| QueueRow::from_row(r)?.try_into())
            .collect::<Result<Vec<_>>>()?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            None,
            "view hub queue",
        )
        .await?;
        tx.commit().await?;
        Ok(items)
    }

    /// A referral in full, for the hub.
    pub async fn get_referral(&self, id: &ReferralId) -> Result<ReferralView> {
        self.grant(Action::ViewReferrals)?;
        let mut tx = self.db().begin_write().await?;
        let view = read_referral(&mut tx, id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(id.as_str()),
            "view referral",
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// A referral someone makes for themself on the public page: no account, so no actor. The
/// audit entry names no one; `form_key` (unique per form shown) makes a double submit harmless.
pub async fn submit_self_referral(
    db: &crate::db::Db,
    input: &ReferralInput,
    form_key: &str,
) -> Result<Submitted> {
    let received_at = Utc::now();
    let referral = input
        .validate(uk_date(received_at), &area_codes(db).await?)
        .map_err(StorageError::Invalid)?;
    let submission = Submission {
        due_on: due_by(
            referral.source,
            received_at,
            &WorkingDays::england_and_wales(),
        ),
        referral,
        origin: Origin::default(),
        received_at,
        idempotency: Some((format!("self:{form_key}"), request_digest(input))),
        import_key: None,
        event: harbour_domain::audit::AuditEvent {
            actor_user_id: None,
            actor_agency_id: None,
            action: AuditAction::Create,
            entity_kind: "referral".into(),
            entity_id: None,
            purpose: "self-referral (public page)".into(),
            request_id: new_id(),
        },
    };
    db.intake().submit(submission).await
}

/// A referral as a referrer may see it, as stored.
#[derive(FromRow)]
struct StatusRow {
    id: ReferralId,
    reference: String,
    status: String,
    received_at: Stamp,
    crime_category: String,
    given_name: String,
    family_name: String,
}

impl TryFrom<StatusRow> for ReferralStatus {
    type Error = StorageError;

    fn try_from(r: StatusRow) -> Result<ReferralStatus> {
        Ok(ReferralStatus {
            person_name: full_name(&r.given_name, &r.family_name),
            id: r.id,
            reference: r.reference,
            status: parse(&r.status, "status", Status::from_slug)?,
            received_at: r.received_at.0,
            crime_category: parse(
                &r.crime_category,
                "crime category",
                CrimeCategory::from_slug,
            )?,
        })
    }
}

/// A line of the hub's queue as stored.
#[derive(FromRow)]
struct QueueRow {
    id: ReferralId,
    reference: String,
    source: String,
    received_at: Stamp,
    due_on: String,
    crime_category: String,
    area: Option<String>,
    risk_level: Option<String>,
    details_review: Option<String>,
    given_name: String,
    family_name: String,
}

impl TryFrom<QueueRow> for QueueItem {
    type Error = StorageError;

    fn try_from(r: QueueRow) -> Result<QueueItem> {
        Ok(QueueItem {
            person_name: full_name(&r.given_name, &r.family_name),
            id: r.id,
            reference: r.reference,
            source: parse(&r.source, "source", Source::from_slug)?,
            received_at: r.received_at.0,
            due_on: parse(&r.due_on, "due date", |d| d.parse().ok())?,
            crime_category: parse(
                &r.crime_category,
                "crime category",
                CrimeCategory::from_slug,
            )?,
            area: r.area,
            risk_level: risk(r.risk_level)?,
            details_differ: Review::from_column(r.details_review.as_deref())? == Review::Pending,
        })
    }
}

/// A referral in full as stored, with the person's details held now and who sent it.
#[derive(FromRow)]
struct ReferralRow {
    id: ReferralId,
    reference: String,
    status: String,
    source: String,
    received_at: Stamp,
    due_on: String,
    crime_category: String,
    reported_to_police: Flag,
    police_reference: Option<String>,
    incident_date: Option<String>,
    incident_area: Option<String>,
    area: Option<String>,
    person_id: PersonId,
    person_details: String,
    person_safe_contact: String,
    held_details: String,
    held_safe_contact: String,
    details_review: Option<String>,
    perpetrators: String,
    children: String,
    consent_to_referral: String,
    consent_basis: String,
    consent_to_aggregate: Flag,
    referrer_risk_level: Option<String>,
    risk_level: Option<String>,
    notes: crate::sealed::Opened,
    submitted_by_name: Option<String>,
    submitting_agency_name: Option<String>,
}

impl TryFrom<ReferralRow> for ReferralView {
    type Error = StorageError;

    fn try_from(r: ReferralRow) -> Result<ReferralView> {
        Ok(ReferralView {
            id: r.id,
            reference: r.reference,
            status: parse(&r.status, "status", Status::from_slug)?,
            source: parse(&r.source, "source", Source::from_slug)?,
            received_at: r.received_at.0,
            due_on: parse(&r.due_on, "due date", |d| d.parse().ok())?,
            crime_category: parse(
                &r.crime_category,
                "crime category",
                CrimeCategory::from_slug,
            )?,
            reported_to_police: r.reported_to_police.0,
            police_reference: r.police_reference,
            incident_date: r
                .incident_date
                .map(|d| parse(&d, "incident date", |d| d.parse().ok()))
                .transpose()?,
            incident_area: r.incident_area,
            area: r.area,
            person_id: r.person_id,
            person: from_json(&r.person_details)?,
            safe_contact: from_json(&r.person_safe_contact)?,
            held: Details {
                person: from_json(&r.held_details)?,
                safe_contact: from_json(&r.held_safe_contact)?,
            },
            details_review: Review::from_column(r.details_review.as_deref())?,
            perpetrators: from_json(&r.perpetrators)?,
            children: from_json(&r.children)?,
            consent_to_referral: r.consent_to_referral,
            consent_basis: r.consent_basis,
            consent_to_aggregate: r.consent_to_aggregate.0,
            referrer_risk_level: risk(r.referrer_risk_level)?,
            risk_level: risk(r.risk_level)?,
            notes: r.notes.0,
            submitted_by_name: r.submitted_by_name,
            submitting_agency_name: r.submitting_agency_name,
        })
    }
}

pub(crate) async fn read_referral(tx: &mut WriteTx, id: &ReferralId) -> Result<ReferralView> {
    let row = sqlx::query(
        "SELECT r.*, p.details AS held_details, p.safe_contact AS held_safe_contact, \
         u.display_name AS submitted_by_name, a.name AS submitting_agency_name \
         FROM referrals r JOIN persons p ON p.id = r.person_id \
         LEFT JOIN users u ON u.id = r.submitted_by LEFT JOIN agencies a ON a.id = r.submitting_agency \
         WHERE r.id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(tx.conn())
    .await?
    .ok_or(StorageError::NotFound("referral"))?;
    ReferralRow::from_row(&row)?.try_into()
}
