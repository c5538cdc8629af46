//! Onward referrals on both databases: the lifecycle, consent per recipient (refusal and
//! sharing without consent), minimum sharing until the service takes the person on, re-routing
//! a declined referral, deadlines set by the rules and met by the steps, and the contact gate
//! with an unsafe attempt suspending a channel.

use harbour_domain::consent::{ConsentInput, LegalBasis};
use harbour_domain::contact_gate::Refusal;
use harbour_domain::deadline::Milestone;
use harbour_domain::ids::{OnwardId, ReferralId};
use harbour_domain::onward::{DeclineReason, State};
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use harbour_storage::error::StorageError;
use harbour_storage::onward::{AttemptInput, ReferOnInput, ReferredOn, StepInput};
use harbour_storage::scoped::ScopedStore;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{ALICE, Case, IDVA, service_id, store_as, triaged_referral};
use serde_json::json;
use sqlx::Row;

type R = anyhow::Result<()>;

fn given(shares: &[&str]) -> ConsentInput {
    ConsentInput {
        decision: "given".into(),
        shares: shares.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

async fn refer(
    hub: &ScopedStore,
    referral: &ReferralId,
    service: &str,
    consent: ConsentInput,
) -> anyhow::Result<OnwardId> {
    match hub
        .refer_onward(
            referral,
            &ReferOnInput {
                service_id: service.into(),
                consent,
                note: "Needs an IDVA this week.".into(),
                ..Default::default()
            },
        )
        .await?
    {
        ReferredOn::Sent { id } => Ok(id),
        ReferredOn::ConsentRefused => anyhow::bail!("refused"),
    }
}

fn step(name: &str) -> StepInput {
    StepInput {
        step: name.into(),
        ..Default::default()
    }
}

fn field_error(e: StorageError, field: &str) -> String {
    match e {
        StorageError::Invalid(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field}: {errors}"))
            .to_owned(),
        other => panic!("expected a field error, got {other}"),
    }
}

#[tokio::test]
async fn the_lifecycle_runs_with_the_minimum_shared_until_the_service_takes_the_person_on() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk: false,
            safe_times: true,
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let id = refer(&hub, &referral, &idva, given(&["identity"])).await?;

    // Another agency's caseworker sees nothing of it.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(alice.inbox(false).await?.is_empty());
    assert!(matches!(
        alice.onward_referral(&id).await,
        Err(StorageError::NotFound(_))
    ));

    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let inbox = new_era.inbox(false).await?;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].given_name, "Alys");
    assert_eq!(inbox[0].state, State::Sent);
    assert_eq!(inbox[0].next_due_milestone, Some(Milestone::Acknowledge));
    let before = new_era.onward_referral(&id).await?;
    assert_eq!(
        before.shared.full_name, None,
        "no more than the minimum before accepting"
    );
    assert_eq!(before.shared.perpetrators, None);
    assert_eq!(
        before.safe_contact.and_then(|s| s.code_word).as_deref(),
        Some("bluebell")
    );
    assert_eq!(before.age, Some(36));

    // Each side takes only its own steps, and only when they can be taken.
    let e = new_era.take_step(&id, &step("withdraw")).await.unwrap_err();
    assert_eq!(field_error(e, "step"), "Only the sender can withdraw.");
    let e = hub.take_step(&id, &step("accept")).await.unwrap_err();
    assert!(field_error(e, "step").contains("Only the service"));
    let e = new_era
        .take_step(&id, &step("start_service"))
        .await
        .unwrap_err();
    assert_eq!(
        field_error(e, "step"),
        "This referral is sent: start support is not possible now."
    );

    assert_eq!(
        new_era.take_step(&id, &step("acknowledge")).await?,
        State::Acknowledged
    );
    assert_eq!(
        new_era.take_step(&id, &step("accept")).await?,
        State::Accepted
    );
    let after = new_era.onward_referral(&id).await?;
    assert_eq!(after.shared.full_name.as_deref(), Some("Alys Brereton"));
    assert_eq!(
        after.shared.address.as_deref(),
        Some("4 Quiet Lane, Stafford")
    );
    assert_eq!(after.shared.perpetrators, None, "not consented");
    assert_eq!(after.shared.referral_notes, None, "not consented");

    assert_eq!(
        new_era.take_step(&id, &step("start_service")).await?,
        State::InService
    );
    let e = new_era
        .take_step(&id, &step("record_outcome"))
        .await
        .unwrap_err();
    assert_eq!(field_error(e, "outcome"), "Choose how support ended");
    let outcome = StepInput {
        outcome: "needs_met".into(),
        ..step("record_outcome")
    };
    assert_eq!(
        new_era.take_step(&id, &outcome).await?,
        State::OutcomeRecorded
    );
    assert_eq!(new_era.take_step(&id, &step("close")).await?, State::Closed);
    let e = new_era.take_step(&id, &step("accept")).await.unwrap_err();
    assert!(field_error(e, "step").starts_with("This referral is closed"));

    // The hub sees everything and the whole history, with who and when.
    let seen = hub.onward_referral(&id).await?;
    assert_eq!(seen.shared.perpetrators.map(|p| p.len()), Some(1));
    let steps: Vec<&str> = seen.events.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "send",
            "acknowledge",
            "accept",
            "start_service",
            "record_outcome",
            "close"
        ]
    );
    assert!(
        seen.deadlines.iter().all(|d| d.met_at.is_some()),
        "closed: nothing left due"
    );
    assert!(
        new_era.inbox(false).await?.is_empty(),
        "finished ones leave the inbox"
    );
    assert_eq!(new_era.inbox(true).await?.len(), 1);
    let status: String = sqlx::query("SELECT status FROM referrals WHERE id = $1")
        .bind(&referral)
        .fetch_one(app.db.pool())
        .await?
        .get("status");
    assert_eq!(status, "referred_on");

    // Every read is audited, and says how much was shared.
    let purposes: Vec<String> = sqlx::query(
        "SELECT purpose FROM audit_log WHERE entity_kind = 'onward_referral' AND entity_id = $1 ORDER BY seq",
    )
    .bind(id.as_str())
    .fetch_all(app.db.pool())
    .await?
    .iter()
    .map(|r| r.get("purpose"))
    .collect();
    assert!(
        purposes
            .iter()
            .any(|p| p == "read an onward referral (minimum shared)")
    );
    assert!(
        purposes
            .iter()
            .any(|p| p == "read an onward referral (shared by consent: identity)")
    );
    Ok(())
}

