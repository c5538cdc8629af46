//! MARAC on both databases: a coordinator schedules meetings; the hub refers a high-risk victim,
//! who is listed for the next meeting with room; a repeat within 12 months with the same
//! perpetrator is found, a different perpetrator is not; an agency that does not attend the MARAC
//! finds nothing.

use harbour_domain::ids::MaracId;
use harbour_domain::role::Role;
use harbour_storage::error::StorageError;
use harbour_storage::marac::{MaracReferralInput, MaracSetup, MeetingInput, create_marac};
use harbour_storage::scoped::ScopedStore;
use harbour_testkit::TestApp;
use harbour_testkit::app::demo_email;
use harbour_testkit::cases::{Case, store_as, triaged_referral};
use sqlx::Row;

type R = anyhow::Result<()>;

async fn coordinator(app: &TestApp) -> anyhow::Result<ScopedStore> {
    let agency: String = sqlx::query(
        "SELECT a.name FROM users u JOIN agencies a ON a.id = u.agency_id WHERE u.email = $1",
    )
    .bind(demo_email(Role::MaracCoordinator))
    .fetch_one(app.db.pool())
    .await?
    .get("name");
    store_as(&app.db, &agency, Role::MaracCoordinator).await
}

async fn north(app: &TestApp, capacity: i64) -> anyhow::Result<MaracId> {
    Ok(create_marac(
        &app.db,
        &MaracSetup {
            name: "Test North MARAC".into(),
            areas: vec!["E07000197".into(), "E07000195".into()],
            members: vec![
                "Staffordshire Police".into(),
                "Staffordshire Victim Gateway".into(),
                "New Era".into(),
            ],
            coordinator_email: Some(demo_email(Role::MaracCoordinator)),
            capacity,
            idva_posts: 4,
            coordinator_posts: 1,
        },
    )
    .await?)
}

fn meeting(in_days: u64) -> MeetingInput {
    let on = chrono::Utc::now().date_naive() + chrono::Days::new(in_days);
    MeetingInput {
        held_on: on.format("%-d/%-m/%Y").to_string(),
        starts_at: "10:00".into(),
        place: "Stafford police station, conference room 2".into(),
        chair: "DI Morgan".into(),
        ..MeetingInput::default()
    }
}

fn form(marac: &MaracId) -> MaracReferralInput {
    MaracReferralInput {
        marac_id: marac.to_string(),
        referring_officer: "Sam Okafor, hub triage officer".into(),
        victim_aware: "yes".into(),
        victim_consented: "yes".into(),
        afraid_of: "Her ex-partner, Rhys Calder".into(),
        safe_to_talk: "Her sister".into(),
        minoritised: "not_known".into(),
        lgbt: "no".into(),
        disabled: "no".into(),
        ..MaracReferralInput::default()
    }
}

