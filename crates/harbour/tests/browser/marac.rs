//! The MARAC coordinator schedules a meeting from the MARAC page (refused without its details
//! first); the hub refers a high-risk victim from the referral's page, the form asking only what
//! Harbour does not hold; the agenda lists her, and the circulated agenda names her by initials.

use super::*;
use harbour_testkit::cases::{Case, triaged_referral};

#[tokio::test]
async fn a_meeting_is_scheduled_and_a_referred_victim_is_on_its_agenda() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    sign_in(&b, &app, &demo_email(Role::MaracCoordinator), DEMO_PASSWORD).await?;
    follow(&b, "main a[href='/marac']").await?;
    assert_eq!(text_of(&b, "h1").await?, "MARAC");
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Set up a MARAC")).await?;
    follow(&b, "form[action='/marac/new'] button").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Choose the areas it covers")
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "a.govuk-back-link").await?;
    follow_at(
        &b,
        Locator::LinkText("Schedule a meeting of Staffordshire North MARAC"),
    )
    .await?;
    follow(&b, "form[action$='/meetings/new'] button").await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(errors.contains("Enter the date of the meeting"), "{errors}");
    assert!(errors.contains("Enter who chairs it"), "{errors}");
    audit_page(&b, &mut violations).await?;
    let on = chrono::Utc::now().date_naive() + chrono::Days::new(10);
    fill(&b, "#held_on", &on.format("%-d/%-m/%Y").to_string()).await?;
    fill(&b, "#starts_at", "10:00").await?;
    fill(&b, "#place", "Stafford police station, room 2").await?;
    fill(&b, "#chair", "DI Morgan").await?;
    follow(&b, "form[action$='/meetings/new'] button").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("scheduled")
    );
    let meeting_url = b.client.current_url().await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/{referral}", app.url))
        .await?;
    follow_at(&b, Locator::LinkText("Refer to MARAC")).await?;
    let held = text_of(&b, ".govuk-summary-list").await?;
    assert!(
        held.contains("Visible high risk") && held.contains("Rhys Calder"),
        "{held}"
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action$='/marac'] button").await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        errors.contains("Say who the victim is afraid of"),
        "{errors}"
    );
    audit_page(&b, &mut violations).await?;
    click(&b, "[id='victim_aware']").await?;
    click(&b, "[id='victim_consented']").await?;
    fill(&b, "#afraid_of", "Her ex-partner, Rhys Calder").await?;
    click(&b, "[id='idva/consent/decision']").await?;
    click(&b, "[id='minoritised-3']").await?;
    click(&b, "[id='lgbt-2']").await?;
    click(&b, "[id='disabled-2']").await?;
    follow(&b, "form[action$='/marac'] button").await?;
    assert_eq!(b.client.current_url().await?.path(), meeting_url.path());
    let agenda = text_of(&b, "main table").await?;
    assert!(agenda.contains("Alys Brereton"), "{agenda}");
    audit_page(&b, &mut violations).await?;
    follow_at(
        &b,
        Locator::LinkText("The agenda to circulate, with initials only"),
    )
    .await?;
    let circulated = text_of(&b, "main table").await?;
    assert!(
        circulated.contains("A.B.") && !circulated.contains("Alys"),
        "{circulated}"
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // Two attending agencies complete their research, each seeing only that the other has.
    for (role, facts) in [
        (
            Role::Caseworker,
            "Known to our outreach team since 2025; two refuge stays.",
        ),
        (
            Role::Referrer,
            "Three call-outs since August; a non-molestation order until June.",
        ),
    ] {
        sign_in(&b, &app, &demo_email(role), DEMO_PASSWORD).await?;
        follow(&b, "main a[href='/marac']").await?;
        audit_page(&b, &mut violations).await?;
        follow(&b, "main table a[href^='/marac/meetings/']").await?;
        follow(&b, "main table a[href^='/marac/cases/']").await?;
        audit_page(&b, &mut violations).await?;
        fill(&b, "#facts", facts).await?;
        fill(&b, "#opinion", "Escalating: he has found her new address.").await?;
        click(&b, "#complete").await?;
        follow(&b, "form[action$='/research'] button").await?;
        assert!(
            text_of(&b, ".govuk-notification-banner")
                .await?
                .contains("research is saved")
        );
        audit_page(&b, &mut violations).await?;
        follow(&b, "form[action='/sign-out'] button").await?;
    }
    sign_in(&b, &app, &demo_email(Role::MaracCoordinator), DEMO_PASSWORD).await?;
    b.client.goto(meeting_url.as_str()).await?;
    follow(&b, "main table a[href^='/marac/cases/']").await?;
    let research = text_of(&b, "main table").await?;
    assert_eq!(research.matches("Complete").count(), 2, "{research}");
    assert!(!text_of(&b, "main").await?.contains("two refuge stays"));

    // The meeting: what the police shared, the risks, three actions.
    open_all(&b).await?;
    b.client
        .find(Locator::Css("[id='shared/agency']"))
        .await?
        .select_by_label("Staffordshire Police")
        .await?;
    fill(
        &b,
        "[id='shared/information']",
        "Three call-outs since August; bail ends next week.",
    )
    .await?;
    follow(&b, "form[action$='/shared'] button").await?;
    open_all(&b).await?;
    fill(
        &b,
        "#risks",
        "Serious harm when bail ends; the children at school pick-up.",
    )
    .await?;
    follow(&b, "form[action$='/risks'] button").await?;
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(14))
        .format("%-d/%-m/%Y")
        .to_string();
    for (what, owner) in [
        (
            "Flag the address for an urgent response",
            "Staffordshire Police",
        ),
        ("IDVA to review the safety plan with her", "New Era"),
        (
            "Tell the school who may collect the children",
            "Staffordshire Victim Gateway",
        ),
    ] {
        open_all(&b).await?;
        fill(&b, "[id='action/what']", what).await?;
        b.client
            .find(Locator::Css("[id='action/owner']"))
            .await?
            .select_by_label(owner)
            .await?;
        fill(&b, "[id='action/due_on']", &due).await?;
        follow(&b, "form[action$='/actions'] button").await?;
    }
    assert_eq!(
        b.client
            .find_all(Locator::Css("#meeting ~ table tbody tr"))
            .await?
            .len(),
        4,
        "one thing shared and three actions"
    );
    audit_page(&b, &mut violations).await?;
    b.client.goto(meeting_url.as_str()).await?;
    click(&b, "[id='attended']").await?;
    click(&b, "[id='attended-2']").await?;
    fill(
        &b,
        "#legal_basis",
        "Crime and Disorder Act 1998 s.115; UK GDPR Art. 9(2)(g)",
    )
    .await?;
    follow(&b, "form[action$='/attendance'] button").await?;
    fill(
        &b,
        "#summary",
        "Three actions agreed; review if bail is extended.",
    )
    .await?;
    follow(&b, "form[action$='/held'] button").await?;
    assert!(
        text_of(&b, "main")
            .await?
            .contains("Legal basis for sharing")
    );
    follow_at(&b, Locator::LinkText("The minutes")).await?;
    let minutes = text_of(&b, "main").await?;
    assert!(
        minutes.contains("bail ends next week") && minutes.contains("IDVA to review"),
        "{minutes}"
    );
    audit_page(&b, &mut violations).await?;
    // The quarter's return, reached from the MARAC page.
    follow(&b, "header a[href='/marac'], nav a[href='/marac']").await?;
    follow_at(
        &b,
        Locator::LinkText("The quarterly data return for Staffordshire North MARAC"),
    )
    .await?;
    let quarter = harbour_domain::marac::dataset::Quarter::of(on);
    let mut url = b.client.current_url().await?;
    url.set_query(Some(&format!("quarter={}", quarter.slug())));
    b.client.goto(url.as_str()).await?;
    let figures = text_of(&b, "main table").await?;
    assert!(
        figures.contains("Cases heard 1") || figures.contains("Cases heard\t1"),
        "{figures}"
    );
    audit_page(&b, &mut violations).await?;
    follow_at(
        &b,
        Locator::LinkText("For publication, small numbers suppressed"),
    )
    .await?;
    assert!(text_of(&b, "main table").await?.contains("<5"));
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // New Era answers its action.
    sign_in(&b, &app, &demo_email(Role::Caseworker), DEMO_PASSWORD).await?;
    follow(&b, "main a[href='/marac']").await?;
    follow(&b, "main a[href='/marac/actions']").await?;
    assert!(
        text_of(&b, "main")
            .await?
            .contains("IDVA to review the safety plan")
    );
    audit_page(&b, &mut violations).await?;
    click(&b, "[id$='/status']").await?;
    fill(
        &b,
        "[id$='/note']",
        "Safety plan reviewed with her on Tuesday",
    )
    .await?;
    follow(&b, "form[action^='/marac/actions/'] button").await?;
    assert!(
        text_of(&b, "main")
            .await?
            .contains("Done: Safety plan reviewed")
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