#[tokio::test]
async fn a_refusal_sends_nothing_and_sharing_without_consent_needs_a_basis_and_is_flagged() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            safe_times: true,
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let refused = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: idva.clone(),
                consent: ConsentInput {
                    decision: "refused".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(refused, ReferredOn::ConsentRefused);
    let count = |table: &'static str| harbour_testkit::inspect::rows(&app.db, table);
    assert_eq!(count("onward_referrals").await?, 0, "nothing sent");
    assert_eq!(count("consents").await?, 1, "the refusal is recorded");

    // A caseworker may not refer on, let alone without consent.
    let caseworker = store_as(&app.db, "New Era", Role::Caseworker).await?;
    assert!(matches!(
        caseworker
            .refer_onward(&referral, &ReferOnInput::default())
            .await,
        Err(StorageError::Denied(_))
    ));

    let mut override_input = ConsentInput {
        decision: "override".into(),
        basis: "safeguarding".into(),
        justification: "too short".into(),
        shares: vec!["identity".into(), "children".into()],
        ..Default::default()
    };
    let e = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: idva.clone(),
                consent: override_input.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(field_error(e, "consent/justification").contains("necessary and proportionate"));
    override_input.justification =
        "Children in the household and threats to kill made yesterday.".into();
    let id = refer(&hub, &referral, &idva, override_input).await?;
    let view = hub.onward_referral(&id).await?;
    assert_eq!(view.consent.decision, "override");
    assert_eq!(view.consent.legal_basis, Some(LegalBasis::Safeguarding));
    let flagged: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'share_without_consent' AND entity_id = $1",
    )
    .bind(id.as_str())
    .fetch_one(app.db.pool())
    .await?
    .get("n");
    assert_eq!(flagged, 1, "flagged in the audit trail");
    Ok(())
}

