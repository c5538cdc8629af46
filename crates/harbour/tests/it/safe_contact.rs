//! After a referral goes on, on both databases: an attempt logged outside the person's safe times
//! needs a reason; a service that declined a referral or finished with it gets no way to contact
//! the person; and a declined referral with nowhere else to go says why and where to look.

use harbour_domain::contact_gate::Refusal;
use harbour_domain::onward::{DeclineReason, State};
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use harbour_storage::error::StorageError;
use harbour_storage::onward::{AttemptInput, StepInput};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{ALICE, Case, IDVA, refer_on, service_id, store_as, triaged_referral};
use reqwest::StatusCode;

type R = anyhow::Result<()>;

fn attempt(reason: &str) -> AttemptInput {
    AttemptInput {
        channel: "phone_call".into(),
        result: "no_answer".into(),
        note: String::new(),
        reason: reason.into(),
    }
}

fn invalid(e: StorageError, field: &str) -> String {
    match e {
        StorageError::Invalid(errors) => errors.get(field).unwrap_or_default().to_owned(),
        other => panic!("expected a field error, got {other}"),
    }
}

#[tokio::test]
async fn an_attempt_outside_the_safe_times_is_kept_only_with_a_reason() -> R {
    let app = TestApp::spawn().await?;
    // Safe only tomorrow, all day: now is outside the safe times whenever this runs.
    let referral = triaged_referral(
        &app.db,
        Case {
            safe_day_offset: Some(1),
            ..Case::default()
        },
    )
    .await?;
    let id = refer_on(&app.db, &referral, &service_id(&app.db, IDVA).await?).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let e = new_era
        .record_contact_attempt(&id, &attempt(""))
        .await
        .unwrap_err();
    assert!(
        invalid(e, "reason").starts_with("This is outside the times they said are safe"),
        "refused without a reason"
    );
    assert!(new_era.onward_referral(&id).await?.attempts.is_empty());

    // The page warns and asks for the reason.
    let caseworker = app.signed_in(Role::Caseworker).await?;
    let (_, page) = caseworker.get_text(&format!("/onward/{id}")).await?;
    assert!(page.contains("This is outside the times they said are safe."));
    assert!(page.contains("name=\"attempt/reason\""));
    let r = caseworker
        .submit(
            &format!("/onward/{id}"),
            &format!("/onward/{id}/contact"),
            &[
                ("attempt/channel", "phone_call"),
                ("attempt/result", "no_answer"),
                ("attempt/note", "Rang once."),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await?;
    assert!(
        page.contains("attempt/reason-error"),
        "the message is by the field"
    );
    assert!(page.contains("Rang once."), "what was entered is kept");

    new_era
        .record_contact_attempt(&id, &attempt("She rang us and asked us to call back now."))
        .await?;
    let attempts = new_era.onward_referral(&id).await?.attempts;
    assert_eq!(
        attempts[0].reason.as_deref(),
        Some("She rang us and asked us to call back now.")
    );
    Ok(())
}

#[tokio::test]
async fn an_attempt_within_the_safe_times_needs_no_reason() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            safe_day_offset: Some(0),
            ..Case::default()
        },
    )
    .await?;
    let id = refer_on(&app.db, &referral, &service_id(&app.db, IDVA).await?).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    new_era.record_contact_attempt(&id, &attempt("")).await?;
    let attempts = new_era.onward_referral(&id).await?.attempts;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].reason, None);
    Ok(())
}

#[tokio::test]
async fn a_service_that_declined_gets_no_way_to_contact_the_person() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let id = refer_on(&app.db, &referral, &service_id(&app.db, ALICE).await?).await?;
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(
        alice.contact_permit(&id, Channel::PhoneCall).await?.is_ok(),
        "while it works the referral it may call"
    );
    let decline = StepInput {
        step: "decline".into(),
        reason: DeclineReason::NoCapacity.slug().into(),
        ..Default::default()
    };
    assert_eq!(alice.take_step(&id, &decline).await?, State::Declined);
    let view = alice.onward_referral(&id).await?;
    assert!(view.safe_contact.is_none(), "no contact details");
    assert_eq!(
        alice.contact_permit(&id, Channel::PhoneCall).await?,
        Err(Refusal::NotWorkingReferral)
    );
    let e = alice
        .record_contact_attempt(&id, &attempt("anyway"))
        .await
        .unwrap_err();
    assert!(invalid(e, "channel").contains("no longer working this referral"));
    // The hub, which sent it, still has them.
    assert!(hub.onward_referral(&id).await?.safe_contact.is_some());

    // Nor on its page, nor through the API.
    let alice_email = "caseworker@alice.example";
    harbour_testkit::cases::add_caseworker(&app.db, "The Alice Charity", alice_email).await?;
    let page_client = app.client();
    page_client
        .sign_in(alice_email, harbour_storage::demo::DEMO_PASSWORD)
        .await?;
    let (status, page) = page_client.get_text(&format!("/onward/{id}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("07700 900123"), "no number on the page");
    assert!(!page.contains("Safe to use now"));
    assert!(page.contains("no longer working this referral"));
    let token = app.api_token("The Alice Charity").await?;
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/onward/{id}", app.url))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(body["safe_contact"], serde_json::Value::Null, "{body}");
    assert!(!body.to_string().contains("07700 900123"));
    Ok(())
}

/// Re-routing a declined referral when the service that declined was the only one that fits
/// says so, and points to the directory, rather than offering nothing without a word.
#[tokio::test]
async fn re_routing_with_no_other_service_says_why_and_where_to_look() -> R {
    let app = TestApp::spawn().await?;
    // Someone in Newcastle-under-Lyme needing money and housing help: the Alice Charity fits.
    let referral = triaged_referral(
        &app.db,
        Case {
            area: "E07000195",
            postcode: "ST5 1AB",
            needs: &["finance_and_benefits", "accommodation"],
            ..Case::default()
        },
    )
    .await?;
    let alice = service_id(&app.db, ALICE).await?;
    let id = refer_on(&app.db, &referral, &alice).await?;
    let decline = StepInput {
        step: "decline".into(),
        reason: DeclineReason::NoCapacity.slug().into(),
        ..Default::default()
    };
    store_as(&app.db, "The Alice Charity", Role::Caseworker)
        .await?
        .take_step(&id, &decline)
        .await?;
    // Every other service stops running: the one that declined was the only one that fits.
    sqlx::query("UPDATE dir_services SET status = 'inactive' WHERE id <> $1")
        .bind(&alice)
        .execute(app.db.pool())
        .await?;
    let officer = app.signed_in(Role::TriageOfficer).await?;
    let (status, page) = officer.get_text(&format!("/onward/{id}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("There is no other service to send this referral to."));
    assert!(
        page.contains("was the only service in the directory that fits this person"),
        "says why: {}",
        &page[page.find("There is no other").unwrap_or(0)..][..600.min(page.len())]
    );
    assert!(page.contains("href=\"/directory\""), "and where to look");
    Ok(())
}
