//! Erasure on request: the data protection officer records a person's request (found by a
//! referral's reference), sees what Harbour holds about them and what stands in the way, and
//! decides: erase, which a job does through the same machinery as the retention runs, or refuse
//! on a ground, with the reason. Every step is audited; the request stays as the record that it
//! was answered, without the person's words once they are erased.

use super::erase::{self, erase_kind};
use crate::audit;
use crate::db::{Db, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::jobs::{self, Work};
use crate::referrals::{from_json, parse};
use crate::scoped::ScopedStore;
use chrono::{NaiveDate, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::erasure_request::{
    self as rules, Decision, Ground, Received, RequestStatus, respond_by,
};
use harbour_domain::ids::{ErasureRequestId, PersonId};
use harbour_domain::permission::Action;
use harbour_domain::retention::RecordKind;
use serde::{Deserialize, Serialize};

/// How many of each kind a request erased (or would).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTotal {
    pub kind: String,
    pub count: u64,
}

impl KindTotal {
    pub fn label(&self) -> &'static str {
        match self.kind.as_str() {
            "referral" => "Referral",
            "person" => "The person's details",
            k => RecordKind::from_slug(k).map_or("Other records", RecordKind::label),
        }
    }
}

/// A request as the officer's pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: ErasureRequestId,
    pub person_id: PersonId,
    /// The person's name, while they have one.
    pub person_name: String,
    pub reference: String,
    pub received: Received,
    pub received_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub asked: String,
    pub recorded_by: String,
    pub status: RequestStatus,
    pub ground: Option<Ground>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub erased: Vec<KindTotal>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: ErasureRequestId,
    person_id: PersonId,
    given_name: String,
    family_name: String,
    reference: String,
    received: String,
    received_on: String,
    respond_by: String,
    asked: String,
    recorded_by: Option<String>,
    status: String,
    decision_ground: Option<String>,
    decision_reason: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    erased: Option<String>,
}

const COLUMNS: &str = "q.id, q.person_id, p.given_name, p.family_name, r.reference, q.received, q.received_on, \
     q.respond_by, q.asked, u.display_name AS recorded_by, q.status, q.decision_ground, q.decision_reason, \
     d.display_name AS decided_by, q.decided_at, q.erased \
     FROM erasure_requests q JOIN persons p ON p.id = q.person_id JOIN referrals r ON r.id = q.referral_id \
     LEFT JOIN users u ON u.id = q.recorded_by LEFT JOIN users d ON d.id = q.decided_by";

impl TryFrom<RequestRow> for Request {
    type Error = StorageError;
    fn try_from(r: RequestRow) -> Result<Request> {
        let day = |s: &str, what| parse(s, what, |d| d.parse().ok());
        Ok(Request {
            person_name: format!("{} {}", r.given_name, r.family_name)
                .trim()
                .to_owned(),
            received: parse(&r.received, "how received", Received::from_slug)?,
            received_on: day(&r.received_on, "day received")?,
            respond_by: day(&r.respond_by, "day to answer by")?,
            status: parse(&r.status, "request status", RequestStatus::from_slug)?,
            ground: r.decision_ground.as_deref().and_then(Ground::from_slug),
            erased: r
                .erased
                .as_deref()
                .map(from_json)
                .transpose()?
                .unwrap_or_default(),
            id: r.id,
            person_id: r.person_id,
            reference: r.reference,
            asked: r.asked,
            recorded_by: r.recorded_by.unwrap_or_default(),
            reason: r.decision_reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        })
    }
}

/// What stands in the way of erasing everything about a person now: live legal holds, and work
/// still going on (a referral with the hub, a referral on not finished, an open case or MARAC
/// case). In words, for the officer.
async fn obstacles(db: &Db, person: &PersonId) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let count = |sql: &'static str| {
        let db = db.clone();
        let person = person.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(&person)
                .fetch_one(db.pool())
                .await
        }
    };
    let holds =
        count("SELECT COUNT(*) FROM legal_holds WHERE person_id = $1 AND lifted_at IS NULL")
            .await?;
    if holds > 0 {
        out.push(format!(
            "{holds} legal {} in force: lift {} first, or refuse the request",
            if holds == 1 { "hold is" } else { "holds are" },
            if holds == 1 { "it" } else { "them" }
        ));
    }
    let hub = count(
        "SELECT COUNT(*) FROM referrals WHERE person_id = $1 AND erased_at IS NULL AND status IN ('received', 'triaged')",
    )
    .await?;
    if hub > 0 {
        out.push(format!(
            "{hub} of their referrals {} still with the hub",
            if hub == 1 { "is" } else { "are" }
        ));
    }
    let onward = count(
        "SELECT COUNT(*) FROM onward_referrals WHERE person_id = $1 AND erased_at IS NULL \
         AND state NOT IN ('closed', 'withdrawn', 'rerouted')",
    )
    .await?;
    if onward > 0 {
        out.push(format!(
            "{onward} referral{} on to a service {} not finished",
            if onward == 1 { "" } else { "s" },
            if onward == 1 { "is" } else { "are" }
        ));
    }
    let cases = count("SELECT COUNT(*) FROM cases WHERE person_id = $1 AND erased_at IS NULL AND status <> 'closed'").await?;
    if cases > 0 {
        out.push(format!(
            "{cases} case{} still open",
            if cases == 1 { " is" } else { "s are" }
        ));
    }
    let marac = count(
        "SELECT COUNT(*) FROM marac_cases WHERE person_id = $1 AND erased_at IS NULL AND status <> 'closed'",
    )
    .await?;
    if marac > 0 {
        out.push(format!(
            "{marac} MARAC case{} still open",
            if marac == 1 { " is" } else { "s are" }
        ));
    }
    Ok(out)
}

