//! What falls due for erasure on a day, kind by kind: each kind's records with the day its
//! time runs from, the person's date of birth (for records about children) and the person and
//! referral they belong to (for legal holds). The schedule decides which are due; a live hold on
//! the person, or on the referral they came from, keeps them.

use crate::db::Backend;
use crate::error::Result;
use chrono::NaiveDate;
use harbour_domain::retention::{RecordKind, Schedule, due_on, erasable};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// One kind's records due on the day, and how many more would be but are held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindDue {
    pub kind: RecordKind,
    /// The records' ids; for sessions, the day before which they ended.
    pub ids: Vec<String>,
    pub due: u64,
    pub held: u64,
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    event: Option<String>,
    born: Option<String>,
    person_id: Option<String>,
    referral_id: Option<String>,
}

/// Onward referrals' states after which nothing more happens to them.
const FINAL: &str = "('closed', 'withdrawn', 'rerouted')";

/// The records of `kind` not yet erased, each with the time its schedule runs from.
fn candidates_sql(kind: RecordKind) -> Option<String> {
    Some(match kind {
        RecordKind::ReferralWithoutSupport => "SELECT r.id, COALESCE((SELECT MAX(a.given_at) FROM referral_advice a \
             WHERE a.referral_id = r.id), r.updated_at) AS event, p.date_of_birth AS born, r.person_id, r.id AS referral_id \
             FROM referrals r JOIN persons p ON p.id = r.person_id \
             WHERE r.status = 'closed' AND r.erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM onward_referrals o WHERE o.referral_id = r.id) \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.referral_id = r.id) \
             AND NOT EXISTS (SELECT 1 FROM marac_cases m WHERE m.referral_id = r.id)"
            .to_owned(),
        RecordKind::UntriagedSelfReferral => "SELECT r.id, r.received_at AS event, p.date_of_birth AS born, r.person_id, \
             r.id AS referral_id FROM referrals r JOIN persons p ON p.id = r.person_id \
             WHERE r.source = 'self' AND r.status = 'received' AND r.erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM marac_cases m WHERE m.referral_id = r.id)"
            .to_owned(),
        RecordKind::Case => "SELECT c.id, c.closed_at AS event, p.date_of_birth AS born, c.person_id, c.referral_id \
             FROM cases c JOIN persons p ON p.id = c.person_id \
             WHERE c.status = 'closed' AND c.closed_at IS NOT NULL AND c.erased_at IS NULL"
            .to_owned(),
        RecordKind::CaseNote => "SELECT n.id, c.closed_at AS event, p.date_of_birth AS born, c.person_id, c.referral_id \
             FROM case_notes n JOIN cases c ON c.id = n.case_id JOIN persons p ON p.id = c.person_id \
             WHERE c.status = 'closed' AND c.closed_at IS NOT NULL"
            .to_owned(),
        RecordKind::MaracCase => "SELECT m.id, m.closed_at AS event, p.date_of_birth AS born, m.person_id, m.referral_id \
             FROM marac_cases m JOIN persons p ON p.id = m.person_id \
             WHERE m.status = 'closed' AND m.closed_at IS NOT NULL AND m.erased_at IS NULL"
            .to_owned(),
        RecordKind::OnwardReferral => format!(
            "SELECT o.id, CASE WHEN c.closed_at IS NOT NULL AND c.closed_at > o.state_at THEN c.closed_at \
             ELSE o.state_at END AS event, p.date_of_birth AS born, o.person_id, o.referral_id \
             FROM onward_referrals o JOIN persons p ON p.id = o.person_id \
             LEFT JOIN cases c ON c.onward_referral_id = o.id \
             WHERE o.state IN {FINAL} AND o.erased_at IS NULL AND (c.id IS NULL OR c.status = 'closed')"
        ),
        RecordKind::ContactAttempt => "SELECT a.id, (SELECT MAX(b.made_at) FROM contact_attempts b \
             WHERE b.person_id = a.person_id) AS event, p.date_of_birth AS born, a.person_id, o.referral_id \
             FROM contact_attempts a JOIN persons p ON p.id = a.person_id \
             LEFT JOIN onward_referrals o ON o.id = a.onward_referral_id WHERE a.erased_at IS NULL"
            .to_owned(),
        RecordKind::Consent => format!(
            "SELECT k.id, COALESCE((SELECT MAX(o.state_at) FROM onward_referrals o WHERE o.consent_id = k.id), \
             k.recorded_at) AS event, p.date_of_birth AS born, k.person_id, k.referral_id \
             FROM consents k JOIN persons p ON p.id = k.person_id WHERE k.erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM onward_referrals o LEFT JOIN cases c ON c.onward_referral_id = o.id \
             WHERE o.consent_id = k.id AND (o.state NOT IN {FINAL} OR (c.id IS NOT NULL AND c.status <> 'closed')))"
        ),
        RecordKind::AlertSubscriber => "SELECT s.id, COALESCE((SELECT MAX(d.sent_at) FROM alert_deliveries d \
             WHERE d.subscriber_id = s.id), s.confirmed_at, s.created_at) AS event, CAST(NULL AS TEXT) AS born, \
             CAST(NULL AS TEXT) AS person_id, CAST(NULL AS TEXT) AS referral_id \
             FROM alert_subscribers s WHERE s.status = 'active'"
            .to_owned(),
        // Sessions are counted by the day they ended; the audit trail up to a signed
        // checkpoint (see `audit_prune`).
        RecordKind::Session | RecordKind::AuditEntry => return None,
    })
}

