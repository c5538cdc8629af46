//! Retention and erasure on both databases: a run reports what is due and erases nothing until
//! the data protection officer approves it; erasure then leaves no trace of the person's names,
//! contact details or notes in any column of any table, the reports for the period are what they
//! were, and the audit chain still verifies. A legal hold keeps a person's records until lifted.

use chrono::{Duration, Utc};
use harbour_domain::ids::RetentionRunId;
use harbour_domain::retention::{RecordKind, RunStatus};
use harbour_domain::role::Role;
use harbour_domain::stats::breakdown::Breakdown;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::reports::Filter;
use harbour_storage::retention::runs::erase_run;
use harbour_storage::scoped::ScopedStore;
use harbour_storage::{Db, StorageError};
use harbour_testkit::TestApp;
use harbour_testkit::cases::store_as;
use harbour_testkit::inspect::where_text_appears;
use harbour_testkit::journey::{canaries, journey};

type R = anyhow::Result<()>;

async fn dpo(db: &Db) -> anyhow::Result<ScopedStore> {
    store_as(
        db,
        "Staffordshire Commissioner's Office",
        Role::DataProtectionOfficer,
    )
    .await
}

/// Every report's figures over a wide period, as text, to compare before and after erasure.
async fn reports(db: &Db) -> anyhow::Result<String> {
    let c = store_as(
        db,
        "Staffordshire Commissioner's Office",
        Role::Commissioner,
    )
    .await?;
    let from = "2020-01-01".parse()?;
    let to = "2030-12-31".parse()?;
    let all = Filter::default();
    let mut out = String::new();
    for b in [Breakdown::Area, Breakdown::Crime, Breakdown::Tier] {
        out += &format!("{:?}\n", c.report_counts(from, to, &all, b).await?);
    }
    out += &format!("{:?}\n", c.report_funnel(from, to, &all, None).await?);
    out += &format!("{:?}\n", c.report_repeats(from, to, &all).await?);
    out += &format!("{:?}\n", c.report_onward(from, to, &all).await?);
    out += &format!("{:?}\n", c.report_consents(from, to).await?);
    out += &format!("{:?}\n", c.report_deadlines(from, to, &all).await?);
    out += &format!("{:?}\n", c.report_outcomes(from, to, &all).await?);
    out += &format!("{:?}\n", c.report_distance(from, to, &all).await?);
    out += &format!("{:?}\n", c.report_maracs(from, to).await?);
    Ok(out)
}

