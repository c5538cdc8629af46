//! Erasure: what an approved run does, record by record, and the same machinery for an
//! approved request to erase. Each kind's content is blanked in place (or, for what no report
//! reads, deleted); a referral whose support records have all gone is then erased itself, and a
//! person with nothing left is erased last. Every batch commits with its audit entry, which
//! says what kind, how many and under which schedule, and never what was erased.

use crate::db::{Db, WriteTx, now, to_json};
use crate::error::Result;
use crate::intake::look_up::in_json_array;
use harbour_domain::referral::Person;
use harbour_domain::retention::RecordKind;
use harbour_domain::safe_contact::SafeContact;
use std::collections::BTreeSet;

/// Runs `template` with `{ids}` replaced by the condition that `column` is one of `ids` (bound
/// as $1) and the time bound as $2.
async fn run(
    tx: &mut WriteTx,
    template: &str,
    column: &str,
    ids: &str,
    stamp: &str,
) -> Result<u64> {
    let backend = tx.backend();
    let sql = template.replace("{ids}", &in_json_array(backend, column, 1));
    let q = sqlx::query(&sql).bind(ids);
    let q = if template.contains("$2") {
        q.bind(stamp)
    } else {
        q
    };
    Ok(q.execute(tx.conn()).await?.rows_affected())
}

/// The referrals and people touched by a batch, to see afterwards whether anything of theirs
/// is left.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    pub referrals: BTreeSet<String>,
    pub people: BTreeSet<String>,
}

/// Adds the referrals and people that records `ids` of `kind` belong to.
pub(crate) async fn owners_of(
    db: &Db,
    kind: RecordKind,
    ids: &[String],
    touched: &mut Touched,
) -> Result<()> {
    let sql = match kind {
        RecordKind::CaseNote => {
            "SELECT c.referral_id, c.person_id FROM case_notes x JOIN cases c ON c.id = x.case_id WHERE {ids}"
        }
        RecordKind::ContactAttempt => {
            "SELECT o.referral_id, x.person_id FROM contact_attempts x \
             LEFT JOIN onward_referrals o ON o.id = x.onward_referral_id WHERE {ids}"
        }
        RecordKind::Consent => "SELECT x.referral_id, x.person_id FROM consents x WHERE {ids}",
        RecordKind::OnwardReferral => {
            "SELECT x.referral_id, x.person_id FROM onward_referrals x WHERE {ids}"
        }
        RecordKind::Case => "SELECT x.referral_id, x.person_id FROM cases x WHERE {ids}",
        RecordKind::MaracCase => "SELECT x.referral_id, x.person_id FROM marac_cases x WHERE {ids}",
        RecordKind::ReferralWithoutSupport | RecordKind::UntriagedSelfReferral => {
            "SELECT CAST(NULL AS TEXT), x.person_id FROM referrals x WHERE {ids}"
        }
        RecordKind::AlertSubscriber | RecordKind::Session | RecordKind::AuditEntry => {
            return Ok(());
        }
    };
    let sql = sql.replace("{ids}", &in_json_array(db.backend(), "x.id", 1));
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(&sql)
            .bind(to_json(chunk)?)
            .fetch_all(db.pool())
            .await?;
        for (r, p) in rows {
            touched.referrals.extend(r);
            touched.people.extend(p);
        }
    }
    Ok(())
}

