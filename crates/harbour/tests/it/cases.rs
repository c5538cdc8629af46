//! Casework on both databases: a case opens when a service accepts a referral, allocated to
//! whoever accepted it, with its first review by its tier's rule; notes (restricted ones seen only
//! by their author and the agency's managers; corrections keep what they replaced); a manager
//! reassigns; no other agency, and not the hub, sees any of it.

use chrono::Utc;
use harbour_domain::calendar::{WorkingDays, uk_date};
use harbour_domain::case::{
    CaseStatus, ClosureReason, NoteKind, OutcomeAnswer, REVIEW_RULES, next_review,
};
use harbour_domain::ids::{CaseId, UserId};
use harbour_domain::needs::ServiceTier;
use harbour_domain::role::Role;
use harbour_storage::actor::Actor;
use harbour_storage::cases::{CaseloadFilter, ChangeInput, NoteInput, Whose};
use harbour_storage::error::StorageError;
use harbour_storage::onward::StepInput;
use harbour_storage::scoped::ScopedStore;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{
    Case, IDVA, add_caseworker, refer_on, service_id, store_as, triaged_referral,
};
use sqlx::Row;

type R = anyhow::Result<()>;

/// A store acting as the member of staff who signs in with `email`, holding `roles`.
async fn store_for(app: &TestApp, email: &str, roles: Vec<Role>) -> anyhow::Result<ScopedStore> {
    let row = sqlx::query("SELECT id, agency_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.pool())
        .await?;
    Ok(ScopedStore::new(
        app.db.clone(),
        Actor {
            user_id: Some(row.get("id")),
            agency_id: row.get("agency_id"),
            roles,
            request_id: "test".into(),
            token_id: None,
        },
    ))
}

fn note(kind: NoteKind, body: &str, restricted: bool) -> NoteInput {
    NoteInput {
        kind: kind.slug().into(),
        body: body.into(),
        restricted,
        happened_on: uk_date(Utc::now()).format("%-d/%-m/%Y").to_string(),
    }
}

/// A triaged referral sent on to New Era's IDVA service and accepted by the demo caseworker;
/// the case it opened.
pub(crate) async fn accepted_case(app: &TestApp, high_risk: bool) -> anyhow::Result<CaseId> {
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk,
            ..Case::default()
        },
    )
    .await?;
    let idva = service_id(&app.db, IDVA).await?;
    let onward = refer_on(&app.db, &referral, &idva).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    assert!(
        new_era
            .caseload(&CaseloadFilter::default())
            .await?
            .cases
            .is_empty(),
        "no case before the service says yes"
    );
    new_era
        .take_step(
            &onward,
            &StepInput {
                step: "accept".into(),
                ..StepInput::default()
            },
        )
        .await?;
    let load = new_era.caseload(&CaseloadFilter::default()).await?;
    assert_eq!(load.total, 1);
    Ok(load.cases[0].id.clone())
}

#[tokio::test]
async fn accepting_a_referral_opens_a_case_allocated_with_its_first_review_due() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, true).await?;
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let view = new_era.case(&id).await?;
    let c = &view.summary;
    assert_eq!(c.given_name, "Alys");
    assert_eq!(c.status, CaseStatus::Open);
    assert_eq!(c.tier, Some(ServiceTier::Acute));
    assert!(c.caseworker_name.is_some(), "allocated to whoever accepted");
    assert_eq!(
        c.next_review_on,
        Some(next_review(
            &REVIEW_RULES,
            Some(ServiceTier::Acute),
            uk_date(c.opened_at),
            &WorkingDays::england_and_wales()
        )),
        "acute: a fortnight on, on a working day"
    );
    assert_eq!(
        view.events
            .iter()
            .map(|e| e.what.as_str())
            .collect::<Vec<_>>(),
        ["Case opened", "Allocated"]
    );
    // The case opens once: accepting is a step taken once, and the table holds one case for
    // the onward referral.
    let cases: i64 = sqlx::query("SELECT COUNT(*) AS n FROM cases")
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(cases, 1);

    // Nobody outside the service sees it: another agency's caseworker, nor the hub.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.case(&id).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(
        alice
            .caseload(&CaseloadFilter::default())
            .await?
            .cases
            .is_empty()
    );
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    assert!(matches!(hub.case(&id).await, Err(StorageError::Denied(_))));
    // Only a manager may list anyone else's cases.
    assert!(matches!(
        new_era
            .caseload(&CaseloadFilter {
                whose: Whose::Everyone,
                ..CaseloadFilter::default()
            })
            .await,
        Err(StorageError::Denied(_))
    ));
    Ok(())
}

