//! The data protection officer's demo: a little of the partnership's support ended years ago
//! (three of New Era's cases, closed and moved back to 2019 with their contact), so tonight's
//! retention run has something to report; and two requests waiting, one to see what is held, one
//! to erase it.

use crate::db::Db;
use crate::error::Result;
use crate::scoped::ScopedStore;
use harbour_domain::role::Role;

async fn officer(db: &Db) -> Result<ScopedStore> {
    super::onward::store_for(db, Role::DataProtectionOfficer).await
}

/// Loads it; returns (cases moved back, requests recorded).
pub async fn load_demo_governance(db: &Db) -> Result<(usize, usize)> {
    // Three of New Era's cases, closed as support completed, the service's referral closed too;
    // then moved back to 2019, their contact with them, and the reports' facts brought up to date.
    let open: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT c.id, c.onward_referral_id, c.referral_id FROM cases c JOIN agencies a ON a.id = c.agency_id \
         WHERE a.name = 'New Era' AND c.status = 'open' ORDER BY c.id LIMIT 3",
    )
    .fetch_all(db.pool())
    .await?;
    let worker = super::onward::store_for(db, Role::Caseworker).await?;
    for (i, (case, onward, referral)) in open.iter().enumerate() {
        worker
            .change_case(
                &case.as_str().into(),
                &crate::cases::ChangeInput {
                    change: "close".into(),
                    reason: "support_completed".into(),
                    note: "Support plan completed; she knows how to come back.".into(),
                    cope: "yes".into(),
                    recover: "yes".into(),
                },
            )
            .await?;
        if let Some(o) = onward {
            worker
                .take_step(
                    &o.as_str().into(),
                    &crate::onward::StepInput {
                        step: "close".into(),
                        ..Default::default()
                    },
                )
                .await?;
        }
        let when = format!("2019-0{}-14T10:30:00.000000Z", i + 3);
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE cases SET closed_at = $1 WHERE id = $2")
            .bind(&when)
            .bind(case)
            .execute(tx.conn())
            .await?;
        if let Some(o) = onward {
            for sql in [
                "UPDATE onward_referrals SET state_at = $1 WHERE id = $2",
                "UPDATE contact_attempts SET made_at = $1 WHERE onward_referral_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(&when)
                    .bind(o)
                    .execute(tx.conn())
                    .await?;
            }
        }
        crate::reports::facts::touch(&mut tx, referral).await?;
        tx.commit().await?;
    }
    let dpo = officer(db).await?;
    let references: Vec<String> = sqlx::query_scalar(
        "SELECT reference FROM referrals WHERE status = 'referred_on' ORDER BY reference LIMIT 2",
    )
    .fetch_all(db.pool())
    .await?;
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now()) - chrono::Days::new(9);
    let on = today.format("%d/%m/%Y").to_string();
    let mut requests = 0;
    if let Some(r) = references.first() {
        dpo.record_subject_access(
            r,
            "writing",
            &on,
            "A copy of everything the partnership holds about me",
        )
        .await?;
        requests += 1;
    }
    if let Some(r) = references.get(1) {
        dpo.record_erasure_request(
            r,
            "phone",
            &on,
            "Please delete my records now my support has ended",
        )
        .await?;
        requests += 1;
    }
    Ok((open.len(), requests))
}