fn day(text: &str) -> Option<NaiveDate> {
    text.get(..10).and_then(|d| d.parse().ok())
}

/// The latest day on which a record's event can fall and it be due `today`: for kinds counted
/// in bulk by the day they ended.
pub(crate) fn cut_off(s: &Schedule, today: NaiveDate) -> NaiveDate {
    let mut d = today
        .checked_sub_months(chrono::Months::new(s.months))
        .unwrap_or(NaiveDate::MIN);
    while due_on(s, d, None) > today {
        d = d.pred_opt().unwrap_or(NaiveDate::MIN);
    }
    d
}

/// What is due on `today` under `schedules`, kind by kind, in the order given.
pub async fn find(
    conn: &mut AnyConnection,
    _backend: Backend,
    schedules: &[Schedule],
    today: NaiveDate,
) -> Result<Vec<KindDue>> {
    let holds: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT person_id, referral_id, scope FROM legal_holds WHERE lifted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let held_people: HashSet<&str> = holds
        .iter()
        .filter(|(_, _, s)| s == "person")
        .map(|(p, _, _)| p.as_str())
        .collect();
    let held_referrals: HashSet<&str> = holds
        .iter()
        .filter(|(_, _, s)| s == "referral")
        .map(|(_, r, _)| r.as_str())
        .collect();
    let mut out = Vec::new();
    for s in schedules {
        if s.kind == RecordKind::AuditEntry {
            // Entries made before the cut-off day go, but only up to the newest signed
            // checkpoint among them, whose entry stays as the chain's new start: one id, the
            // checkpoint's number. Without such a checkpoint none can go yet.
            let before = cut_off(s, today)
                .succ_opt()
                .unwrap_or(NaiveDate::MAX)
                .to_string();
            let prunable = crate::audit_prune::prunable(&mut *conn, &before).await?;
            out.push(KindDue {
                kind: s.kind,
                ids: prunable.iter().map(|(seq, _)| seq.to_string()).collect(),
                due: prunable.map_or(0, |(_, n)| n),
                held: 0,
            });
            continue;
        }
        let Some(sql) = candidates_sql(s.kind) else {
            // Sessions: those that ended on or before the cut-off day.
            let before = cut_off(s, today)
                .succ_opt()
                .unwrap_or(NaiveDate::MAX)
                .to_string();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at < $1")
                .bind(&before)
                .fetch_one(&mut *conn)
                .await?;
            out.push(KindDue {
                kind: s.kind,
                ids: if n > 0 { vec![before] } else { Vec::new() },
                due: u64::try_from(n).unwrap_or(0),
                held: 0,
            });
            continue;
        };
        let rows: Vec<Candidate> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
        let mut due = KindDue {
            kind: s.kind,
            ids: Vec::new(),
            due: 0,
            held: 0,
        };
        for r in rows {
            let Some(event) = r.event.as_deref().and_then(day) else {
                continue;
            };
            let when = due_on(s, event, r.born.as_deref().and_then(day));
            if when > today {
                continue;
            }
            let held = r
                .person_id
                .as_deref()
                .is_some_and(|p| held_people.contains(p))
                || r.referral_id
                    .as_deref()
                    .is_some_and(|x| held_referrals.contains(x));
            if erasable(when, today, held) {
                due.ids.push(r.id);
            } else {
                due.held += 1;
            }
        }
        due.ids.sort();
        due.due = due.ids.len() as u64;
        out.push(due);
    }
    Ok(out)
}