#[tokio::test]
async fn restricted_notes_are_for_their_author_and_the_managers_and_corrections_keep_history() -> R
{
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let author = store_as(&app.db, "New Era", Role::Caseworker).await?;
    add_caseworker(&app.db, "New Era", "colleague@new-era.example").await?;
    let colleague = store_for(&app, "colleague@new-era.example", vec![Role::Caseworker]).await?;
    let manager = store_as(&app.db, "New Era", Role::ServiceManager).await?;

    author
        .add_case_note(
            &id,
            &note(NoteKind::Contact, "Spoke on the safe number.", false),
        )
        .await?;
    author
        .add_case_note(
            &id,
            &note(
                NoteKind::SafeguardingConcern,
                "She disclosed something about her brother.",
                true,
            ),
        )
        .await?;
    let seen = |v: &harbour_storage::cases::CaseView| {
        v.notes.iter().map(|n| n.body.clone()).collect::<Vec<_>>()
    };
    let by_author = author.case(&id).await?;
    assert_eq!(seen(&by_author).len(), 2);
    assert!(
        by_author.summary.last_contact_at.is_some(),
        "a contact note is a contact"
    );
    let by_colleague = colleague.case(&id).await?;
    assert_eq!(seen(&by_colleague), ["Spoke on the safe number."]);
    assert_eq!(
        by_colleague.notes_withheld, 1,
        "they know there is one to ask about"
    );
    assert_eq!(seen(&manager.case(&id).await?).len(), 2);
    // Nor can the colleague reach it by its address.
    let restricted = by_author.notes.iter().find(|n| n.restricted).unwrap();
    assert!(matches!(
        colleague.case_note_history(&id, &restricted.id).await,
        Err(StorageError::NotFound(_))
    ));

    // Only the author corrects a note; the text it replaced is kept.
    let first = by_author.notes.iter().find(|n| !n.restricted).unwrap();
    assert!(matches!(
        colleague
            .edit_case_note(
                &id,
                &first.id,
                first.version,
                &note(NoteKind::Contact, "Changed.", false)
            )
            .await,
        Err(StorageError::NotFound(_))
    ));
    author
        .edit_case_note(
            &id,
            &first.id,
            first.version,
            &note(
                NoteKind::Contact,
                "Spoke on the safe number at 10am.",
                false,
            ),
        )
        .await?;
    let (now, versions) = colleague.case_note_history(&id, &first.id).await?;
    assert_eq!(now.body, "Spoke on the safe number at 10am.");
    assert_eq!(now.version, 2);
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].body, "Spoke on the safe number.");
    // A correction made from an old copy overwrites nothing, and says why.
    let e = author
        .edit_case_note(&id, &first.id, 1, &note(NoteKind::Contact, "Stale.", false))
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("expected a field error")
    };
    assert!(
        errors
            .get("body")
            .unwrap()
            .contains("corrected somewhere else")
    );
    assert_eq!(
        author.case_note_history(&id, &first.id).await?.0.body,
        "Spoke on the safe number at 10am."
    );
    // Notes are never deleted: both rows and the version are all there.
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM case_notes")
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(rows, 2);

    // Bad input is refused field by field, and nothing is stored.
    let e = author
        .add_case_note(
            &id,
            &NoteInput {
                kind: "gossip".into(),
                body: "  ".into(),
                restricted: false,
                happened_on: "31/2/2026".into(),
            },
        )
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("expected field errors")
    };
    assert_eq!(errors.get("kind"), Some("Choose what the note records"));
    assert_eq!(errors.get("body"), Some("Enter the note"));
    assert!(errors.get("happened_on").unwrap().contains("real date"));
    let e = author
        .add_case_note(
            &id,
            &NoteInput {
                happened_on: "1/1/2999".into(),
                ..note(NoteKind::Action, "From the future.", false)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Invalid(_)));
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM case_notes")
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(rows, 2);
    Ok(())
}