async fn items(db: &Db, run: &RetentionRunId, kind: RecordKind) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT record_id FROM retention_run_items WHERE run_id = $1 AND kind = $2",
    )
    .bind(run)
    .bind(kind.slug())
    .fetch_all(db.pool())
    .await?)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn a_run_erases_nothing_until_approved_then_no_trace_of_the_person_remains() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let j = journey(db, "k7q").await?;
    let planted = canaries("k7q");
    let before = reports(db).await?;
    assert!(
        where_text_appears(db, &strs(&planted)).await?.len() >= planted.len(),
        "the search finds what was planted"
    );
    let dpo = dpo(db).await?;

    // Today, nothing of hers is due: her case closed moments ago.
    let today = dpo.prepare_retention_run(Utc::now()).await?;
    assert!(
        !items(db, &today, RecordKind::Case)
            .await?
            .contains(&j.case.to_string())
    );

    // Six years and a bit on, everything is.
    let later = Utc::now() + Duration::days(365 * 6 + 40);
    let run = dpo.prepare_retention_run(later).await?;
    let shown = dpo.retention_run(&run).await?;
    assert_eq!(shown.status, RunStatus::AwaitingApproval);
    assert!(
        items(db, &run, RecordKind::Case)
            .await?
            .contains(&j.case.to_string())
    );
    assert!(
        items(db, &run, RecordKind::OnwardReferral)
            .await?
            .contains(&j.onward.to_string())
    );
    assert!(!items(db, &run, RecordKind::CaseNote).await?.is_empty());
    assert!(!items(db, &run, RecordKind::Consent).await?.is_empty());
    assert!(
        !items(db, &run, RecordKind::ContactAttempt)
            .await?
            .is_empty()
    );
    let case_count = shown
        .counts
        .iter()
        .find(|c| c.kind == "case")
        .expect("cases are counted");
    assert!(case_count.due >= 1);
    // The run for today waits for no one: it found nothing, or this one replaced it.
    assert!(matches!(
        dpo.retention_run(&today).await?.status,
        RunStatus::NothingDue | RunStatus::Superseded
    ));
    assert_eq!(
        dpo.retention_run_waiting().await?.map(|r| r.id),
        Some(run.clone())
    );

    // Not approved: erasing does nothing.
    assert_eq!(erase_run(db, &run, later).await?, 0);
    assert!(!where_text_appears(db, &strs(&planted)).await?.is_empty());

    // Declining needs a reason; approving queues the erasure.
    let Err(StorageError::Invalid(e)) = dpo.decide_retention_run(&run, false, " ").await else {
        panic!("declining without a reason is refused");
    };
    assert!(e.get("note").is_some());
    dpo.decide_retention_run(&run, true, "Checked against the schedule")
        .await?;
    let queued: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'retention_erase' AND done_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    assert_eq!(queued, 1);
    // Decided once only.
    assert!(dpo.decide_retention_run(&run, true, "").await.is_err());

    let erased = erase_run(db, &run, later).await?;
    assert!(erased >= 6, "erased {erased}");
    let left = where_text_appears(db, &strs(&planted)).await?;
    assert!(left.is_empty(), "still held: {left:#?}");

    // The rows stay, marked, with what the reports count.
    let (status, category, area): (String, String, Option<String>) = sqlx::query_as(
        "SELECT status, crime_category, area FROM referrals WHERE id = $1 AND erased_at IS NOT NULL",
    )
    .bind(&j.referral)
    .fetch_one(db.pool())
    .await?;
    assert_eq!(
        (status.as_str(), category.as_str(), area.as_deref()),
        ("referred_on", "domestic_abuse", Some("E07000197"))
    );
    let person_erased: Option<String> = sqlx::query_scalar(
        "SELECT p.erased_at FROM persons p JOIN referrals r ON r.person_id = p.id WHERE r.id = $1",
    )
    .bind(&j.referral)
    .fetch_one(db.pool())
    .await?;
    assert!(person_erased.is_some());
    assert_eq!(reports(db).await?, before, "the reports are unchanged");
    assert!(
        harbour_storage::reports::facts::recount_differences(db)
            .await?
            .is_empty()
    );
    assert!(matches!(verify_log(db).await?, Verification::Intact { .. }));

    let done = dpo.retention_run(&run).await?;
    assert_eq!(done.status, RunStatus::Erased);
    assert!(done.erased() >= 5);
    let entries: Vec<String> = sqlx::query_scalar(
        "SELECT purpose FROM audit_log WHERE entity_kind = 'retention_run' AND entity_id = $1 AND action = 'delete'",
    )
    .bind(&run)
    .fetch_all(db.pool())
    .await?;
    assert!(
        entries
            .iter()
            .any(|p| p.contains("Case note") && p.contains("72 months")),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|p| p.contains("people with nothing left")),
        "{entries:?}"
    );
    let _ = j.reference;
    Ok(())
}

