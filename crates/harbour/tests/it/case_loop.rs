//! A case and the onward referral it came from, on both databases: closing the case records how
//! support ended on the referral (so the hub hears), reopening resumes it; a transfer goes to
//! another service with the person's consent, and closes the case when that service accepts.

use crate::cases::accepted_case;
use harbour_domain::case::{CaseStatus, ClosureReason, OutcomeAnswer};
use harbour_domain::consent::ConsentInput;
use harbour_domain::ids::OnwardId;
use harbour_domain::onward::State;
use harbour_domain::role::Role;
use harbour_storage::cases::{CaseloadFilter, ChangeInput};
use harbour_storage::error::StorageError;
use harbour_storage::onward::{AttemptInput, ReferOnInput, ReferredOn, StepInput};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{ALICE, IDVA, service_id, store_as};
use sqlx::Row;

type R = anyhow::Result<()>;

async fn onward_state(app: &TestApp, id: &str) -> anyhow::Result<(String, Option<String>)> {
    let row = sqlx::query("SELECT state, outcome FROM onward_referrals WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await?;
    Ok((row.get("state"), row.get("outcome")))
}

#[tokio::test]
async fn closing_a_case_records_the_outcome_on_its_referral_and_reopening_resumes_it() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let onward = cw
        .case(&id)
        .await?
        .summary
        .onward_id
        .expect("from a referral");
    assert_eq!(onward_state(&app, onward.as_str()).await?.0, "accepted");

    cw.change_case(
        &id,
        &ChangeInput {
            change: "close".into(),
            reason: "support_completed".into(),
            cope: "yes".into(),
            recover: "no".into(),
            ..ChangeInput::default()
        },
    )
    .await?;
    assert_eq!(
        onward_state(&app, onward.as_str()).await?,
        ("outcome_recorded".into(), Some("needs_met".into()))
    );
    // The hub sees it on the referral it sent, step by step.
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let view = hub.onward_referral(&onward).await?;
    assert_eq!(view.summary.state, State::OutcomeRecorded);
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT step FROM onward_events WHERE onward_referral_id = $1 ORDER BY at, id",
    )
    .bind(onward.as_str())
    .fetch_all(app.db.pool())
    .await?;
    assert_eq!(steps, ["send", "accept", "start_service", "record_outcome"]);

    cw.change_case(
        &id,
        &ChangeInput {
            change: "reopen".into(),
            reason: "She called: he is out on licence".into(),
            ..ChangeInput::default()
        },
    )
    .await?;
    assert_eq!(onward_state(&app, onward.as_str()).await?.0, "in_service");
    // Closing again records the new outcome.
    cw.change_case(
        &id,
        &ChangeInput {
            change: "close".into(),
            reason: "moved_away".into(),
            cope: "not_asked".into(),
            recover: "not_asked".into(),
            ..ChangeInput::default()
        },
    )
    .await?;
    assert_eq!(
        onward_state(&app, onward.as_str()).await?,
        ("outcome_recorded".into(), Some("moved_away".into()))
    );
    Ok(())
}

fn transfer_to(service: &str, decision: &str) -> ReferOnInput {
    ReferOnInput {
        service_id: service.to_owned(),
        consent: ConsentInput {
            decision: decision.into(),
            shares: vec!["identity".into()],
            ..ConsentInput::default()
        },
        note: "She has moved near the charity's shop and wants help with furniture".into(),
        ..ReferOnInput::default()
    }
}