#[tokio::test]
async fn a_declined_referral_is_rerouted_and_the_referrer_sees_what_happened() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk: false,
            safe_times: true,
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let alice_service = service_id(&app.db, ALICE).await?;
    let id = refer(&hub, &referral, &alice_service, given(&[])).await?;
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    let e = alice.take_step(&id, &step("decline")).await.unwrap_err();
    assert_eq!(
        field_error(e, "reason"),
        "Choose why the referral is declined"
    );
    let other = StepInput {
        reason: "other".into(),
        ..step("decline")
    };
    let e = alice.take_step(&id, &other).await.unwrap_err();
    assert_eq!(field_error(e, "note"), "Say why the referral is declined");
    let decline = StepInput {
        reason: DeclineReason::NoCapacity.slug().into(),
        note: "No furniture stock until January.".into(),
        ..step("decline")
    };
    assert_eq!(alice.take_step(&id, &decline).await?, State::Declined);

    // The hub re-routes it to New Era.
    let idva = service_id(&app.db, IDVA).await?;
    let reroute = StepInput {
        reroute: Some(ReferOnInput {
            service_id: idva.clone(),
            consent: given(&["identity", "incident"]),
            note: "Alice Charity has no stock; IDVA to pick up.".into(),
            ..Default::default()
        }),
        ..step("reroute")
    };
    assert_eq!(hub.take_step(&id, &reroute).await?, State::Rerouted);

    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    let seen = police.onward_for_referral(&referral).await?;
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].state, State::Rerouted);
    assert_eq!(seen[0].decline_reason, Some(DeclineReason::NoCapacity));
    assert_eq!(seen[1].state, State::Sent);
    assert_eq!(seen[1].service_id, idva.as_str());
    // Someone who did not make the referral sees none of it.
    let other_referrer = store_as(&app.db, "Staffordshire Victim Gateway", Role::Referrer).await?;
    assert!(other_referrer.onward_for_referral(&referral).await.is_err());
    Ok(())
}

#[tokio::test]
async fn deadlines_follow_the_rules_and_contact_attempts_meet_them_and_an_unsafe_one_stops_the_channel()
-> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            safe_times: false,
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let id = refer(&hub, &referral, &idva, given(&["identity"])).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let view = new_era.onward_referral(&id).await?;
    let milestones: Vec<(Milestone, String)> = view
        .deadlines
        .iter()
        .map(|d| (d.milestone, d.rule_name.clone()))
        .collect();
    assert_eq!(milestones.len(), 2, "{milestones:?}");
    assert!(
        milestones.iter().any(
            |(m, rule)| *m == Milestone::FirstContactAttempt && rule.contains("2 working days")
        )
    );

    // No safe times were given: the phone may be used now, with the code word.
    let permit = new_era
        .contact_permit(&id, Channel::PhoneCall)
        .await?
        .unwrap();
    assert_eq!(permit.to, "07700 900123");
    assert_eq!(permit.code_word.as_deref(), Some("bluebell"));
    assert_eq!(
        new_era.contact_permit(&id, Channel::Sms).await?,
        Err(Refusal::ChannelNotAllowed(Channel::Sms))
    );

    let bad = AttemptInput {
        channel: "pigeon".into(),
        result: "spoke".into(),
        ..Default::default()
    };
    let e = new_era.record_contact_attempt(&id, &bad).await.unwrap_err();
    assert_eq!(
        field_error(e, "channel"),
        "Choose how contact was attempted"
    );
    let unsafe_attempt = AttemptInput {
        channel: "phone_call".into(),
        result: "unsafe".into(),
        note: "A man answered; hung up.".into(),
        ..Default::default()
    };
    new_era.record_contact_attempt(&id, &unsafe_attempt).await?;
    assert_eq!(
        new_era.contact_permit(&id, Channel::PhoneCall).await?,
        Err(Refusal::ChannelSuspended(Channel::PhoneCall))
    );
    assert!(
        new_era.contact_permit(&id, Channel::Email).await?.is_ok(),
        "only that channel"
    );
    let view = new_era.onward_referral(&id).await?;
    assert_eq!(view.suspended, [Channel::PhoneCall]);
    let attempt = view
        .deadlines
        .iter()
        .find(|d| d.milestone == Milestone::FirstContactAttempt)
        .unwrap();
    assert!(
        attempt.met_at.is_some(),
        "an attempt meets the first-attempt deadline"
    );

    let e = new_era
        .review_channel(&id, Channel::PhoneCall, "ok")
        .await
        .unwrap_err();
    assert!(field_error(e, "review_note").contains("at least 10 characters"));
    new_era
        .review_channel(
            &id,
            Channel::PhoneCall,
            "Spoke by email: she has a new phone the ex cannot see.",
        )
        .await?;
    assert!(
        new_era
            .contact_permit(&id, Channel::PhoneCall)
            .await?
            .is_ok()
    );
    Ok(())
}