#[tokio::test]
async fn a_legal_hold_keeps_a_persons_records_until_it_is_lifted() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let held = journey(db, "h4x").await?;
    let other = journey(db, "m2v").await?;
    let dpo = dpo(db).await?;

    let Err(StorageError::Invalid(e)) = dpo.place_legal_hold("", "", "", "").await else {
        panic!("an empty hold is refused");
    };
    for field in ["reference", "kind", "scope", "reason"] {
        assert!(e.get(field).is_some(), "{field}");
    }
    let Err(StorageError::Invalid(e)) = dpo
        .place_legal_hold("NOT-A-REF", "litigation", "person", "Claim")
        .await
    else {
        panic!("an unknown reference is refused");
    };
    assert!(e.get("reference").is_some());

    let hold = dpo
        .place_legal_hold(
            &held.reference.to_lowercase(),
            "domestic_homicide_review",
            "person",
            "DHR 2026/3 asked for her records",
        )
        .await?;
    dpo.place_legal_hold(
        &other.reference,
        "litigation",
        "referral",
        "Claim against the service",
    )
    .await?;
    let later = Utc::now() + Duration::days(365 * 6 + 40);
    let run = dpo.prepare_retention_run(later).await?;
    let cases = items(db, &run, RecordKind::Case).await?;
    assert!(!cases.contains(&held.case.to_string()));
    assert!(!cases.contains(&other.case.to_string()));
    let shown = dpo.retention_run(&run).await?;
    assert!(shown.held() >= 10, "held {}", shown.held());
    // All that was due is held, so the run waits for no one, and erases nothing.
    assert_eq!(shown.due(), 0);
    assert_eq!(shown.status, RunStatus::NothingDue);
    assert!(dpo.decide_retention_run(&run, true, "").await.is_err());
    assert_eq!(erase_run(db, &run, later).await?, 0);
    for tag in ["h4x", "m2v"] {
        let planted = canaries(tag);
        assert!(
            !where_text_appears(db, &strs(&planted[..2]))
                .await?
                .is_empty(),
            "{tag}: held, so kept"
        );
    }

    // Lifted, her records fall due at the next night's run; the other hold still keeps his.
    let Err(StorageError::Invalid(_)) = dpo.lift_legal_hold(&hold, " ").await else {
        panic!("a reason is needed to lift a hold");
    };
    dpo.lift_legal_hold(&hold, "Review published").await?;
    assert!(dpo.lift_legal_hold(&hold, "Again").await.is_err());
    let next = dpo.prepare_retention_run(later + Duration::days(1)).await?;
    assert!(
        items(db, &next, RecordKind::Case)
            .await?
            .contains(&held.case.to_string())
    );
    dpo.decide_retention_run(&next, true, "").await?;
    erase_run(db, &next, later + Duration::days(1)).await?;
    let left = where_text_appears(db, &strs(&canaries("h4x"))).await?;
    assert!(left.is_empty(), "{left:#?}");
    assert!(
        !where_text_appears(db, &strs(&canaries("m2v")[..2]))
            .await?
            .is_empty()
    );

    let holds = dpo.legal_holds().await?;
    let lifted = holds.iter().find(|h| h.id == hold).expect("listed");
    assert_eq!(
        lifted.lifted.as_ref().map(|l| l.2.as_str()),
        Some("Review published")
    );
    assert!(
        holds
            .iter()
            .any(|h| h.lifted.is_none() && h.reference == other.reference)
    );
    Ok(())
}

#[tokio::test]
async fn the_officer_changes_a_schedule_within_its_limits() -> R {
    let app = TestApp::spawn().await?;
    let dpo = dpo(&app.db).await?;
    let Err(StorageError::Invalid(e)) = dpo
        .change_retention_schedule(RecordKind::AuditEntry, "12", "", "Shorter")
        .await
    else {
        panic!("audit entries are kept six years at least");
    };
    assert!(e.get("months").is_some());
    let Err(StorageError::Invalid(e)) = dpo
        .change_retention_schedule(RecordKind::Case, "0", "40", "")
        .await
    else {
        panic!("refused");
    };
    for field in ["months", "until_age", "reason"] {
        assert!(e.get(field).is_some(), "{field}");
    }
    dpo.change_retention_schedule(
        RecordKind::ContactAttempt,
        "6",
        "",
        "Six months is enough to answer a complaint here",
    )
    .await?;
    let all = dpo.retention_schedules().await?;
    let changed = all
        .iter()
        .find(|e| e.schedule.kind == RecordKind::ContactAttempt)
        .expect("listed");
    assert_eq!(changed.schedule.months, 6);
    assert_eq!(changed.default_months, 24);
    assert!(changed.changed.is_some());
    assert!(all.iter().filter(|e| e.changed.is_none()).count() == RecordKind::ALL.len() - 1);
    // Anyone else is refused.
    let admin = store_as(&app.db, "Staffordshire Victim Gateway", Role::Administrator).await?;
    assert!(matches!(
        admin.retention_schedules().await,
        Err(StorageError::Denied(_))
    ));
    Ok(())
}