#[tokio::test]
async fn a_case_is_transferred_with_consent_and_closes_when_the_new_service_accepts() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let alice_service = service_id(&app.db, ALICE).await?;
    let own_service = service_id(&app.db, IDVA).await?;

    // Not to its own service; consent must be answered; the list leaves its own agency out.
    let e = cw
        .transfer_case(&id, &transfer_to(&own_service, "given"))
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Invalid(ref errors) if errors.get("service_id").is_some()));
    let e = cw
        .transfer_case(&id, &transfer_to(&alice_service, ""))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StorageError::Invalid(ref errors) if errors.get("consent/decision").is_some())
    );
    let services = cw.transfer_services().await?;
    assert!(services.iter().any(|s| s.service_id == alice_service));
    assert!(services.iter().all(|s| s.service_id != own_service));

    // A refusal is recorded and nothing is sent.
    assert_eq!(
        cw.transfer_case(&id, &transfer_to(&alice_service, "refused"))
            .await?,
        ReferredOn::ConsentRefused
    );
    assert!(cw.case(&id).await?.transfers.is_empty());
    let ReferredOn::Sent { id: sent } = cw
        .transfer_case(&id, &transfer_to(&alice_service, "given"))
        .await?
    else {
        panic!("consent given, so sent")
    };
    let view = cw.case(&id).await?;
    assert_eq!(view.summary.status, CaseStatus::Open, "open until accepted");
    assert_eq!(view.transfers.len(), 1);
    assert_eq!(view.transfers[0].state, State::Sent);
    let refusals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM consents c JOIN onward_referrals o ON o.referral_id = c.referral_id \
         WHERE o.id = $1 AND c.decision = 'refused'",
    )
    .bind(sent.as_str())
    .fetch_one(app.db.pool())
    .await?;
    assert_eq!(refusals, 1);

    // The Alice Charity accepts: its case opens, New Era's closes as transferred, and the
    // referral New Era's case came from records the outcome.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    alice
        .take_step(
            &sent,
            &StepInput {
                step: "accept".into(),
                ..StepInput::default()
            },
        )
        .await?;
    let theirs = alice.caseload(&CaseloadFilter::default()).await?;
    assert_eq!(theirs.total, 1);
    let closed = cw.case(&id).await?.summary;
    assert_eq!(closed.status, CaseStatus::Closed);
    assert_eq!(closed.closure_reason, Some(ClosureReason::Transferred));
    assert_eq!(closed.cope, Some(OutcomeAnswer::NotAsked));
    let origin: OnwardId = closed.onward_id.expect("from a referral");
    assert_eq!(
        onward_state(&app, origin.as_str()).await?,
        ("outcome_recorded".into(), Some("transferred_on".into()))
    );
    assert_eq!(cw.case(&id).await?.transfers[0].state, State::Accepted);
    // The new service's case is its own: New Era cannot open it.
    assert!(matches!(
        cw.case(&theirs.cases[0].id).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}

#[tokio::test]
async fn the_contact_log_on_the_case_is_the_referrals_and_speaking_moves_the_last_contact() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let onward = cw
        .case(&id)
        .await?
        .summary
        .onward_id
        .expect("from a referral");
    let attempt = |result: &str| AttemptInput {
        channel: "phone_call".into(),
        result: result.into(),
        note: format!("{result} on the safe number"),
        reason: String::new(),
    };
    cw.record_contact_attempt(&onward, &attempt("no_answer"))
        .await?;
    let view = cw.case(&id).await?;
    assert_eq!(view.contacts.len(), 1);
    assert!(
        view.summary.last_contact_at.is_none(),
        "no answer is no contact"
    );
    cw.record_contact_attempt(&onward, &attempt("spoke"))
        .await?;
    let view = cw.case(&id).await?;
    assert_eq!(view.contacts.len(), 2);
    assert_eq!(view.contacts[1].note, "spoke on the safe number");
    assert!(
        view.summary.last_contact_at.is_some(),
        "speaking to her is contact"
    );

    // Closing for no contact needs the safe attempts made since she was last reached.
    let close = ChangeInput {
        change: "close".into(),
        reason: "no_contact".into(),
        cope: "not_asked".into(),
        recover: "not_asked".into(),
        ..ChangeInput::default()
    };
    let e = cw.change_case(&id, &close).await.unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("refused")
    };
    assert!(
        errors.get("reason").unwrap().contains("(0 since"),
        "{errors}"
    );
    for _ in 0..3 {
        cw.record_contact_attempt(&onward, &attempt("no_answer"))
            .await?;
    }
    cw.change_case(&id, &close).await?;
    assert_eq!(
        onward_state(&app, onward.as_str()).await?,
        ("outcome_recorded".into(), Some("disengaged".into()))
    );
    Ok(())
}
