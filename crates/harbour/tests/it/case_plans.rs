//! A case's plans on both databases: the support plan's goals, actions and progress; the safety
//! plan kept version by version with the resources issued and its printing recorded; and risk
//! over time, each reassessment with who decided and how the level moved.

use crate::cases::accepted_case;
use harbour_domain::case::CaseStatus;
use harbour_domain::instrument::{Instrument, RiskLevel};
use harbour_domain::needs::NeedCategory;
use harbour_domain::role::Role;
use harbour_domain::support_plan::Progress;
use harbour_storage::bundle::ResourceInput;
use harbour_storage::cases::{ChangeInput, ProgressInput};
use harbour_storage::error::StorageError;
use harbour_testkit::TestApp;
use harbour_testkit::cases::store_as;
use std::collections::BTreeMap;

type R = anyhow::Result<()>;

fn invalid<T: std::fmt::Debug>(
    r: Result<T, StorageError>,
) -> harbour_domain::validation::FieldErrors {
    match r {
        Err(StorageError::Invalid(e)) => e,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn events(app: &TestApp, case: &str) -> anyhow::Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT what FROM case_events WHERE case_id = $1 ORDER BY at, id")
            .bind(case)
            .fetch_all(app.db.pool())
            .await?,
    )
}

#[tokio::test]
async fn a_support_plan_has_goals_in_the_persons_words_with_actions_and_progress() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;

    // A goal needs words and a need; an action needs what, who and a day not past.
    let e = invalid(cw.add_goal(&id, "  ", &[]).await);
    assert!(e.get("goal").is_some() && e.get("needs").is_some());
    let goal = cw
        .add_goal(
            &id,
            "I want my children to feel safe at school",
            &["family_and_children".into(), "health".into()],
        )
        .await?;
    let e = invalid(
        cw.add_goal_action(&id, &goal, "Call the school", "", "1/1/2020")
            .await,
    );
    assert!(e.get("who").is_some());
    assert_eq!(
        e.get("by"),
        Some("The date it is to be done by must be today or later")
    );
    let call = cw
        .add_goal_action(
            &id,
            &goal,
            "Call the school's safeguarding lead",
            "Caseworker",
            "31/12/2099",
        )
        .await?;
    cw.add_goal_action(
        &id,
        &goal,
        "Tell the school who may collect them",
        "Person",
        "30/12/2099",
    )
    .await?;
    cw.goal_action_done(&id, &call).await?;
    // Marking it done twice changes nothing.
    cw.goal_action_done(&id, &call).await?;

    let plan = cw.support_plan(&id).await?;
    assert_eq!(plan.goals.len(), 1);
    let g = &plan.goals[0];
    assert_eq!(g.words, "I want my children to feel safe at school");
    assert_eq!(
        g.needs,
        [
            NeedCategory::HealthMentalAndPhysical,
            NeedCategory::FamilyFriendsAndChildren
        ]
    );
    assert_eq!(g.progress, Progress::NotStarted);
    // In the order due: the person's action first, then the caseworker's, done today.
    assert_eq!(g.actions.len(), 2);
    assert_eq!(g.actions[0].who, "Person");
    assert!(g.actions[0].done_on.is_none());
    assert!(g.actions[1].done_on.is_some());

    // Progress is recorded over the version the form showed; a stale form is refused.
    cw.update_goal(
        &id,
        &goal,
        &ProgressInput {
            progress: "under_way".into(),
            note: "The school has a photo of him now".into(),
            version: g.version,
        },
    )
    .await?;
    let e = invalid(
        cw.update_goal(
            &id,
            &goal,
            &ProgressInput {
                progress: "achieved".into(),
                note: String::new(),
                version: g.version,
            },
        )
        .await,
    );
    assert!(
        e.get("progress")
            .unwrap()
            .contains("Someone else updated this goal")
    );
    let g = cw.support_plan(&id).await?.goals.remove(0);
    assert_eq!(g.progress, Progress::UnderWay);
    assert_eq!(
        g.progress_note.as_deref(),
        Some("The school has a photo of him now")
    );

    // Another agency finds nothing; the hub cannot work cases at all.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.support_plan(&id).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        alice.add_goal(&id, "x", &["health".into()]).await,
        Err(StorageError::NotFound(_))
    ));
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    assert!(matches!(
        hub.support_plan(&id).await,
        Err(StorageError::Denied(_))
    ));

    // A closed case's plan is kept as it was.
    cw.change_case(
        &id,
        &ChangeInput {
            change: "close".into(),
            reason: "support_completed".into(),
            cope: "yes".into(),
            recover: "yes".into(),
            ..ChangeInput::default()
        },
    )
    .await?;
    let e = invalid(cw.add_goal(&id, "More", &["health".into()]).await);
    assert!(e.get("goal").unwrap().contains("closed"));

    let what = events(&app, id.as_str()).await?;
    for expected in ["goal_added", "action_added", "action_done", "goal_progress"] {
        assert!(what.iter().any(|w| w == expected), "{expected} in {what:?}");
    }
    assert_eq!(what.iter().filter(|w| *w == "action_done").count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_safety_plan_keeps_every_version_refuses_a_stale_save_and_records_resources() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, true).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let plan = cw.safety_plan(&id, false).await?;
    assert_eq!(plan.version, 0);
    assert!(plan.sections.is_empty());

    let mut typed = BTreeMap::new();
    typed.insert(
        "code_words".to_owned(),
        "Pineapple means call 999".to_owned(),
    );
    typed.insert(
        "emergency_bag".to_owned(),
        "At her sister's: passports, tablets".to_owned(),
    );
    typed.insert("work".to_owned(), "  ".to_owned());
    assert_eq!(cw.save_safety_plan(&id, 0, &typed).await?, 1);
    // A second first save (another tab) is refused, not written over the first.
    let e = invalid(cw.save_safety_plan(&id, 0, &typed).await);
    assert!(e.get("plan").unwrap().contains("Someone else saved"));
    typed.insert(
        "court_orders".to_owned(),
        "Non-molestation order until June".to_owned(),
    );
    assert_eq!(cw.save_safety_plan(&id, 1, &typed).await?, 2);
    let e = invalid(cw.save_safety_plan(&id, 1, &typed).await);
    assert!(e.get("plan").is_some());
    let mut bad = BTreeMap::new();
    bad.insert("horoscope".to_owned(), "x".to_owned());
    assert!(
        invalid(cw.save_safety_plan(&id, 2, &bad).await)
            .get("horoscope")
            .is_some()
    );

    let plan = cw.safety_plan(&id, false).await?;
    assert_eq!(plan.version, 2);
    assert_eq!(plan.sections.len(), 3, "the blank section is left out");
    assert_eq!(
        plan.sections["court_orders"],
        "Non-molestation order until June"
    );
    let versions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM case_safety_plan_versions WHERE case_id = $1")
            .bind(id.as_str())
            .fetch_one(app.db.pool())
            .await?;
    assert_eq!(versions, 2);

    // Resources issued under the plan are the person's, seen on the plan.
    let e = invalid(
        cw.issue_resource(
            &id,
            &ResourceInput {
                kind: "rocket".into(),
                ..ResourceInput::default()
            },
        )
        .await,
    );
    assert!(e.get("kind").is_some());
    cw.issue_resource(
        &id,
        &ResourceInput {
            kind: "safety_device".into(),
            description: "Alarm linked to the police".into(),
            issued_on: String::new(),
        },
    )
    .await?;
    let plan = cw.safety_plan(&id, true).await?;
    assert_eq!(plan.resources.len(), 1);
    assert_eq!(plan.resources[0].description, "Alarm linked to the police");

    let what = events(&app, id.as_str()).await?;
    for expected in ["safety_plan", "resource_issued", "safety_plan_printed"] {
        assert!(what.iter().any(|w| w == expected), "{expected} in {what:?}");
    }
    let printed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND purpose = 'print a safety plan'",
    )
    .bind(id.as_str())
    .fetch_one(app.db.pool())
    .await?;
    assert_eq!(printed, 1);
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.safety_plan(&id, true).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}