/// The person's records not yet erased, kind by kind, as erasure takes them.
async fn records_of(db: &Db, person: &PersonId) -> Result<Vec<(RecordKind, Vec<String>)>> {
    let lists: [(RecordKind, &str); 6] = [
        (
            RecordKind::CaseNote,
            "SELECT n.id FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.person_id = $1",
        ),
        (
            RecordKind::ContactAttempt,
            "SELECT id FROM contact_attempts WHERE person_id = $1 AND erased_at IS NULL",
        ),
        (
            RecordKind::Consent,
            "SELECT id FROM consents WHERE person_id = $1 AND erased_at IS NULL",
        ),
        (
            RecordKind::OnwardReferral,
            "SELECT id FROM onward_referrals WHERE person_id = $1 AND erased_at IS NULL",
        ),
        (
            RecordKind::Case,
            "SELECT id FROM cases WHERE person_id = $1 AND erased_at IS NULL",
        ),
        (
            RecordKind::MaracCase,
            "SELECT id FROM marac_cases WHERE person_id = $1 AND erased_at IS NULL",
        ),
    ];
    let mut out = Vec::new();
    for (kind, sql) in lists {
        let ids: Vec<String> = sqlx::query_scalar(sql)
            .bind(person)
            .fetch_all(db.pool())
            .await?;
        out.push((kind, ids));
    }
    Ok(out)
}

async fn referrals_of(db: &Db, person: &PersonId) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM referrals WHERE person_id = $1 AND erased_at IS NULL")
            .bind(person)
            .fetch_all(db.pool())
            .await?,
    )
}