/// Erases the content of the records `ids` of `kind`, in `tx`; returns how many.
pub(crate) async fn erase_kind(tx: &mut WriteTx, kind: RecordKind, ids: &[String]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list = to_json(ids)?;
    let stamp = now();
    let l = list.as_str();
    let s = stamp.as_str();
    Ok(match kind {
        RecordKind::CaseNote => {
            run(
                tx,
                "DELETE FROM case_note_versions WHERE {ids}",
                "note_id",
                l,
                s,
            )
            .await?;
            run(tx, "DELETE FROM case_notes WHERE {ids}", "id", l, s).await?
        }
        RecordKind::Case => {
            run(
                tx,
                "UPDATE case_events SET detail = NULL WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE case_goals SET goal = '', progress_note = NULL WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE case_goal_actions SET action = '', who = '' WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "DELETE FROM case_safety_plan_versions WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "DELETE FROM case_safety_plans WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE case_risk_assessments SET answers = '{}', judgement_reason = NULL WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE cases SET closure_note = NULL, erased_at = $2 WHERE {ids}",
                "id",
                l,
                s,
            )
            .await?
        }
        RecordKind::MaracCase => {
            keep_return_facts(tx, &list).await?;
            run(
                tx,
                "UPDATE marac_research SET facts = '', opinion = '', withheld = '' WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE marac_shared SET information = '' WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE marac_actions SET what = '', update_note = NULL WHERE {ids}",
                "case_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE marac_cases SET referring_officer = '', judgement_reason = NULL, no_consent_reason = NULL, \
                 afraid_of = '', safe_to_talk = '', unsafe_to_talk = '', previous_maracs = '', perpetrators = '[]', \
                 children = '[]', risks = NULL, closure_note = NULL, erased_at = $2 WHERE {ids}",
                "id",
                l,
                s,
            )
            .await?
        }
        RecordKind::OnwardReferral => {
            run(
                tx,
                "UPDATE onward_events SET note = NULL, reason = NULL WHERE {ids}",
                "onward_referral_id",
                l,
                s,
            )
            .await?;
            // Its messages: to the service, its system and the person, all long since sent.
            run(
                tx,
                "DELETE FROM jobs WHERE {ids}",
                "onward_referral_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE onward_referrals SET note = '', decline_note = NULL, outcome_note = NULL, erased_at = $2 \
                 WHERE {ids}",
                "id",
                l,
                s,
            )
            .await?
        }
        RecordKind::ContactAttempt => {
            run(
                tx,
                "UPDATE contact_suspensions SET review_note = NULL WHERE {ids}",
                "attempt_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "UPDATE contact_attempts SET note = '', override_reason = NULL, erased_at = $2 WHERE {ids}",
                "id",
                l,
                s,
            )
            .await?
        }
        RecordKind::Consent => {
            run(
                tx,
                "UPDATE consents SET justification = NULL, erased_at = $2 WHERE {ids}",
                "id",
                l,
                s,
            )
            .await?
        }
        RecordKind::ReferralWithoutSupport | RecordKind::UntriagedSelfReferral => {
            erase_referrals(tx, ids).await?
        }
        RecordKind::AlertSubscriber => {
            run(
                tx,
                "UPDATE alert_deliveries SET subscriber_id = NULL WHERE {ids}",
                "subscriber_id",
                l,
                s,
            )
            .await?;
            run(
                tx,
                "DELETE FROM alert_places WHERE {ids}",
                "subscriber_id",
                l,
                s,
            )
            .await?;
            run(tx, "DELETE FROM alert_subscribers WHERE {ids}", "id", l, s).await?
        }
        RecordKind::Session => {
            // One id: the day before which the sessions ended. Devices last used before then go
            // with them (counted as sessions are: the devices are how sign-ins are told apart).
            let mut n = 0;
            for before in ids {
                n += sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                    .bind(before)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM known_devices WHERE last_seen < $1")
                    .bind(before)
                    .execute(tx.conn())
                    .await?;
            }
            n
        }
        RecordKind::AuditEntry => {
            // One id: the signed checkpoint before which the entries go.
            let mut n = 0;
            for seq in ids {
                let seq: i64 = seq.parse().map_err(|_| {
                    crate::error::StorageError::Corrupt(format!("checkpoint {seq}"))
                })?;
                n += crate::audit_prune::prune_before(tx, seq).await?;
            }
            n
        }
    })
}