/// Every item of the demonstration checklist answered: the first `yes` of them yes.
fn answers(yes: usize) -> BTreeMap<String, String> {
    Instrument::demo()
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            (
                item.id.clone(),
                if i < yes { "yes" } else { "no" }.to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn risk_is_reassessed_over_time_with_every_change_of_level_and_who_decided() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let history = cw.risk_history(&id).await?;
    let (_, at_referral, _) = history.at_referral.expect("the triage's level");
    assert!(history.reviews.is_empty());
    let before = cw.case(&id).await?.summary.risk_level;
    assert_eq!(before, Some(at_referral));

    // Things got worse: the checklist now scores high.
    assert_eq!(
        cw.reassess_risk(&id, &answers(15), "", "").await?,
        RiskLevel::High
    );
    assert_eq!(
        cw.case(&id).await?.summary.risk_level,
        Some(RiskLevel::High)
    );
    // Judgement may not lower what the checklist gives, and must say why it raises it.
    let e = invalid(
        cw.reassess_risk(&id, &answers(15), "medium", "calmer")
            .await,
    );
    assert!(e.get("judgement_level").is_some());
    let e = invalid(cw.reassess_risk(&id, &answers(2), "medium", " ").await);
    assert!(e.get("judgement_reason").is_some());
    let mut unknown = answers(2);
    unknown.insert("horoscope".into(), "yes".into());
    assert!(
        invalid(cw.reassess_risk(&id, &unknown, "", "").await)
            .get("answers/horoscope")
            .is_some()
    );
    // Better, but judgement keeps it at medium.
    assert_eq!(
        cw.reassess_risk(&id, &answers(2), "medium", "He has been released on bail")
            .await?,
        RiskLevel::Medium
    );

    let history = cw.risk_history(&id).await?;
    assert_eq!(history.reviews.len(), 2);
    let (first, second) = (&history.reviews[0], &history.reviews[1]);
    assert_eq!(
        (first.score, first.level, first.previous),
        (15, RiskLevel::High, before)
    );
    assert_eq!(second.scored_level, RiskLevel::Standard);
    assert_eq!(second.level, RiskLevel::Medium);
    assert_eq!(second.previous, Some(RiskLevel::High));
    assert_eq!(
        second.judgement_reason.as_deref(),
        Some("He has been released on bail")
    );
    assert!(!second.by.is_empty() && second.by != "Harbour");
    assert_eq!(
        events(&app, id.as_str())
            .await?
            .iter()
            .filter(|w| *w == "risk_reassessed")
            .count(),
        2
    );

    // A closed case is not reassessed; another agency sees none of it.
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
    assert_eq!(cw.case(&id).await?.summary.status, CaseStatus::Closed);
    assert!(
        invalid(cw.reassess_risk(&id, &answers(1), "", "").await)
            .get("risk")
            .is_some()
    );
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.risk_history(&id).await,
        Err(StorageError::NotFound(_))
    ));
    Ok(())
}
