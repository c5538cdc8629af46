//! Years of synthetic history for the reports' benchmark: demo referrals spread over the years,
//! then, set-based in a few statements, what became of them: triage, advice, referrals on (with
//! consent, answers and deadlines), cases with their outcome readings, and contact. Not for the
//! demo people sign in to: the shapes are right, the stories are not.

use super::load_demo_referrals_over;
use crate::db::Db;
use crate::error::{Result, StorageError};

async fn one(db: &Db, sql: &str) -> Result<String> {
    sqlx::query_scalar(sql)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("the demo lacks what this finds: {sql}")))
}

/// Loads `n` referrals over `years` years and their history; returns the referrals made.
pub async fn load_report_history(db: &Db, n: u64, years: u32) -> Result<u64> {
    // Evenly over the years, as a steady service's referrals come.
    let made = load_demo_referrals_over(db, n, years * 365, 1.0).await?;
    let hub_user = one(
        db,
        "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'triage_officer' ORDER BY u.email LIMIT 1",
    )
    .await?;
    let hub = one(db, "SELECT agency_id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'triage_officer' ORDER BY u.email LIMIT 1").await?;
    // Two services, each with its organisation and agency.
    let services: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.id, s.organization_id, a.id FROM dir_services s JOIN agencies a ON a.name = \
         (SELECT o.name FROM dir_organizations o WHERE o.id = s.organization_id) \
         WHERE s.status = 'active' ORDER BY s.name LIMIT 2",
    )
    .fetch_all(db.pool())
    .await?;
    let [(s1, o1, a1), (s2, o2, a2)] = <[(String, String, String); 2]>::try_from(services)
        .map_err(|_| StorageError::Corrupt("the demo needs two services with agencies".into()))?;
    let pick = |c: u8, a: &str, b: &str| {
        format!("CASE WHEN substr(r.id, {c}, 1) < '8' THEN '{a}' ELSE '{b}' END")
    };
    let demo = "r.reference LIKE 'HBR-DEMO-%'";
    let statements = [
        // Triage for all but those still waiting.
        format!(
            "INSERT INTO triage_decisions (id, referral_id, decided_by, decided_at, entitlement, entitlement_proposed, \
             entitlement_reasons, needs, risk_answers, risk_level, marac, marac_referral, tier, tier_reason) \
             SELECT r.id || '-t', r.id, '{hub_user}', r.received_at, {e}, {e}, '[]', '[\"health\"]', '{{}}', \
             COALESCE(r.risk_level, 'standard'), '[]', FALSE, {t}, 'history' FROM referrals r \
             WHERE {demo} AND r.status <> 'received'",
            e = pick(30, "enhanced", "standard"),
            t = "CASE substr(r.id, 31, 1) WHEN '0' THEN 'acute' WHEN '1' THEN 'acute' WHEN '2' THEN 'prevention' \
                 WHEN '3' THEN 'early_intervention' WHEN '4' THEN 'early_intervention' ELSE 'targeted' END",
        ),
        // Advice for about a third.
        format!(
            "INSERT INTO referral_advice (id, referral_id, person_id, given, signposted, how, note, closed_referral, \
             by_user, agency_id, given_at) \
             SELECT r.id || '-a', r.id, r.person_id, '[\"victims_code\"]', '[]', 'phone', NULL, FALSE, '{hub_user}', '{hub}', r.received_at \
             FROM referrals r WHERE {demo} AND r.status <> 'received' AND substr(r.id, 36, 1) IN ('0', '1', '2', '3', '4')"
        ),
        // Referrals on for about three in eight, with consent.
        format!(
            "INSERT INTO consents (id, person_id, referral_id, organization_id, decision, shares, recorded_by, recorded_at) \
             SELECT r.id || '-c', r.person_id, r.id, {o}, 'given', '[]', '{hub_user}', r.received_at \
             FROM referrals r WHERE {demo} AND r.status <> 'received' AND substr(r.id, 36, 1) IN ('5', '6', '7', '8', '9', 'a')",
            o = pick(33, &o1, &o2),
        ),
        format!(
            "INSERT INTO onward_referrals (id, referral_id, person_id, service_id, recipient_agency_id, sender_agency_id, \
             sent_by, sent_at, consent_id, state, state_at, tier, risk_level, circumstances, note, decline_reason, outcome, updated_at) \
             SELECT r.id || '-o', r.id, r.person_id, {s}, {a}, '{hub}', '{hub_user}', r.received_at, r.id || '-c', \
             CASE WHEN substr(r.id, 34, 1) < '6' THEN 'accepted' WHEN substr(r.id, 34, 1) < 'b' THEN 'outcome_recorded' \
             WHEN substr(r.id, 34, 1) < 'd' THEN 'declined' ELSE 'sent' END, r.received_at, 'targeted', r.risk_level, '[]', '', \
             CASE WHEN substr(r.id, 34, 1) IN ('b', 'c') THEN 'no_capacity' END, \
             CASE WHEN substr(r.id, 34, 1) BETWEEN '6' AND 'a' THEN 'needs_met' END, r.received_at \
             FROM referrals r WHERE {demo} AND r.status <> 'received' AND substr(r.id, 36, 1) IN ('5', '6', '7', '8', '9', 'a')",
            s = pick(33, &s1, &s2),
            a = pick(33, &a1, &a2),
        ),
        "INSERT INTO onward_events (id, onward_referral_id, step, from_state, to_state, by_agency, at) \
         SELECT o.id || '-e1', o.id, 'accept', 'sent', 'accepted', o.recipient_agency_id, o.sent_at \
         FROM onward_referrals o WHERE o.id LIKE '%-o' AND o.state IN ('accepted', 'outcome_recorded')"
            .to_owned(),
        "INSERT INTO onward_events (id, onward_referral_id, step, from_state, to_state, by_agency, at) \
         SELECT o.id || '-e2', o.id, 'record_outcome', 'in_service', 'outcome_recorded', o.recipient_agency_id, o.sent_at \
         FROM onward_referrals o WHERE o.id LIKE '%-o' AND o.state = 'outcome_recorded'"
            .to_owned(),
        "INSERT INTO onward_deadlines (onward_referral_id, milestone, due_at, rule_id, rule_name, met_at) \
         SELECT o.id, 'acknowledge', o.sent_at, 'acknowledge', 'Every referral acknowledged by the service', \
         CASE WHEN o.state <> 'sent' THEN o.sent_at END FROM onward_referrals o WHERE o.id LIKE '%-o'"
            .to_owned(),
        "INSERT INTO contact_attempts (id, person_id, onward_referral_id, channel, result, note, agency_id, made_at) \
         SELECT o.id || '-k', o.person_id, o.id, 'phone_call', 'spoke', '', o.recipient_agency_id, o.sent_at \
         FROM onward_referrals o WHERE o.id LIKE '%-o' AND o.state IN ('accepted', 'outcome_recorded')"
            .to_owned(),
        "INSERT INTO cases (id, person_id, referral_id, onward_referral_id, agency_id, service_id, tier, risk_level, status, \
         opened_at, closed_at, closure_reason, cope, recover, updated_at) \
         SELECT o.id || '-s', o.person_id, o.referral_id, o.id, o.recipient_agency_id, o.service_id, o.tier, o.risk_level, \
         CASE WHEN o.state = 'outcome_recorded' THEN 'closed' ELSE 'open' END, o.sent_at, \
         CASE WHEN o.state = 'outcome_recorded' THEN o.sent_at END, \
         CASE WHEN o.state = 'outcome_recorded' THEN 'support_completed' END, \
         CASE WHEN o.state = 'outcome_recorded' THEN 'yes' END, \
         CASE WHEN o.state = 'outcome_recorded' THEN 'yes' END, o.sent_at \
         FROM onward_referrals o WHERE o.id LIKE '%-o' AND o.state IN ('accepted', 'outcome_recorded')"
            .to_owned(),
        "INSERT INTO case_readings (id, case_id, tool_id, tool_version, kind, scores, taken_on, agency_id, recorded_at) \
         SELECT c.id || '-r1', c.id, 'harbour-demo-outcomes', 1, 'start', '{\"safety\": 3, \"health\": 4, \"accommodation\": 5}', \
         substr(c.opened_at, 1, 10), c.agency_id, c.opened_at FROM cases c WHERE c.id LIKE '%-s' AND c.status = 'closed'"
            .to_owned(),
        "INSERT INTO case_readings (id, case_id, tool_id, tool_version, kind, scores, taken_on, agency_id, recorded_at) \
         SELECT c.id || '-r2', c.id, 'harbour-demo-outcomes', 1, 'exit', '{\"safety\": 7, \"health\": 5, \"accommodation\": 5}', \
         substr(c.opened_at, 1, 10), c.agency_id, c.closed_at FROM cases c WHERE c.id LIKE '%-s' AND c.status = 'closed'"
            .to_owned(),
    ];
    for sql in &statements {
        let mut tx = db.begin_write().await?;
        sqlx::query(sql).execute(tx.conn()).await?;
        tx.commit().await?;
    }
    // The facts again, now there is history to count.
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM report_facts")
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    crate::reports::facts::fill_missing(db).await?;
    // Written plain, in bulk; sealed as a database from before sealing is.
    crate::sealed::seal_plain_values(db).await?;
    Ok(made)
}