/// Keeps what the MARAC return counts about these cases before their content goes.
async fn keep_return_facts(tx: &mut WriteTx, list: &str) -> Result<()> {
    let backend = tx.backend();
    #[derive(sqlx::FromRow)]
    struct Heard {
        id: String,
        children: String,
        perpetrators: String,
        details: String,
        date_of_birth: Option<String>,
        referred_at: String,
        held_on: Option<String>,
    }
    let rows: Vec<Heard> =
        sqlx::query_as(&format!(
            "SELECT c.id, c.children, c.perpetrators, p.details, p.date_of_birth, c.referred_at, g.held_on \
             FROM marac_cases c JOIN persons p ON p.id = c.person_id \
             LEFT JOIN marac_meetings g ON g.id = c.meeting_id WHERE c.return_facts IS NULL AND {}",
            in_json_array(backend, "c.id", 1)
        ))
        .bind(list)
        .fetch_all(tx.conn())
        .await?;
    for r in rows {
        let heard = r
            .held_on
            .as_deref()
            .unwrap_or(&r.referred_at)
            .get(..10)
            .and_then(|d| d.parse().ok())
            .unwrap_or_default();
        let facts = crate::marac::returns::return_facts(
            &r.children,
            &r.perpetrators,
            &r.details,
            r.date_of_birth.as_deref(),
            heard,
        )?;
        sqlx::query("UPDATE marac_cases SET return_facts = $1 WHERE id = $2")
            .bind(to_json(&facts)?)
            .bind(&r.id)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Erases referrals' own content: what they said about the person, the people around them and
/// the notes, the triage's answers and reasons, the advice's notes, their blocking keys. Their
/// reports' facts are brought up to date first, then frozen.
pub(crate) async fn erase_referrals(tx: &mut WriteTx, ids: &[String]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = tx.backend();
    crate::reports::facts::refresh(tx.conn(), backend, ids).await?;
    let list = to_json(ids)?;
    let stamp = now();
    let (l, s) = (list.as_str(), stamp.as_str());
    run(
        tx,
        "UPDATE triage_decisions SET risk_answers = '{}', judgement_reason = NULL, \
         entitlement_override_reason = NULL, tier_reason = '' WHERE {ids}",
        "referral_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "UPDATE referral_advice SET note = NULL WHERE {ids}",
        "referral_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "DELETE FROM referral_blocks WHERE {ids}",
        "referral_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "UPDATE resources_issued SET description = '' WHERE {ids}",
        "referral_id",
        l,
        s,
    )
    .await?;
    let sql = "UPDATE referrals SET police_reference = NULL, perpetrators = '[]', children = '[]', notes = '', \
         consent_basis = '', person_details = $3, person_safe_contact = $4, idempotency_key = NULL, \
         idempotency_hash = NULL, import_key = NULL, erased_at = $2 WHERE {ids}"
        .replace("{ids}", &in_json_array(backend, "id", 1));
    Ok(sqlx::query(&sql)
        .bind(l)
        .bind(s)
        .bind(to_json(&Person::default())?)
        .bind(to_json(&SafeContact::default())?)
        .execute(tx.conn())
        .await?
        .rows_affected())
}

/// Of `referrals`, those not yet erased whose support records (referrals on, cases, MARAC
/// cases, consents) have all been erased: their own content goes with the last of them.
pub(crate) async fn referrals_left_bare(
    tx: &mut WriteTx,
    referrals: &BTreeSet<String>,
) -> Result<Vec<String>> {
    if referrals.is_empty() {
        return Ok(Vec::new());
    }
    let backend = tx.backend();
    let ids: Vec<String> = referrals.iter().cloned().collect();
    Ok(sqlx::query_scalar(&format!(
        "SELECT r.id FROM referrals r WHERE r.erased_at IS NULL AND {} \
         AND NOT EXISTS (SELECT 1 FROM onward_referrals o WHERE o.referral_id = r.id AND o.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.referral_id = r.id AND c.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM marac_cases m WHERE m.referral_id = r.id AND m.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.referral_id = r.id AND k.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.lifted_at IS NULL AND \
         ((h.scope = 'person' AND h.person_id = r.person_id) OR (h.scope = 'referral' AND h.referral_id = r.id)))",
        in_json_array(backend, "r.id", 1)
    ))
    .bind(to_json(&ids)?)
    .fetch_all(tx.conn())
    .await?)
}

/// Of `people`, those not yet erased with nothing left about them: every referral, case and
/// MARAC case erased.
pub(crate) async fn people_left_bare(
    tx: &mut WriteTx,
    people: &BTreeSet<String>,
) -> Result<Vec<String>> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let backend = tx.backend();
    let ids: Vec<String> = people.iter().cloned().collect();
    Ok(sqlx::query_scalar(&format!(
        "SELECT p.id FROM persons p WHERE p.erased_at IS NULL AND {} \
         AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id AND r.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM marac_cases m WHERE m.person_id = p.id AND m.erased_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.lifted_at IS NULL AND h.person_id = p.id)",
        in_json_array(backend, "p.id", 1)
    ))
    .bind(to_json(&ids)?)
    .fetch_all(tx.conn())
    .await?)
}

/// Erases people with nothing left about them, and anyone merged into them: names, date of
/// birth, postcode, details and safe contact; what is left of their contact attempts and
/// resources; what recognition and merges kept about them. The district they lived in stays,
/// as the reports count by it.
pub(crate) async fn erase_people(tx: &mut WriteTx, ids: &[String]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = tx.backend();
    let merged: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM persons WHERE {}",
        in_json_array(backend, "merged_into", 1)
    ))
    .bind(to_json(ids)?)
    .fetch_all(tx.conn())
    .await?;
    let mut all: Vec<String> = ids.to_vec();
    all.extend(merged);
    let list = to_json(&all)?;
    let stamp = now();
    let (l, s) = (list.as_str(), stamp.as_str());
    run(
        tx,
        "UPDATE contact_attempts SET note = '', override_reason = NULL, erased_at = COALESCE(erased_at, $2) WHERE {ids}",
        "person_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "UPDATE contact_suspensions SET review_note = NULL WHERE {ids}",
        "person_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "UPDATE resources_issued SET description = '' WHERE {ids}",
        "person_id",
        l,
        s,
    )
    .await?;
    // What the person asked for, in their words, on their requests.
    for table in ["erasure_requests", "subject_access_requests"] {
        run(
            tx,
            &format!("UPDATE {table} SET asked = '' WHERE {{ids}}"),
            "person_id",
            l,
            s,
        )
        .await?;
    }
    run(
        tx,
        "UPDATE person_merges SET moved = '{}', reason = '', undo_reason = NULL WHERE {ids}",
        "kept_id",
        l,
        s,
    )
    .await?;
    run(
        tx,
        "UPDATE person_merges SET moved = '{}', reason = '', undo_reason = NULL WHERE {ids}",
        "merged_id",
        l,
        s,
    )
    .await?;
    let sql = "UPDATE persons SET given_name = '', family_name = '', date_of_birth = NULL, postcode = '', \
         details = $3, safe_contact = $4, match_key = NULL, erased_at = $2 WHERE {ids}"
        .replace("{ids}", &in_json_array(backend, "id", 1));
    let n = sqlx::query(&sql)
        .bind(l)
        .bind(s)
        .bind(to_json(&Person::default())?)
        .bind(to_json(&SafeContact::default())?)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(n)
}
