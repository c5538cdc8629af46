//! Subject access: the officer records a request found by a referral's reference; Harbour
//! gathers what it holds about the person (`gather`), with their alerts subscriptions and who
//! has read their records; the officer redacts or releases each flagged item with a reason, may
//! extend the deadline once as complex, and makes the export, whose download link expires.

pub mod gather;

use crate::db::{Db, new_id, now};
use crate::error::{Result, StorageError};
use crate::referrals::parse;
use crate::scoped::ScopedStore;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::erasure_request::{Received, respond_by};
use harbour_domain::ids::{PersonId, SubjectAccessId};
use harbour_domain::permission::Action;
use harbour_domain::subject_access::{
    self as rules, Choice, Decision, Flag, Item, SarStatus, Section, undecided,
};
use std::collections::BTreeMap;

/// How long an export's download link works.
pub const LINK_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sar {
    pub id: SubjectAccessId,
    pub person_id: PersonId,
    pub person_name: String,
    pub reference: String,
    pub received: Received,
    pub received_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub asked: String,
    pub extended: Option<String>,
    pub status: SarStatus,
    pub exported_at: Option<String>,
    pub link_expires_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SarRow {
    id: SubjectAccessId,
    person_id: PersonId,
    given_name: String,
    family_name: String,
    reference: String,
    received: String,
    received_on: String,
    respond_by: String,
    asked: String,
    extended_reason: Option<String>,
    status: String,
    exported_at: Option<String>,
    export_expires_at: Option<String>,
}

const COLUMNS: &str = "q.id, q.person_id, p.given_name, p.family_name, r.reference, q.received, q.received_on, \
     q.respond_by, q.asked, q.extended_reason, q.status, q.exported_at, q.export_expires_at \
     FROM subject_access_requests q JOIN persons p ON p.id = q.person_id JOIN referrals r ON r.id = q.referral_id";

impl TryFrom<SarRow> for Sar {
    type Error = StorageError;
    fn try_from(r: SarRow) -> Result<Sar> {
        let day = |s: &str, what| parse(s, what, |d| d.parse().ok());
        Ok(Sar {
            person_name: format!("{} {}", r.given_name, r.family_name)
                .trim()
                .to_owned(),
            received: parse(&r.received, "how received", Received::from_slug)?,
            received_on: day(&r.received_on, "day received")?,
            respond_by: day(&r.respond_by, "day to answer by")?,
            status: parse(&r.status, "request status", SarStatus::from_slug)?,
            id: r.id,
            person_id: r.person_id,
            reference: r.reference,
            asked: r.asked,
            extended: r.extended_reason,
            exported_at: r.exported_at,
            link_expires_at: r.export_expires_at,
        })
    }
}

/// A request with everything gathered and the decisions made so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarView {
    pub sar: Sar,
    pub sections: Vec<Section>,
    pub decisions: BTreeMap<String, Decision>,
}

impl SarView {
    /// The flagged items, each with its decision if made.
    pub fn flagged(&self) -> Vec<(&Item, Option<&Decision>)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter())
            .filter(|i| i.flag.is_some())
            .map(|i| (i, self.decisions.get(&i.key)))
            .collect()
    }

    pub fn undecided(&self) -> usize {
        undecided(&self.sections, &self.decisions).len()
    }
}

