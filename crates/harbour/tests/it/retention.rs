//! Retention and erasure on both databases: a run reports what is due and erases nothing until
//! the data protection officer approves it; erasure then leaves no trace of the person's names,
//! contact details or notes in any column of any table, the reports for the period are what they
//! were, and the audit chain still verifies. A legal hold keeps a person's records until lifted.

use chrono::{Duration, Utc};
use harbour_domain::ids::{CaseId, OnwardId, ReferralId, RetentionRunId};
use harbour_domain::instrument::Instrument;
use harbour_domain::referral::ReferralInput;
use harbour_domain::retention::{RecordKind, RunStatus};
use harbour_domain::role::Role;
use harbour_domain::stats::breakdown::Breakdown;
use harbour_domain::triage::TriageInput;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::cases::{ChangeInput, NoteInput};
use harbour_storage::intake::Submitted;
use harbour_storage::onward::{AttemptInput, ReferOnInput, ReferredOn, StepInput};
use harbour_storage::reports::Filter;
use harbour_storage::retention::runs::erase_run;
use harbour_storage::scoped::ScopedStore;
use harbour_storage::{Db, StorageError};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{IDVA, service_id, store_as};
use harbour_testkit::inspect::where_text_appears;
use serde_json::json;

type R = anyhow::Result<()>;

/// The last six digits of the journey's safe number: in whatever form it is stored.
fn phone(tag: &str) -> &'static str {
    match tag {
        "k7q" => "900417",
        "h4x" => "900528",
        _ => "900639",
    }
}

/// What one journey plants, each unique to it: `{tag}` makes them so.
fn canaries(tag: &str) -> Vec<String> {
    [
        "Zephyrine{tag}",
        "Quillfeather{tag}",
        "{phone}",
        "zq{tag}@example.org",
        "marigold{tag}",
        "Canary Row {tag}",
        "Brannoch{tag}",
        "SP/26/{tag}",
        "referralnote{tag}",
        "triagenote{tag}",
        "onwardnote{tag}",
        "contactnote{tag}",
        "casenote{tag}",
        "closingnote{tag}",
    ]
    .iter()
    .map(|c| c.replace("{tag}", tag).replace("{phone}", phone(tag)))
    .collect()
}

struct Journey {
    referral: ReferralId,
    reference: String,
    case: CaseId,
    onward: OnwardId,
}

/// A police referral triaged by the hub, referred on to the IDVA service with consent, taken on,
/// contacted, noted, closed by the service: every kind of record a victim's support leaves, each
/// carrying `tag`'s canaries.
async fn journey(db: &Db, tag: &str) -> anyhow::Result<Journey> {
    let police = store_as(db, "Staffordshire Police", Role::Referrer).await?;
    let input: ReferralInput = serde_json::from_value(json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": format!("SP/26/{tag}"),
        "incident_date": "2026-11-01",
        "incident_area": "E07000197",
        "person": { "given_name": format!("Zephyrine{tag}"), "family_name": format!("Quillfeather{tag}"),
                    "date_of_birth": "1988-05-06", "gender": "female", "postcode": "ST16 2DH",
                    "area": "E07000197", "address": format!("4 Canary Row {tag}, Stafford") },
        "perpetrators": [ { "relationship": "ex-partner", "name": format!("Brannoch{tag} Vex") } ],
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": format!("07700 {}", phone(tag)) },
                          { "channel": "email", "value": format!("zq{tag}@example.org") } ],
            "code_word": format!("marigold{tag}")
        },
        "notes": format!("referralnote{tag}: he waited outside her work.")
    }))?;
    let Submitted::Created(receipt) = police.submit_referral(&input, None, "test").await? else {
        anyhow::bail!("not created");
    };
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let answers = Instrument::demo()
        .items
        .iter()
        .map(|i| (i.id.clone(), "no".to_owned()))
        .collect();
    hub.triage(
        &receipt.id,
        &TriageInput {
            entitlement: "enhanced".into(),
            entitlement_override_reason: format!("triagenote{tag}"),
            needs: vec!["health".into()],
            answers,
            tier: "targeted".into(),
            tier_reason: format!("triagenote{tag} continuing contact"),
            ..Default::default()
        },
    )
    .await?;
    let onward = match hub
        .refer_onward(
            &receipt.id,
            &ReferOnInput {
                service_id: service_id(db, IDVA).await?,
                consent: harbour_domain::consent::ConsentInput {
                    decision: "given".into(),
                    ..Default::default()
                },
                note: format!("onwardnote{tag}: call on the safe number"),
                ..Default::default()
            },
        )
        .await?
    {
        ReferredOn::Sent { id } => id,
        ReferredOn::ConsentRefused => anyhow::bail!("consent refused"),
    };
    let new_era = store_as(db, "New Era", Role::Caseworker).await?;
    let step = |s: &str| StepInput {
        step: s.into(),
        ..StepInput::default()
    };
    new_era.take_step(&onward, &step("accept")).await?;
    new_era
        .record_contact_attempt(
            &onward,
            &AttemptInput {
                channel: "phone_call".into(),
                result: "spoke".into(),
                note: format!("contactnote{tag}"),
                reason: String::new(),
            },
        )
        .await?;
    let case: String = sqlx::query_scalar("SELECT id FROM cases WHERE onward_referral_id = $1")
        .bind(&onward)
        .fetch_one(db.pool())
        .await?;
    let case = CaseId::from(case);
    new_era
        .add_case_note(
            &case,
            &NoteInput {
                kind: "contact".into(),
                body: format!("casenote{tag}: she is staying with her sister"),
                restricted: false,
                happened_on: harbour_domain::calendar::uk_date(Utc::now()).to_string(),
            },
        )
        .await?;
    new_era
        .change_case(
            &case,
            &ChangeInput {
                change: "close".into(),
                reason: "support_completed".into(),
                note: format!("closingnote{tag}"),
                cope: "yes".into(),
                recover: "yes".into(),
            },
        )
        .await?;
    new_era.take_step(&onward, &step("close")).await?;
    Ok(Journey {
        referral: receipt.id,
        reference: receipt.reference,
        case,
        onward,
    })
}

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
    assert_eq!(
        where_text_appears(db, &strs(&planted)).await?.len() >= planted.len(),
        true,
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
    assert_eq!(
        items(db, &run, RecordKind::CaseNote).await?.len() as u64 >= 1,
        true
    );
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
    // The earlier run for today was replaced by this one.
    assert_eq!(
        dpo.retention_run(&today).await?.status,
        RunStatus::Superseded
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
    dpo.decide_retention_run(&run, true, "").await?;
    erase_run(db, &run, later).await?;
    for tag in ["h4x", "m2v"] {
        let planted = canaries(tag);
        assert_eq!(
            where_text_appears(db, &strs(&planted[..2]))
                .await?
                .is_empty(),
            false,
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