#[tokio::test]
async fn a_high_risk_victim_is_referred_and_listed_for_the_next_meeting_with_room() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 1).await?;
    let coord = coordinator(&app).await?;
    let e = coord
        .schedule_meeting(&marac, &MeetingInput::default())
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    for field in ["held_on", "starts_at", "place", "chair"] {
        assert!(errors.get(field).is_some(), "{field}");
    }
    let mut past = meeting(0);
    past.held_on = "1/1/2020".into();
    assert!(matches!(
        coord.schedule_meeting(&marac, &past).await,
        Err(StorageError::Invalid(_))
    ));
    // Referred before any meeting is scheduled: the case waits, and the first meeting takes it.
    let early = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            given_name: "Carys",
            family_name: "Pryce",
            ..Case::default()
        },
    )
    .await?;
    let hub0 = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let waiting = hub0.refer_to_marac(&early, &form(&marac)).await?;
    assert!(waiting.meeting.is_none());
    assert_eq!(coord.marac_counts().await?.unlisted, 1);
    let zeroth = coord.schedule_meeting(&marac, &meeting(3)).await?;
    assert_eq!(
        coord.agenda(&zeroth).await?.cases.len(),
        1,
        "the waiting case listed"
    );
    let first = coord.schedule_meeting(&marac, &meeting(7)).await?;
    let second = coord.schedule_meeting(&marac, &meeting(21)).await?;

    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let high = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    // The form's own answers are needed; the criteria come from triage.
    let e = hub
        .refer_to_marac(&high, &MaracReferralInput::default())
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    for field in [
        "referring_officer",
        "victim_aware",
        "victim_consented",
        "afraid_of",
        "minoritised",
    ] {
        assert!(errors.get(field).is_some(), "{field}");
    }
    assert!(
        errors.get("judgement_reason").is_none(),
        "high risk meets the criteria"
    );
    let referred = hub.refer_to_marac(&high, &form(&marac)).await?;
    assert_eq!(referred.meeting.as_ref(), Some(&first));
    assert!(referred.repeat_of.is_none());
    assert!(referred.reference.starts_with("TNM-"));
    // Not twice while the first is open.
    assert!(matches!(
        hub.refer_to_marac(&high, &form(&marac)).await,
        Err(StorageError::Invalid(_))
    ));

    // Below the criteria, only with professional judgement; the first meeting is full (capacity 1).
    let below = triaged_referral(
        &app.db,
        Case {
            given_name: "Bethan",
            family_name: "Morrow",
            ..Case::default()
        },
    )
    .await?;
    let e = hub.refer_to_marac(&below, &form(&marac)).await.unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(errors.get("judgement_reason").is_some());
    let judged = MaracReferralInput {
        judgement_reason: "Honour-based abuse from the extended family".into(),
        ..form(&marac)
    };
    let listed = hub.refer_to_marac(&below, &judged).await?;
    assert_eq!(
        listed.meeting.as_ref(),
        Some(&second),
        "the next meeting with room"
    );

    let agenda = coord.agenda(&first).await?;
    assert_eq!(agenda.cases.len(), 1);
    assert_eq!(agenda.cases[0].given_name, "Alys");
    assert_eq!(agenda.expected.len(), 3);
    let meetings = coord.meetings(&marac, None).await?;
    assert_eq!(
        meetings.iter().map(|m| m.listed).collect::<Vec<_>>(),
        [1, 1, 1]
    );

    // The coordinator moves a case to another meeting, or off the agenda, while it waits.
    coord
        .move_marac_case(&referred.case, second.as_str())
        .await?;
    assert_eq!(coord.agenda(&second).await?.cases.len(), 2);
    assert!(matches!(
        coord
            .move_marac_case(&referred.case, "no-such-meeting")
            .await,
        Err(StorageError::Invalid(_))
    ));
    coord.move_marac_case(&referred.case, "").await?;
    assert!(coord.marac_case(&referred.case).await?.meeting_id.is_none());
    coord
        .move_marac_case(&referred.case, first.as_str())
        .await?;

    // An agency that does not attend finds nothing.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.agenda(&first).await,
        Err(StorageError::NotFound(_))
    ));
    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    assert!(police.maracs().await?.iter().any(|m| m.id == marac));
    assert!(!alice.maracs().await?.iter().any(|m| m.id == marac));
    Ok(())
}