async fn load(db: &Db, id: &SubjectAccessId) -> Result<Sar> {
    let row: Option<SarRow> = sqlx::query_as(&format!("SELECT {COLUMNS} WHERE q.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.ok_or(StorageError::NotFound("subject access request"))?
        .try_into()
}

/// Everything about the person, with their subscriptions and who read their records.
async fn everything(db: &Db, person: &PersonId) -> Result<Vec<Section>> {
    let mut emails = Vec::new();
    let (mut sections, ids) = gather::gather(db, person, &mut emails).await?;
    emails.sort();
    emails.dedup();
    let mut items = Vec::new();
    for email in &emails {
        let subs: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, status, created_at FROM alert_subscribers WHERE email_key = $1",
        )
        .bind(email)
        .fetch_all(db.pool())
        .await?;
        for (id, status, at) in subs {
            items.push(Item {
                key: format!("alerts.{id}"),
                label: "Community alerts".into(),
                text: format!(
                    "{email}: subscribed on {}{}",
                    gather::day(&at),
                    if status == "active" {
                        ""
                    } else {
                        ", not yet confirmed"
                    }
                ),
                flag: None,
            });
        }
    }
    if !items.is_empty() {
        sections.push(Section {
            title: "Community alerts subscriptions".into(),
            items,
        });
    }
    // Who read the records: each reading by agency, day and purpose; the staff by name, for
    // the officer to release or withhold.
    let sql = format!(
        "SELECT l.at, a.name AS agency, l.purpose, u.display_name FROM audit_log l \
         LEFT JOIN agencies a ON a.id = l.actor_agency_id LEFT JOIN users u ON u.id = l.actor_user_id \
         WHERE l.action = 'read' AND {} ORDER BY l.seq",
        crate::intake::look_up::in_json_array(db.backend(), "l.entity_id", 1)
    );
    let reads: Vec<(String, Option<String>, String, Option<String>)> = sqlx::query_as(&sql)
        .bind(crate::db::to_json(&ids)?)
        .fetch_all(db.pool())
        .await?;
    let mut items: Vec<Item> = reads
        .iter()
        .enumerate()
        .map(|(i, (at, agency, purpose, _))| Item {
            key: format!("read.{i}"),
            label: gather::day(at),
            text: format!(
                "{}: {purpose}",
                agency.clone().unwrap_or_else(|| "Harbour".into())
            ),
            flag: None,
        })
        .collect();
    let mut names: Vec<&str> = reads.iter().filter_map(|r| r.3.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    if !names.is_empty() {
        items.push(Item {
            key: "read.staff".into(),
            label: "Staff who read them".into(),
            text: names.join(", "),
            flag: Some(Flag::Staff),
        });
    }
    if !items.is_empty() {
        sections.push(Section {
            title: "Who has read your records".into(),
            items,
        });
    }
    Ok(sections)
}

async fn decisions(db: &Db, id: &SubjectAccessId) -> Result<BTreeMap<String, Decision>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT item_key, choice, reason FROM subject_access_redactions WHERE request_id = $1",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, c, reason)| {
            Choice::from_slug(&c).map(|choice| (k, Decision { choice, reason }))
        })
        .collect())
}