/// The audit trail's schedule removes its oldest entries only up to a signed checkpoint, whose
/// entry stays as the chain's new start: the rest still verifies, the append-only trigger is back
/// at once, and a checkpoint from before the cut is told apart from a trail cut back by someone.
#[tokio::test]
async fn the_audit_trail_goes_only_up_to_a_signed_checkpoint_and_the_rest_still_verifies() -> R {
    use harbour_storage::audit_guard::{self, AgainstCheckpoint};
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let dpo = dpo(db).await?;
    journey(db, "a5p").await?;
    let later = Utc::now() + Duration::days(365 * 8);

    // Without a signed checkpoint none of it can go, however old.
    let run = dpo.prepare_retention_run(later).await?;
    assert!(items(db, &run, RecordKind::AuditEntry).await?.is_empty());

    let key = harbour_domain::audit_checkpoint::signing_key(&"07".repeat(32))?;
    let first = audit_guard::checkpoint(db, &key).await?;
    journey(db, "a5q").await?;
    let second = audit_guard::checkpoint(db, &key).await?;
    journey(db, "a5r").await?;
    let entries = |db: &Db| {
        let db = db.clone();
        async move {
            let (n, min): (i64, i64) = sqlx::query_as("SELECT COUNT(*), MIN(seq) FROM audit_log")
                .fetch_one(db.pool())
                .await?;
            anyhow::Ok((n, min))
        }
    };
    let (before, _) = entries(db).await?;

    // Eight years on, the entries before the newer checkpoint are due, counted as such.
    let run = dpo.prepare_retention_run(later + Duration::days(1)).await?;
    assert_eq!(
        items(db, &run, RecordKind::AuditEntry).await?,
        vec![second.seq.to_string()]
    );
    let counted = dpo.retention_run(&run).await?;
    let due = counted
        .counts
        .iter()
        .find(|c| c.kind == "audit_entry")
        .expect("audit entries are counted");
    assert_eq!(due.due, u64::try_from(second.seq - 1)?);
    dpo.decide_retention_run(&run, true, "Seven years have passed")
        .await?;
    erase_run(db, &run, later + Duration::days(1)).await?;

    let (after, first_kept) = entries(db).await?;
    assert_eq!(
        first_kept, second.seq,
        "the checkpoint's entry is the new start"
    );
    assert!(after < before && after > 0);
    assert!(
        matches!(verify_log(db).await?, Verification::Intact { .. }),
        "the rest verifies from the checkpoint"
    );
    assert!(matches!(
        audit_guard::check_tail(db).await?,
        Verification::Intact { .. }
    ));
    // The auditors' newer checkpoint still checks out; the older one says why it cannot.
    let trusted = key.verifying_key();
    assert!(matches!(
        audit_guard::verify_against(db, &second, &trusted).await?,
        AgainstCheckpoint::Checked(Verification::Intact { .. })
    ));
    assert_eq!(
        audit_guard::verify_against(db, &first, &trusted).await?,
        AgainstCheckpoint::Pruned {
            kept_from: second.seq
        }
    );
    // The officer's page says how much of the trail went.
    let web = app.signed_in(Role::DataProtectionOfficer).await?;
    let (_, page) = web.get_text("/retention").await?;
    assert!(
        page.contains(&format!("{} of its oldest entries removed", second.seq - 1)),
        "the page tells the officer"
    );
    // The trail is append-only again, and says what went.
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = $1")
            .bind(second.seq)
            .execute(db.pool())
            .await
            .is_err()
    );
    let said: Vec<String> = sqlx::query_scalar(
        "SELECT purpose FROM audit_log WHERE entity_kind = 'retention_run' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await?;
    assert!(
        said.iter().any(|p| p.contains(&format!(
            "erased {} of kind \"Audit trail entry\"",
            second.seq - 1
        ))),
        "{said:?}"
    );
    Ok(())
}