#[tokio::test]
async fn a_repeat_is_the_same_victim_and_perpetrator_within_twelve_months() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 16).await?;
    coordinator(&app)
        .await?
        .schedule_meeting(&marac, &meeting(7))
        .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let first = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let referred = hub.refer_to_marac(&first, &form(&marac)).await?;
    // Heard and closed months ago.
    sqlx::query("UPDATE marac_cases SET status = 'closed', referred_at = $1 WHERE id = $2")
        .bind(harbour_storage::db::format_time(
            chrono::Utc::now() - chrono::Duration::days(200),
        ))
        .bind(referred.case.as_str())
        .execute(app.db.pool())
        .await?;
    let person: String = sqlx::query("SELECT person_id FROM referrals WHERE id = $1")
        .bind(first.as_str())
        .fetch_one(app.db.pool())
        .await?
        .get("person_id");
    // A new referral about her (recognition links it to her), naming the same man.
    let again = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    sqlx::query("UPDATE referrals SET person_id = $1 WHERE id = $2")
        .bind(&person)
        .bind(again.as_str())
        .execute(app.db.pool())
        .await?;
    let repeat = hub.refer_to_marac(&again, &form(&marac)).await?;
    assert_eq!(repeat.repeat_of.as_ref(), Some(&referred.case));
    // Triage reads MARAC cases too: her earlier one, within 12 months of this incident (the
    // test referral's, 1 November 2026), is the repeat criterion.
    sqlx::query("UPDATE marac_cases SET referred_at = '2026-06-01T09:00:00Z' WHERE id = $1")
        .bind(referred.case.as_str())
        .execute(app.db.pool())
        .await?;
    let criteria = hub.triage_context(&again).await?.marac_from_records;
    assert!(criteria.repeat, "{criteria:?}");
    assert_eq!(criteria.last_marac_referral, "2026-06-01".parse().ok());
    sqlx::query("UPDATE marac_cases SET referred_at = $1 WHERE id = $2")
        .bind(harbour_storage::db::format_time(
            chrono::Utc::now() - chrono::Duration::days(200),
        ))
        .bind(referred.case.as_str())
        .execute(app.db.pool())
        .await?;
    let agenda = hub.agenda(repeat.meeting.as_ref().expect("listed")).await?;
    assert!(agenda.cases.iter().any(|c| c.repeat));

    // The same victim with a different perpetrator is a new referral.
    sqlx::query("UPDATE marac_cases SET status = 'closed' WHERE id = $1")
        .bind(repeat.case.as_str())
        .execute(app.db.pool())
        .await?;
    sqlx::query("UPDATE marac_cases SET perpetrators = $1")
        .bind(r#"[{"name":"Darren Pike","relationship":"ex-partner","gender":"","age":null}]"#)
        .execute(app.db.pool())
        .await?;
    let third = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    sqlx::query("UPDATE referrals SET person_id = $1 WHERE id = $2")
        .bind(&person)
        .bind(third.as_str())
        .execute(app.db.pool())
        .await?;
    assert!(
        hub.refer_to_marac(&third, &form(&marac))
            .await?
            .repeat_of
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn research_is_each_agencys_own_and_others_see_only_that_it_is_done() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 16).await?;
    coordinator(&app)
        .await?
        .schedule_meeting(&marac, &meeting(7))
        .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let high = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let case = hub.refer_to_marac(&high, &form(&marac)).await?.case;

    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let seen = police.marac_case(&case).await?;
    assert_eq!(seen.research_done.len(), 3);
    assert!(seen.research_done.iter().all(|(_, done)| !done));
    assert_eq!(seen.own_research.as_ref().map(|r| r.version), Some(0));

    // Complete needs the facts; then saved over the version shown, and a stale save refused.
    let mut input = harbour_storage::marac::ResearchInput {
        opinion: "He is escalating".into(),
        complete: true,
        ..Default::default()
    };
    assert!(matches!(
        police.save_research(&case, &input).await,
        Err(StorageError::Invalid(_))
    ));
    input.facts = "Three call-outs since August; a non-molestation order until June".into();
    police.save_research(&case, &input).await?;
    assert!(matches!(
        police.save_research(&case, &input).await,
        Err(StorageError::Invalid(_))
    ));

    // New Era sees that the police have done theirs, and none of what it says.
    let theirs = new_era.marac_case(&case).await?;
    assert!(
        theirs
            .research_done
            .iter()
            .any(|(a, done)| a == "Staffordshire Police" && *done)
    );
    assert_eq!(
        theirs.own_research.as_ref().map(|r| r.facts.as_str()),
        Some("")
    );
    let mine = police.marac_case(&case).await?;
    let research = mine.own_research.expect("the police's own");
    assert!(research.facts.contains("non-molestation") && research.completed_at.is_some());

    // An agency that does not attend finds nothing, and writes nothing.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.marac_case(&case).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        alice.save_research(&case, &input).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}

async fn agency_id(app: &TestApp, name: &str) -> anyhow::Result<String> {
    Ok(harbour_testkit::inspect::agency_id(&app.db, name)
        .await?
        .into_string())
}

#[tokio::test]
async fn a_case_runs_from_the_meeting_through_its_actions_to_closure() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 16).await?;
    let coord = coordinator(&app).await?;
    let meeting_id = coord.schedule_meeting(&marac, &meeting(7)).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let high = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let case = hub.refer_to_marac(&high, &form(&marac)).await?.case;
    let (police_id, new_era_id, hub_id) = (
        agency_id(&app, "Staffordshire Police").await?,
        agency_id(&app, "New Era").await?,
        agency_id(&app, "Staffordshire Victim Gateway").await?,
    );

    // Held: who came and on what basis, what was shared, the risks, three actions.
    assert!(matches!(
        coord.finish_meeting(&meeting_id, "x").await,
        Err(StorageError::Invalid(_))
    ));
    coord
        .record_attendance(
            &meeting_id,
            &[police_id.clone(), hub_id.clone()],
            "Crime and Disorder Act 1998 s.115; UK GDPR Art. 6(1)(e), 9(2)(g)",
        )
        .await?;
    coord
        .record_shared(
            &case,
            &police_id,
            "Three call-outs since August; bail conditions end next week.",
            "",
        )
        .await?;
    coord
        .record_risks(
            &case,
            "Serious harm when bail ends; the children at school pick-up.",
        )
        .await?;
    let e = coord
        .add_marac_action(&case, "", "", "1/1/2020")
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(
        errors.get("what").is_some()
            && errors.get("owner").is_some()
            && errors.get("due_on").is_some()
    );
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(14)).to_string();
    coord
        .add_marac_action(
            &case,
            "Flag the address for an urgent response",
            &police_id,
            &due,
        )
        .await?;
    coord
        .add_marac_action(
            &case,
            "IDVA to review the safety plan with her",
            &new_era_id,
            &due,
        )
        .await?;
    coord
        .add_marac_action(
            &case,
            "Tell the school who may collect the children",
            &hub_id,
            &due,
        )
        .await?;
    coord
        .finish_meeting(
            &meeting_id,
            "Three actions agreed; review at the next meeting if bail is extended.",
        )
        .await?;
    let seen = coord.marac_case(&case).await?;
    assert_eq!(
        seen.status,
        harbour_domain::marac::meeting::CaseStatus::Heard
    );
    // The quarter's return counts the case heard.
    let quarter = harbour_domain::marac::dataset::Quarter::of(seen.meeting_on.expect("listed"));
    let report = coord.marac_return(&marac, quarter).await?;
    let f = &report.figures;
    assert_eq!((f.meetings.len(), f.cases, f.repeats), (1, 1, 0));
    assert_eq!(f.non_police_pct(), Some(100.0), "referred by the hub");
    assert_eq!(f.by_agency["Staffordshire Victim Gateway"], 1);
    let population: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(population) AS BIGINT) FROM areas WHERE gss_code IN ('E07000197', 'E07000195')",
    )
    .fetch_one(app.db.pool())
    .await?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let women = (population as f64 * 0.41).round() as u64;
    assert_eq!(f.adult_women, women);
    assert!(matches!(
        hub.marac_return(&marac, quarter).await,
        Err(StorageError::Denied(_))
    ));
    assert_eq!((seen.shared.len(), seen.actions.len()), (1, 3));

    // Each owner sees and answers its own; no other's.
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    let theirs = new_era.marac_actions(true).await?;
    assert_eq!(theirs.len(), 1);
    assert!(theirs[0].what.contains("safety plan"));
    assert!(matches!(
        police
            .update_marac_action(&theirs[0].id, "done", "done")
            .await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        new_era
            .update_marac_action(&theirs[0].id, "done", " ")
            .await,
        Err(StorageError::Invalid(_))
    ));
    new_era
        .update_marac_action(
            &theirs[0].id,
            "done",
            "Safety plan reviewed with her on Tuesday",
        )
        .await?;
    let ours = police.marac_actions(true).await?;
    police
        .update_marac_action(
            &ours[0].id,
            "not_possible",
            "The address is outside our force area",
        )
        .await?;
    assert_eq!(
        coord.marac_case(&case).await?.status,
        harbour_domain::marac::meeting::CaseStatus::Heard
    );
    let hubs = hub.marac_actions(true).await?;
    hub.update_marac_action(&hubs[0].id, "done", "The school has the list")
        .await?;
    assert_eq!(
        coord.marac_case(&case).await?.status,
        harbour_domain::marac::meeting::CaseStatus::Closed
    );
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(
        alice
            .marac_actions(false)
            .await?
            .iter()
            .all(|a| a.case_id != case)
    );
    Ok(())
}