/// Each deadline rule, with the send time set: working days skip weekends and bank holidays
/// (Christmas with its substitute Boxing Day, New Year, Good Friday and Easter Monday), end at
/// the end of the UK day (across the clock change), and clock hours do not skip anything.
#[tokio::test]
async fn every_deadline_rule_counts_across_weekends_and_bank_holidays() -> R {
    use chrono::{NaiveDate, NaiveTime};
    use harbour_domain::contact_gate::uk_time;
    use harbour_domain::deadline::Circumstance;
    let app = TestApp::spawn().await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let uk = |y, m, d, h, min| {
        uk_time(
            NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
            NaiveTime::from_hms_opt(h, min, 0).unwrap_or_default(),
        )
    };
    let send = async |case: Case, input: ReferOnInput| -> anyhow::Result<Vec<(String, String)>> {
        let referral = triaged_referral(&app.db, case).await?;
        let id = match hub
            .refer_onward(
                &referral,
                &ReferOnInput {
                    service_id: idva.clone(),
                    consent: given(&[]),
                    ..input
                },
            )
            .await?
        {
            ReferredOn::Sent { id } => id,
            ReferredOn::ConsentRefused => anyhow::bail!("not sent"),
        };
        Ok(sqlx::query(
            "SELECT milestone, due_at FROM onward_deadlines WHERE onward_referral_id = $1 ORDER BY milestone",
        )
        .bind(id.as_str())
        .fetch_all(app.db.pool())
        .await?
        .iter()
        .map(|r| (r.get("milestone"), r.get("due_at")))
        .collect())
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };

    // Sent on Christmas Eve 2021 (a Friday): the weekend, the substitute days for Christmas and
    // Boxing Day (27th and 28th) and for New Year's Day (3 January) are skipped.
    let due = send(
        Case::default(),
        ReferOnInput {
            sent_at: Some(uk(2021, 12, 24, 15, 0)),
            ..Default::default()
        },
    )
    .await?;
    assert_eq!(
        due,
        pairs(&[
            ("acknowledge", "2021-12-29T23:59:59.000000Z"),
            ("first_contact_attempt", "2022-01-05T23:59:59.000000Z"),
        ])
    );

    // High risk, sent on Good Friday: Easter Monday is skipped, and the clock has gone forward,
    // so the end of the UK day is 22:59:59 UTC.
    let due = send(
        Case {
            high_risk: true,
            ..Case::default()
        },
        ReferOnInput {
            sent_at: Some(uk(2026, 4, 3, 16, 0)),
            ..Default::default()
        },
    )
    .await?;
    assert_eq!(
        due,
        pairs(&[
            ("acknowledge", "2026-04-07T22:59:59.000000Z"),
            ("first_contact_attempt", "2026-04-08T22:59:59.000000Z"),
        ])
    );

    // A child back from missing on Boxing Day night: 72 clock hours, holidays or not.
    let due = send(
        Case::default(),
        ReferOnInput {
            sent_at: Some(uk(2025, 12, 27, 9, 0)),
            circumstances: vec![Circumstance::ChildReturnedFromMissing],
            returned_at: Some(uk(2025, 12, 26, 21, 30)),
            ..Default::default()
        },
    )
    .await?;
    assert!(
        due.contains(&(
            "return_home_interview".to_owned(),
            "2025-12-29T21:30:00.000000Z".to_owned()
        )),
        "{due:?}"
    );

    // Business crime reported on a Friday evening: contacted by the end of Monday, counted from
    // the report, not from when it was referred on.
    let referral_time = uk(2026, 11, 20, 17, 0);
    let case = Case {
        crime: "business_crime",
        ..Case::default()
    };
    let referral = triaged_referral(&app.db, case).await?;
    sqlx::query("UPDATE referrals SET received_at = $1 WHERE id = $2")
        .bind(referral_time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .bind(&referral)
        .execute(app.db.pool())
        .await?;
    let sent = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: idva.clone(),
                consent: given(&[]),
                sent_at: Some(uk(2026, 11, 23, 9, 0)),
                ..Default::default()
            },
        )
        .await?;
    let ReferredOn::Sent { id } = sent else {
        anyhow::bail!("not sent");
    };
    let first_contact: String = sqlx::query(
        "SELECT due_at FROM onward_deadlines WHERE onward_referral_id = $1 AND milestone = 'first_contact'",
    )
    .bind(id.as_str())
    .fetch_one(app.db.pool())
    .await?
    .get("due_at");
    assert_eq!(first_contact, "2026-11-23T23:59:59.000000Z");

    // A send time in the future is refused.
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let e = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: idva.clone(),
                consent: given(&[]),
                sent_at: Some(chrono::Utc::now() + chrono::Duration::days(1)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(field_error(e, "sent_at").contains("future"));
    Ok(())
}