/// Erases everything about an approved request's person, in one transaction, with its audit
/// entry; returns how many records. What the job worker runs. Nothing happens unless the request
/// is approved, and a hold placed since stops it.
pub async fn execute(db: &Db, id: &ErasureRequestId) -> Result<u64> {
    let row: Option<(String, PersonId, Option<String>)> =
        sqlx::query_as("SELECT status, person_id, decided_by FROM erasure_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let Some((status, person, by)) = row else {
        return Ok(0);
    };
    if status != RequestStatus::Approved.slug() {
        return Ok(0);
    }
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM legal_holds WHERE person_id = $1 AND lifted_at IS NULL",
    )
    .bind(&person)
    .fetch_one(db.pool())
    .await?;
    if held > 0 {
        // Approval was refused while a hold stood; one placed since waits for the officer.
        return Ok(0);
    }
    let records = records_of(db, &person).await?;
    let referrals = referrals_of(db, &person).await?;
    let mut tx = db.begin_write().await?;
    let mut totals = Vec::new();
    let mut total = 0;
    for (kind, ids) in &records {
        let n = erase_kind(&mut tx, *kind, ids).await?;
        if n > 0 {
            totals.push(KindTotal {
                kind: kind.slug().to_owned(),
                count: n,
            });
        }
        total += n;
    }
    let n = erase::erase_referrals(&mut tx, &referrals).await?;
    if n > 0 {
        totals.push(KindTotal {
            kind: "referral".into(),
            count: n,
        });
    }
    let p = erase::erase_people(&mut tx, std::slice::from_ref(&person.to_string())).await?;
    if p > 0 {
        totals.push(KindTotal {
            kind: "person".into(),
            count: p,
        });
    }
    total += n + p;
    sqlx::query(
        "UPDATE erasure_requests SET status = $1, erased_at = $2, erased = $3, asked = '' WHERE id = $4",
    )
    .bind(RequestStatus::Erased.slug())
    .bind(now())
    .bind(to_json(&totals)?)
    .bind(id)
    .execute(tx.conn())
    .await?;
    audit::append(
        &mut tx,
        &audit::event(
            by.as_deref(),
            AuditAction::Delete,
            "erasure_request",
            Some(id.to_string()),
            format!(
                "erasure on request: {}",
                totals
                    .iter()
                    .map(|t| format!("{} {}", t.count, t.label().to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(total)
}

/// A request with what Harbour holds about the person now, and what stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub request: Request,
    pub holds: Vec<KindTotal>,
    pub obstacles: Vec<String>,
}

impl ScopedStore {
    /// Records a request that arrived: found by a referral's reference about the person.
    pub async fn record_erasure_request(
        &self,
        reference: &str,
        received: &str,
        received_on: &str,
        asked: &str,
    ) -> Result<ErasureRequestId> {
        self.grant(Action::HandleErasureRequests)?;
        let checked = rules::check_request(received, received_on, asked, uk_date(Utc::now()));
        let target = self.find_person_by_reference(reference).await;
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
        let id = ErasureRequestId::from(new_id());
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO erasure_requests (id, person_id, referral_id, received, received_on, asked, respond_by, \
             recorded_by, recorded_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .bind(RequestStatus::Open.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "erasure_request",
            Some(id.as_str()),
            "erasure request recorded",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every request, open ones first by the day they must be answered.
    pub async fn erasure_requests(&self) -> Result<Vec<Request>> {
        self.grant(Action::HandleErasureRequests)?;
        let mut tx = self.db().begin_write().await?;
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} ORDER BY CASE WHEN q.status = 'open' THEN 0 ELSE 1 END, q.respond_by, q.recorded_at DESC"
        ))
        .fetch_all(tx.conn())
        .await?;
        if !rows.is_empty() {
            self.audit(
                &mut tx,
                AuditAction::Read,
                "erasure_request",
                None,
                "list erasure requests, with whom they are about",
            )
            .await?;
        }
        tx.commit().await?;
        rows.into_iter().map(Request::try_from).collect()
    }

    /// One request, with what Harbour holds about the person and what stands in the way.
    pub async fn erasure_request(&self, id: &ErasureRequestId) -> Result<RequestView> {
        self.grant(Action::HandleErasureRequests)?;
        let mut tx = self.db().begin_write().await?;
        let row: Option<RequestRow> = sqlx::query_as(&format!("SELECT {COLUMNS} WHERE q.id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
        let request: Request = row
            .ok_or(StorageError::NotFound("erasure request"))?
            .try_into()?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "erasure_request",
            Some(id.as_str()),
            "read an erasure request",
        )
        .await?;
        tx.commit().await?;
        let mut holds: Vec<KindTotal> = records_of(self.db(), &request.person_id)
            .await?
            .into_iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(k, ids)| KindTotal {
                kind: k.slug().to_owned(),
                count: ids.len() as u64,
            })
            .collect();
        let referrals = referrals_of(self.db(), &request.person_id).await?.len() as u64;
        if referrals > 0 {
            holds.push(KindTotal {
                kind: "referral".into(),
                count: referrals,
            });
        }
        let obstacles = if request.status == RequestStatus::Open {
            obstacles(self.db(), &request.person_id).await?
        } else {
            Vec::new()
        };
        Ok(RequestView {
            request,
            holds,
            obstacles,
        })
    }

    /// Decides a request: erase (queued at once as a job, refused while anything stands in the
    /// way) or refuse on a ground; the reason is kept either way.
    pub async fn decide_erasure_request(
        &self,
        id: &ErasureRequestId,
        decision: &str,
        ground: &str,
        reason: &str,
    ) -> Result<()> {
        self.grant(Action::HandleErasureRequests)?;
        let (decision, ground, reason) =
            rules::check_decision(decision, ground, reason).map_err(StorageError::Invalid)?;
        let person: Option<PersonId> = sqlx::query_scalar(
            "SELECT person_id FROM erasure_requests WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .fetch_optional(self.db().pool())
        .await?;
        let Some(person) = person else {
            return Err(StorageError::invalid(
                "decision",
                "This request has been decided already",
            ));
        };
        if decision == Decision::Erase {
            let stand = obstacles(self.db(), &person).await?;
            if !stand.is_empty() {
                return Err(StorageError::invalid(
                    "decision",
                    &format!("Nothing can be erased yet: {}", stand.join("; ")),
                ));
            }
        }
        let status = match decision {
            Decision::Erase => RequestStatus::Approved,
            Decision::Refuse => RequestStatus::Refused,
        };
        let mut tx = self.db().begin_write().await?;
        let n = sqlx::query(
            "UPDATE erasure_requests SET status = $1, decision_ground = $2, decision_reason = $3, decided_by = $4, \
             decided_at = $5 WHERE id = $6 AND status = 'open'",
        )
        .bind(status.slug())
        .bind(ground.map(Ground::slug))
        .bind(&reason)
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StorageError::invalid(
                "decision",
                "This request has been decided already",
            ));
        }
        if decision == Decision::Erase {
            jobs::enqueue(
                &mut tx,
                &Work::ErasureRequest {
                    request_id: id.to_string(),
                },
                Some(&format!("erasure-request-{id}")),
                Utc::now(),
            )
            .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "erasure_request",
            Some(id.as_str()),
            match decision {
                Decision::Erase => "erasure request approved",
                Decision::Refuse => "erasure request refused",
            },
        )
        .await?;
        tx.commit().await
    }

    /// Requests still open, and how many must be answered within a week: for the home page.
    pub async fn erasure_requests_open(&self) -> Result<(u64, u64)> {
        self.grant(Action::HandleErasureRequests)?;
        let soon = (uk_date(Utc::now()) + chrono::Days::new(7)).to_string();
        let (open, due): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN respond_by <= $1 THEN 1 ELSE 0 END), 0) \
             FROM erasure_requests WHERE status = 'open'",
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