#[tokio::test]
async fn the_worker_chases_an_agencys_overdue_actions_once_with_nothing_about_anyone() -> R {
    use harbour_jobs::{Worker, WorkerConfig};
    use harbour_testkit::smtp::SmtpSink;
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let marac = north(&app, 16).await?;
    let coord = coordinator(&app).await?;
    coord.schedule_meeting(&marac, &meeting(7)).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let high = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let case = hub.refer_to_marac(&high, &form(&marac)).await?.case;
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(10)).to_string();
    let new_era = agency_id(&app, "New Era").await?;
    coord
        .add_marac_action(&case, "IDVA to review the safety plan", &new_era, &due)
        .await?;
    let w = Worker::new(
        app.db.clone(),
        WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: sink.url(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: chrono::Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )?;
    let now = chrono::Utc::now();
    w.run_once(now).await?;
    assert!(sink.accepted().is_empty(), "not due yet");
    let later = now + chrono::Duration::days(20);
    w.run_once(later).await?;
    let mail = sink.wait_for(1, std::time::Duration::from_secs(5)).await?;
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("Harbour: MARAC actions overdue")
    );
    assert!(mail[0].to.contains(&demo_email(Role::Caseworker)));
    assert!(mail[0].data.contains("https://harbour.test/marac/actions"));
    assert!(!mail[0].data.contains("Alys") && !mail[0].data.contains("Brereton"));
    // Chased once, however often the worker runs.
    w.run_once(later + chrono::Duration::minutes(2)).await?;
    w.run_once(later + chrono::Duration::days(1)).await?;
    assert_eq!(sink.accepted().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_marac_referral_offers_her_an_idva_with_consent_as_any_referral_on() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 16).await?;
    coordinator(&app)
        .await?
        .schedule_meeting(&marac, &meeting(7))
        .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let idva = harbour_testkit::cases::service_id(&app.db, harbour_testkit::cases::IDVA).await?;
    let with = |decision: &str| MaracReferralInput {
        idva: Some(harbour_storage::onward::ReferOnInput {
            service_id: idva.clone(),
            consent: harbour_domain::consent::ConsentInput {
                decision: decision.into(),
                ..Default::default()
            },
            ..Default::default()
        }),
        ..form(&marac)
    };
    // The IDVA consent must be answered, named under idva/.
    let high = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let e = hub.refer_to_marac(&high, &with("")).await.unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(errors.get("idva/consent/decision").is_some(), "{errors}");
    let done = hub.refer_to_marac(&high, &with("given")).await?;
    let Some(harbour_storage::onward::ReferredOn::Sent { id: onward }) = done.idva else {
        panic!("the IDVA referral sent")
    };
    let linked: Option<String> =
        sqlx::query_scalar("SELECT idva_onward_id FROM marac_cases WHERE id = $1")
            .bind(done.case.as_str())
            .fetch_one(app.db.pool())
            .await?;
    assert_eq!(linked.as_deref(), Some(onward.as_str()));
    // Refused: recorded, nothing sent, and the MARAC referral still made.
    let other = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            given_name: "Dilys",
            family_name: "Owen",
            ..Case::default()
        },
    )
    .await?;
    let refused = hub.refer_to_marac(&other, &with("refused")).await?;
    assert_eq!(
        refused.idva,
        Some(harbour_storage::onward::ReferredOn::ConsentRefused)
    );
    Ok(())
}