/// An agency's own case system works its inbox through the API: it sees the minimum until it
/// accepts, steps are checked like the pages' (problem+json naming the field), and another
/// agency's system finds nothing.
#[tokio::test]
async fn an_agency_system_works_its_inbox_through_the_api() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let id = refer(&hub, &referral, &idva, given(&["identity"])).await?;
    let token = app.api_token("New Era").await?;
    let http = reqwest::Client::new();
    let get = |path: String, token: String| {
        let http = http.clone();
        let url = format!("{}{path}", app.url);
        async move { http.get(url).bearer_auth(token).send().await }
    };
    let post = |body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{}/api/v1/onward/{id}/steps", app.url);
        let token = token.clone();
        async move { http.post(url).bearer_auth(token).json(&body).send().await }
    };

    let r = get("/api/v1/onward".into(), token.clone()).await?;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let text = r.text().await?;
    assert!(!text.contains("Brereton"), "the minimum: {text}");
    let list: serde_json::Value = serde_json::from_str(&text)?;
    assert_eq!(list["onward_referrals"][0]["id"], id.as_str());
    assert_eq!(list["onward_referrals"][0]["given_name"], "Alys");
    assert_eq!(list["onward_referrals"][0]["state"], "sent");

    let one: serde_json::Value = get(format!("/api/v1/onward/{id}"), token.clone())
        .await?
        .json()
        .await?;
    assert!(one["shared"]["full_name"].is_null());
    assert!(
        one["steps_open"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == "accept"))
    );
    assert_eq!(one["safe_contact"]["channels"][0]["usable_now"], true);
    assert_eq!(one["safe_contact"]["code_word"], "bluebell");

    // A step that is not possible now, and a decline without a reason: problem+json.
    let r = post(json!({ "step": "start_service" })).await?;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await?;
    assert_eq!(p["errors"][0]["pointer"], "#/step");
    let p: serde_json::Value = post(json!({ "step": "decline" })).await?.json().await?;
    assert_eq!(p["errors"][0]["pointer"], "#/reason");

    // Accepted, it sees what consent allows.
    let r = post(json!({ "step": "accept" })).await?;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let one: serde_json::Value = r.json().await?;
    assert_eq!(one["state"], "accepted");
    assert_eq!(one["shared"]["full_name"], "Alys Brereton");
    assert!(one["shared"]["police_reference"].is_null(), "not consented");

    // Another agency's system finds nothing.
    let other = app.api_token("The Alice Charity").await?;
    let r = get(format!("/api/v1/onward/{id}"), other.clone()).await?;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    let list: serde_json::Value = get("/api/v1/onward".into(), other).await?.json().await?;
    assert_eq!(list["onward_referrals"], json!([]));
    Ok(())
}

/// Lifting a suspended channel needs a reason: a short one is refused beside the field and what
/// was typed is kept; a good one makes the channel usable again.
#[tokio::test]
async fn a_suspended_channel_is_lifted_only_with_a_reason_and_the_form_keeps_what_was_typed() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let id = refer(&hub, &referral, &idva, given(&[])).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    new_era
        .record_contact_attempt(
            &id,
            &AttemptInput {
                channel: "phone_call".into(),
                result: "unsafe".into(),
                ..Default::default()
            },
        )
        .await?;
    let caseworker = app.signed_in(Role::Caseworker).await?;
    let page = format!("/onward/{id}");
    let action = format!("/onward/{id}/review");
    let r = caseworker
        .submit(
            &page,
            &action,
            &[("channel", "phone_call"), ("review_note", "ok now")],
        )
        .await?;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    assert!(html.contains("id=\"review/phone_call/review_note-error\""));
    assert!(html.contains(">ok now</textarea>"), "kept");
    let r = caseworker
        .submit(
            &page,
            &action,
            &[
                ("channel", "phone_call"),
                (
                    "review_note",
                    "Spoke to her by e-mail: the phone is hers alone again.",
                ),
            ],
        )
        .await?;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(
        new_era
            .contact_permit(&id, Channel::PhoneCall)
            .await?
            .is_ok()
    );
    Ok(())
}