impl ScopedStore {
    /// Records a request that arrived, found by a referral's reference about the person.
    pub async fn record_subject_access(
        &self,
        reference: &str,
        received: &str,
        received_on: &str,
        asked: &str,
    ) -> Result<SubjectAccessId> {
        self.grant(Action::AnswerSubjectAccess)?;
        let checked = harbour_domain::erasure_request::check_request(
            received,
            received_on,
            asked,
            uk_date(Utc::now()),
        );
        let target = self
            .find_by_reference(reference, "find a person for a subject access request")
            .await;
        let ((how, on, asked), target) = match (checked, target) {
            (Ok(c), Ok(t)) => (c, t),
            (Err(e), Err(StorageError::Invalid(first))) => {
                let mut all = first;
                for f in e.iter() {
                    all.add(&f.field, f.message.clone());
                }
                return Err(StorageError::Invalid(all));
            }
            (Err(e), _) => return Err(StorageError::Invalid(e)),
            (_, Err(e)) => return Err(e),
        };
        let id = SubjectAccessId::from(new_id());
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO subject_access_requests (id, person_id, referral_id, received, received_on, asked, \
             respond_by, recorded_by, recorded_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&target.person_id)
        .bind(&target.referral_id)
        .bind(how.slug())
        .bind(on.to_string())
        .bind(&asked)
        .bind(respond_by(on, false).to_string())
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .bind(SarStatus::Open.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "subject_access",
            Some(id.as_str()),
            "subject access request recorded",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every request, open ones first by the day they must be answered.
    pub async fn subject_access_requests(&self) -> Result<Vec<Sar>> {
        self.grant(Action::AnswerSubjectAccess)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<SarRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} ORDER BY CASE WHEN q.status = 'open' THEN 0 ELSE 1 END, q.respond_by, q.recorded_at DESC"
        ))
        .fetch_all(tx.conn())
        .await?;
        if !rows.is_empty() {
            self.audit(
                &mut tx,
                AuditAction::Read,
                "subject_access",
                None,
                "list subject access requests, with whom they are about",
            )
            .await?;
        }
        tx.commit().await?;
        rows.into_iter().map(Sar::try_from).collect()
    }

    /// A request with everything Harbour holds about the person, gathered now, and the
    /// decisions on flagged items.
    pub async fn subject_access(&self, id: &SubjectAccessId) -> Result<SarView> {
        self.grant(Action::AnswerSubjectAccess)?;
        let sar = load(self.db(), id).await?;
        let sections = everything(self.db(), &sar.person_id).await?;
        let decisions = decisions(self.db(), id).await?;
        let mut tx = self.db().begin_write().await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person",
            Some(sar.person_id.as_str()),
            "gather everything held for a subject access request",
        )
        .await?;
        tx.commit().await?;
        Ok(SarView {
            sar,
            sections,
            decisions,
        })
    }

    /// Saves the decisions the form gives on flagged items (`choice_{key}`, `reason_{key}`);
    /// items left untouched stay undecided.
    pub async fn decide_redactions(
        &self,
        id: &SubjectAccessId,
        form: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<usize> {
        self.grant(Action::AnswerSubjectAccess)?;
        let view = self.subject_access(id).await?;
        if view.sar.status != SarStatus::Open {
            return Err(StorageError::invalid(
                "choice",
                "This request has been answered",
            ));
        }
        let mut errors = harbour_domain::validation::FieldErrors::new();
        let mut chosen = Vec::new();
        for (item, _) in view.flagged() {
            let field = field_of(&item.key);
            if let Some(d) = rules::check_decision(
                &field,
                &form(&format!("choice_{field}")),
                &form(&format!("reason_{field}")),
                &mut errors,
            ) {
                chosen.push((item.key.clone(), d));
            }
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        for (key, d) in &chosen {
            sqlx::query(
                "DELETE FROM subject_access_redactions WHERE request_id = $1 AND item_key = $2",
            )
            .bind(id)
            .bind(key)
            .execute(tx.conn())
            .await?;
            sqlx::query(
                "INSERT INTO subject_access_redactions (request_id, item_key, choice, reason, decided_by, decided_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(key)
            .bind(d.choice.slug())
            .bind(&d.reason)
            .bind(self.actor().user_id.as_ref())
            .bind(now())
            .execute(tx.conn())
            .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "subject_access",
            Some(id.as_str()),
            "redaction decisions recorded",
        )
        .await?;
        tx.commit().await?;
        Ok(chosen.len())
    }

    /// Extends the deadline by two months as complex, once, with the reason.
    pub async fn extend_subject_access(&self, id: &SubjectAccessId, reason: &str) -> Result<()> {
        self.grant(Action::AnswerSubjectAccess)?;
        let reason = rules::check_extension(reason).map_err(StorageError::Invalid)?;
        let sar = load(self.db(), id).await?;
        if sar.extended.is_some() || sar.status != SarStatus::Open {
            return Err(StorageError::invalid(
                "extend_reason",
                "This request cannot be extended again",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        sqlx::query("UPDATE subject_access_requests SET extended_reason = $1, respond_by = $2 WHERE id = $3")
            .bind(&reason)
            .bind(respond_by(sar.received_on, true).to_string())
            .bind(id)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "subject_access",
            Some(id.as_str()),
            "subject access deadline extended as complex",
        )
        .await?;
        tx.commit().await
    }

    /// Makes the export once every flagged item is decided: returns the download link's secret,
    /// which works for [`LINK_DAYS`] days. Making it again replaces the link.
    pub async fn make_subject_access_export(&self, id: &SubjectAccessId) -> Result<String> {
        self.grant(Action::AnswerSubjectAccess)?;
        let view = self.subject_access(id).await?;
        let left = view.undecided();
        if left > 0 {
            return Err(StorageError::invalid(
                "export",
                &format!(
                    "Decide the {left} flagged {} first: redact or release each",
                    if left == 1 { "item" } else { "items" }
                ),
            ));
        }
        let secret = crate::tokens::random_secret();
        let expires = crate::db::format_time(Utc::now() + Duration::days(LINK_DAYS));
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "UPDATE subject_access_requests SET status = $1, exported_at = COALESCE(exported_at, $2), \
             export_token_hash = $3, export_expires_at = $4 WHERE id = $5",
        )
        .bind(SarStatus::Exported.slug())
        .bind(now())
        .bind(crate::tokens::digest(&secret))
        .bind(&expires)
        .bind(id)
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "subject_access",
            Some(id.as_str()),
            "subject access export made",
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The export's contents, if `secret` is its link's and the link has not expired.
    pub async fn subject_access_export(
        &self,
        id: &SubjectAccessId,
        secret: &str,
        at: DateTime<Utc>,
    ) -> Result<SarView> {
        self.grant(Action::AnswerSubjectAccess)?;
        let stored: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT export_token_hash, export_expires_at FROM subject_access_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db().pool())
        .await?;
        let Some((Some(hash), Some(expires))) = stored else {
            return Err(StorageError::NotFound("subject access export"));
        };
        if hash != crate::tokens::digest(secret) || crate::db::parse_time(&expires)? < at {
            return Err(StorageError::NotFound("subject access export"));
        }
        let view = self.subject_access(id).await?;
        let mut tx = self.db().begin_write().await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "subject_access",
            Some(id.as_str()),
            "subject access export downloaded",
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Requests still open, and how many must be answered within a week: for the home page.
    pub async fn subject_access_open(&self) -> Result<(u64, u64)> {
        self.grant(Action::AnswerSubjectAccess)?;
        let soon = (uk_date(Utc::now()) + chrono::Days::new(7)).to_string();
        let (open, due): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN respond_by <= $1 THEN 1 ELSE 0 END), 0) \
             FROM subject_access_requests WHERE status = 'open'",
        )
        .bind(&soon)
        .fetch_one(self.db().pool())
        .await?;
        Ok((
            u64::try_from(open).unwrap_or(0),
            u64::try_from(due).unwrap_or(0),
        ))
    }
}

/// A form field's name for an item key: letters, digits and underscores only.
pub fn field_of(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