#[tokio::test]
async fn a_coordinator_sets_up_a_marac_each_area_in_one() -> R {
    let app = TestApp::spawn().await?;
    let coord = coordinator(&app).await?;
    let police = agency_id(&app, "Staffordshire Police").await?;
    let stoke = agency_id(&app, "Stoke-on-Trent City Council").await?;
    let input = |name: &str, areas: &[&str]| harbour_storage::marac::MaracInput {
        name: name.into(),
        areas: areas.iter().map(|a| (*a).to_owned()).collect(),
        members: vec![police.clone(), stoke.clone()],
        capacity: "12".into(),
        idva_posts: "3".into(),
        coordinator_posts: "1".into(),
    };
    let e = coord
        .save_marac(None, &harbour_storage::marac::MaracInput::default())
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    for field in ["name", "areas", "members", "capacity"] {
        assert!(errors.get(field).is_some(), "{field}");
    }
    // Stafford is the demo north MARAC's.
    let e = coord
        .save_marac(None, &input("Stoke MARAC", &["E07000197"]))
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(
        errors
            .get("areas")
            .unwrap()
            .contains("Staffordshire North MARAC")
    );
    let id = coord
        .save_marac(None, &input("Stoke-on-Trent MARAC", &["E06000021"]))
        .await?;
    let settings = coord.marac_settings(&id).await?;
    assert_eq!((settings.capacity, settings.idva_posts), (12, 3));
    assert_eq!(settings.members.len(), 2);
    // Renamed, and the name of another refused.
    coord
        .save_marac(Some(&id), &input("Stoke MARAC", &["E06000021"]))
        .await?;
    assert!(matches!(
        coord
            .save_marac(
                Some(&id),
                &input("Staffordshire North MARAC", &["E06000021"])
            )
            .await,
        Err(StorageError::Invalid(_))
    ));
    let stoke_staff = store_as(&app.db, "Stoke-on-Trent City Council", Role::Caseworker).await?;
    assert!(
        stoke_staff
            .maracs()
            .await?
            .iter()
            .any(|m| m.name == "Stoke MARAC")
    );
    assert!(matches!(
        stoke_staff
            .save_marac(None, &input("Another", &["E06000021"]))
            .await,
        Err(StorageError::Denied(_))
    ));
    Ok(())
}

#[tokio::test]
async fn the_referring_agency_or_a_service_with_her_case_refers_and_no_one_else() -> R {
    let app = TestApp::spawn().await?;
    let marac = north(&app, 16).await?;
    coordinator(&app)
        .await?
        .schedule_meeting(&marac, &meeting(7))
        .await?;
    // The police made this referral: their officer refers her from it.
    let theirs = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    let seen = police.referral_for_marac(&theirs).await?;
    assert!(seen.criteria.is_some_and(|c| c.met()));
    let done = police.refer_to_marac(&theirs, &form(&marac)).await?;
    assert!(done.idva.is_none(), "offering an IDVA is the hub's");
    // The Alice Charity neither made it nor works it.
    let other = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            given_name: "Eira",
            family_name: "Lloyd",
            ..Case::default()
        },
    )
    .await?;
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.referral_for_marac(&other).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        alice.refer_to_marac(&other, &form(&marac)).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}