#[tokio::test]
async fn a_manager_sees_the_services_caseload_and_reassigns_a_case() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    add_caseworker(&app.db, "New Era", "colleague@new-era.example").await?;
    let colleague = store_for(&app, "colleague@new-era.example", vec![Role::Caseworker]).await?;
    let manager = store_as(&app.db, "New Era", Role::ServiceManager).await?;
    let caseworker = store_as(&app.db, "New Era", Role::Caseworker).await?;

    let everyone = manager
        .caseload(&CaseloadFilter {
            whose: Whose::Everyone,
            ..CaseloadFilter::default()
        })
        .await?;
    assert_eq!(everyone.total, 1);
    let staff = manager.allocatable().await?;
    let colleague_id: UserId = colleague.actor().user_id.clone().unwrap();
    assert!(staff.iter().any(|s| s.id == colleague_id));

    // Someone outside the service cannot be given the case.
    let outsider = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    let e = manager
        .allocate_case(&id, outsider.actor().user_id.as_ref().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Invalid(_)));
    // A caseworker cannot reassign.
    assert!(matches!(
        caseworker.allocate_case(&id, &colleague_id).await,
        Err(StorageError::Denied(_))
    ));

    manager.allocate_case(&id, &colleague_id).await?;
    assert_eq!(
        colleague
            .caseload(&CaseloadFilter::default())
            .await?
            .cases
            .len(),
        1
    );
    assert!(
        caseworker
            .caseload(&CaseloadFilter::default())
            .await?
            .cases
            .is_empty()
    );
    let events = manager.case(&id).await?.events;
    let last = events.last().unwrap();
    assert_eq!(last.what, "Allocated");
    assert!(
        last.detail
            .as_deref()
            .unwrap()
            .ends_with("to Casey Worthing")
    );
    // And again to the same person says so rather than recording nothing as something.
    assert!(matches!(
        manager.allocate_case(&id, &colleague_id).await,
        Err(StorageError::Invalid(_))
    ));

    let counts = manager.case_counts().await?;
    assert_eq!(counts.agency_unallocated, 0);
    Ok(())
}

fn change(what: &str) -> ChangeInput {
    ChangeInput {
        change: what.into(),
        ..ChangeInput::default()
    }
}

#[tokio::test]
async fn a_case_is_reviewed_paused_resumed_closed_with_its_outcomes_and_reopened() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let days = WorkingDays::england_and_wales();
    let today = uk_date(Utc::now());

    // A review needs words, and sets the next one a targeted interval from today.
    let e = cw.review_case(&id, "  ").await.unwrap_err();
    assert!(matches!(e, StorageError::Invalid(_)));
    let next = cw
        .review_case(&id, "Housing application in; safety plan checked.")
        .await?;
    assert_eq!(
        next,
        next_review(&REVIEW_RULES, Some(ServiceTier::Targeted), today, &days)
    );
    let c = cw.case(&id).await?.summary;
    assert_eq!(c.last_reviewed_on, Some(today));
    assert_eq!(c.next_review_on, Some(next));

    // Pausing needs a reason; a paused case is not reviewed.
    let e = cw.change_case(&id, &change("pause")).await.unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!()
    };
    assert_eq!(errors.get("reason"), Some("Say why support is paused"));
    cw.change_case(
        &id,
        &ChangeInput {
            reason: "In hospital for two weeks".into(),
            ..change("pause")
        },
    )
    .await?;
    assert!(cw.review_case(&id, "Anything").await.is_err());
    assert!(
        cw.caseload(&CaseloadFilter {
            review_due_soon: true,
            ..CaseloadFilter::default()
        })
        .await?
        .cases
        .is_empty(),
        "a paused case is never due"
    );
    assert_eq!(
        cw.change_case(&id, &change("resume")).await?,
        CaseStatus::Open
    );

    // Closing asks why and the two outcome questions, each beside its field.
    let e = cw
        .change_case(
            &id,
            &ChangeInput {
                reason: "other".into(),
                ..change("close")
            },
        )
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!()
    };
    assert_eq!(errors.get("note"), Some("Say how support ended"));
    assert!(errors.get("cope").is_some() && errors.get("recover").is_some());
    assert_eq!(cw.case(&id).await?.summary.status, CaseStatus::Open);
    cw.change_case(
        &id,
        &ChangeInput {
            reason: "support_completed".into(),
            cope: "yes".into(),
            recover: "not_asked".into(),
            ..change("close")
        },
    )
    .await?;
    let c = cw.case(&id).await?.summary;
    assert_eq!(c.status, CaseStatus::Closed);
    assert_eq!(c.closure_reason, Some(ClosureReason::SupportCompleted));
    assert_eq!(c.cope, Some(OutcomeAnswer::Yes));
    assert_eq!(c.recover, Some(OutcomeAnswer::NotAsked));
    assert_eq!(c.next_review_on, None);
    assert!(cw.change_case(&id, &change("pause")).await.is_err());

    // Reopened within the period, with a reason; long after, it is refused.
    cw.change_case(
        &id,
        &ChangeInput {
            reason: "She called again: he has been released.".into(),
            ..change("reopen")
        },
    )
    .await?;
    assert_eq!(cw.case(&id).await?.summary.status, CaseStatus::Open);
    cw.change_case(
        &id,
        &ChangeInput {
            reason: "moved_away".into(),
            cope: "no".into(),
            recover: "no".into(),
            ..change("close")
        },
    )
    .await?;
    sqlx::query("UPDATE cases SET closed_at = '2026-01-01T10:00:00Z'")
        .execute(app.db.pool())
        .await?;
    let e = cw
        .change_case(
            &id,
            &ChangeInput {
                reason: "Again".into(),
                ..change("reopen")
            },
        )
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!()
    };
    assert!(errors.get("change").unwrap().contains("within 90 days"));
    let events: Vec<String> = cw
        .case(&id)
        .await?
        .events
        .into_iter()
        .map(|e| e.what)
        .collect();
    assert_eq!(
        events,
        [
            "Case opened",
            "Allocated",
            "Reviewed",
            "Paused",
            "Support resumed",
            "Closed",
            "Reopened",
            "Closed"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn outcome_readings_score_every_area_and_show_the_distance_travelled() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let tool = harbour_storage::cases::active_outcome_tool(&app.db).await?;
    let all = |score: &str| -> std::collections::BTreeMap<String, String> {
        tool.areas
            .iter()
            .map(|a| (a.id.clone(), score.to_owned()))
            .collect()
    };
    // Every area, on the scale, and when in the support.
    let mut partial = all("3");
    partial.remove("money");
    partial.insert("safety".into(), "0".into());
    let e = cw
        .record_reading(&id, "sometime", &partial)
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!()
    };
    assert!(errors.get("kind").is_some());
    assert!(errors.get("score/money").is_some());
    assert!(errors.get("score/safety").unwrap().contains("from 1 to 10"));
    assert!(
        cw.case(&id).await?.readings.readings.is_empty(),
        "nothing kept"
    );

    cw.record_reading(&id, "start", &all("3")).await?;
    assert!(cw.case(&id).await?.readings.first_and_latest().is_none());
    let mut later = all("6");
    later.insert("safety".into(), "8".into());
    cw.record_reading(&id, "review", &later).await?;
    let view = cw.case(&id).await?;
    let (first, latest) = view.readings.first_and_latest().unwrap();
    let (areas, mean) =
        harbour_domain::outcome::distance(&view.readings.tool, &first.scores, &latest.scores);
    assert_eq!(areas.len(), 9);
    assert_eq!(areas[0].area_id, "safety");
    assert_eq!(areas[0].change, 5);
    assert!((mean.unwrap() - (5.0 + 8.0 * 3.0) / 9.0).abs() < 1e-9);

    // Once closed, only a reading at the end of support.
    cw.change_case(
        &id,
        &ChangeInput {
            reason: "support_completed".into(),
            cope: "yes".into(),
            recover: "yes".into(),
            ..change("close")
        },
    )
    .await?;
    assert!(cw.record_reading(&id, "review", &all("7")).await.is_err());
    cw.record_reading(&id, "exit", &all("7")).await?;
    assert_eq!(cw.case(&id).await?.readings.readings.len(), 3);
    // Another agency reads none of it.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.record_reading(&id, "exit", &all("1")).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}

#[tokio::test]
async fn victims_code_rights_are_recorded_as_explained_or_offered_with_when_and_who() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let rights = cw.case(&id).await?.rights;
    assert_eq!(rights.len(), 12);
    assert!(rights.iter().all(|r| r.latest.is_none()));

    // Nothing chosen, or a right that does not exist, is refused beside the field.
    for (chosen, action) in [(vec![], "explained"), (vec!["13".to_owned()], "explained")] {
        let e = cw.record_rights(&id, &chosen, action).await.unwrap_err();
        let StorageError::Invalid(errors) = e else {
            panic!()
        };
        assert_eq!(
            errors.get("rights"),
            Some("Choose the rights you explained or offered")
        );
    }
    let e = cw
        .record_rights(&id, &["1".to_owned()], "mentioned")
        .await
        .unwrap_err();
    assert!(matches!(e, StorageError::Invalid(_)));

    cw.record_rights(&id, &["1".to_owned(), "4".to_owned()], "explained")
        .await?;
    cw.record_rights(&id, &["7".to_owned()], "offered").await?;
    let rights = cw.case(&id).await?.rights;
    let recorded: Vec<(u8, &str)> = rights
        .iter()
        .filter_map(|r| r.latest.as_ref().map(|(a, _, _)| (r.number, a.label())))
        .collect();
    assert_eq!(
        recorded,
        [(1, "Explained"), (4, "Explained"), (7, "Offered")]
    );
    let (_, day, by) = rights[0].latest.clone().unwrap();
    assert_eq!(day, uk_date(Utc::now()));
    assert!(!by.is_empty());
    // Not another agency's to record.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice
            .record_rights(&id, &["2".to_owned()], "explained")
            .await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}
