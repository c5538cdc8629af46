//! A caseworker accepts a referral and works the case it opens: a note refused without its
//! text, then written restricted and corrected; two outcome readings and the distance travelled;
//! a review; a support plan, a safety plan with a resource issued and printed behind its warning,
//! and the risk reassessed. Their manager finds the case in the service's caseload, reads the restricted note
//! and reassigns it; the new caseworker closes it with the cope and recover answers.

use super::*;
use harbour_testkit::cases::{Case, IDVA, add_caseworker, refer_on, service_id, triaged_referral};

#[tokio::test]
async fn a_case_is_worked_from_acceptance_to_closure_and_reassigned_on_the_way() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    refer_on(&app.db, &referral, &service_id(&app.db, IDVA).await?).await?;
    add_caseworker(&app.db, "New Era", "casey@new-era.example").await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    sign_in(&b, &app, &demo_email(Role::Caseworker), DEMO_PASSWORD).await?;
    follow(&b, "main a[href='/inbox']").await?;
    follow_at(&b, Locator::LinkText("Alys")).await?;
    follow(&b, "[id='accept/step'] button").await?;
    follow_at(&b, Locator::LinkText("Work the case")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Alys");
    let summary = text_of(&b, ".govuk-summary-list").await?;
    assert!(summary.contains("Open"), "{summary}");
    assert!(summary.contains("Targeted"), "{summary}");
    audit_page(&b, &mut violations).await?;

    // Saving without the text says so beside the field, and keeps what was chosen.
    click(&b, "#restricted").await?;
    follow(&b, "form[action$='/notes'] button").await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(errors.contains("Enter the note"), "{errors}");
    assert!(
        b.client
            .find(Locator::Css("#restricted"))
            .await?
            .prop("checked")
            .await?
            .is_some_and(|c| c == "true"),
        "the box ticked stays ticked"
    );
    audit_page(&b, &mut violations).await?;
    fill(
        &b,
        "#body",
        "She told me about her brother's threats; the police do not know yet.",
    )
    .await?;
    follow(&b, "form[action$='/notes'] button").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("Saved")
    );
    let notes = text_of(&b, ".govuk-summary-card").await?;
    assert!(
        notes.contains("Restricted") && notes.contains("brother"),
        "{notes}"
    );
    audit_page(&b, &mut violations).await?;

    // Correcting it keeps the first version.
    follow_at(&b, Locator::Css(".govuk-summary-card__actions a")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Correct a note");
    audit_page(&b, &mut violations).await?;
    fill(
        &b,
        "#body",
        "She told me about her brother's threats; she will tell the police herself.",
    )
    .await?;
    follow(&b, "main form button[type=submit]").await?;
    let notes = text_of(&b, ".govuk-summary-card").await?;
    assert!(
        notes.contains("herself") && notes.contains("corrected"),
        "{notes}"
    );

    // Two outcome readings, the first with a score missing, then the distance travelled.
    reading(&b, "start", "3", true).await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        errors.contains("Choose a score for Feeling safe"),
        "{errors}"
    );
    audit_page(&b, &mut violations).await?;
    reading(&b, "start", "3", false).await?;
    assert!(text_of(&b, "main").await?.contains("One reading so far"));
    reading(&b, "review", "6", false).await?;
    let main = text_of(&b, "main").await?;
    assert!(
        main.contains("Distance travelled: up 3 on average"),
        "{main}"
    );
    assert!(main.contains("up 3"), "{main}");
    assert_eq!(
        b.client
            .find_all(Locator::Css(
                "svg.harbour-chart circle.harbour-chart-latest"
            ))
            .await?
            .len(),
        9,
        "a bar for each area"
    );
    audit_page(&b, &mut violations).await?;
    // The Victims' Code rights explained today.
    open_all(&b).await?;
    click(&b, "[id='rights_action']").await?;
    click(&b, "[id='rights']").await?;
    click(&b, "[id='rights-4']").await?;
    follow(&b, "form[action$='/rights'] button").await?;
    let rights = text_of(&b, "#rights + table").await?;
    assert!(rights.contains("Explained"), "{rights}");
    audit_page(&b, &mut violations).await?;
    // A review sets the next one.
    fill(
        &b,
        "#review",
        "Housing application made; the safety plan still fits.",
    )
    .await?;
    follow(&b, "form[action$='/review'] button").await?;
    assert!(
        !text_of(&b, ".govuk-summary-list")
            .await?
            .contains("Not yet")
    );
    plans(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The manager finds it in the service's caseload, reads the note and reassigns the case.
    sign_in(&b, &app, &demo_email(Role::ServiceManager), DEMO_PASSWORD).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main a[href='/cases?whose=everyone']").await?;
    assert_eq!(text_of(&b, "h1").await?, "Your service's cases");
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Alys")).await?;
    assert!(
        text_of(&b, "#notes ~ .govuk-summary-card")
            .await?
            .contains("herself")
    );
    b.client
        .find(Locator::Css("#caseworker"))
        .await?
        .select_by_label("Casey Worthing (0 open)")
        .await?;
    follow(&b, "form[action$='/allocate'] button").await?;
    let summary = text_of(&b, ".govuk-summary-list").await?;
    assert!(summary.contains("Casey Worthing"), "{summary}");
    let events = text_of(&b, "#events + table").await?;
    assert!(events.contains("to Casey Worthing"), "{events}");
    audit_page(&b, &mut violations).await?;
    // Her filters: the cases no one has yet, then one caseworker's.
    b.client.goto(&format!("{}/cases", app.url)).await?;
    b.client
        .find(Locator::Css("#whose"))
        .await?
        .select_by_label("Casey Worthing (1 open)")
        .await?;
    follow(&b, "form[action='/cases'] button").await?;
    assert_eq!(text_of(&b, "h1").await?, "Casey Worthing's cases");
    assert!(text_of(&b, "main table").await?.contains("Alys"));
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // Casey closes the case, answering the two outcome questions.
    sign_in(&b, &app, "casey@new-era.example", DEMO_PASSWORD).await?;
    follow(&b, "main a[href='/cases']").await?;
    follow_at(&b, Locator::LinkText("Alys")).await?;
    open_all(&b).await?;
    follow(&b, "input[value='close'] ~ button").await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        errors.contains("Choose why the case is closing"),
        "{errors}"
    );
    audit_page(&b, &mut violations).await?;
    click(&b, "[id='close/reason']").await?;
    click(&b, "[id='close/cope']").await?;
    click(&b, "[id='close/recover']").await?;
    follow(&b, "input[value='close'] ~ button").await?;
    let summary = text_of(&b, ".govuk-summary-list").await?;
    assert!(
        summary.contains("Closed") && summary.contains("Support completed"),
        "{summary}"
    );
    let words = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Better able to cope Yes"), "{summary}");
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}

/// Opens the outcome reading form, chooses when it is, scores every area `score` (all but the
/// first when `leave_one`), and saves it.
async fn reading(b: &Browser, kind: &str, score: &str, leave_one: bool) -> R {
    open_all(b).await?;
    click(b, &format!("input[name='reading_kind'][value='{kind}']")).await?;
    let selects = b
        .client
        .find_all(Locator::Css("select[name^='score/']"))
        .await?;
    for (i, s) in selects.into_iter().enumerate() {
        if leave_one && i == 0 {
            s.select_by_value("").await?;
        } else {
            s.select_by_value(score).await?;
        }
    }
    follow(b, "form[action$='/readings'] button").await
}

/// From the case page: a support plan with a goal, an action done and progress; a safety plan
/// with two sections, a resource issued, and printing behind its warning; the risk reassessed
/// with professional judgement. Ends back on the case page.
async fn plans(b: &Browser, violations: &mut Vec<String>) -> R {
    let case_url = b.client.current_url().await?;
    follow_at(
        b,
        Locator::LinkText("Support plan: goals, actions and progress"),
    )
    .await?;
    assert_eq!(text_of(b, "h1").await?, "Support plan");
    audit_page(b, violations).await?;
    follow(b, "form[action$='/plan/goals'] button").await?;
    let errors = text_of(b, ".govuk-error-summary").await?;
    assert!(errors.contains("Enter the goal"), "{errors}");
    assert!(
        errors.contains("Choose at least one area of need"),
        "{errors}"
    );
    audit_page(b, violations).await?;
    fill(
        b,
        "#goal",
        "I want to sleep without worrying he will come round",
    )
    .await?;
    click(b, "[id='needs']").await?;
    click(b, "[id='needs-2']").await?;
    follow(b, "form[action$='/plan/goals'] button").await?;
    let card = text_of(b, ".govuk-summary-card").await?;
    assert!(card.contains("I want to sleep without worrying"), "{card}");
    assert!(
        card.contains("Mental and physical health, Shelter and accommodation"),
        "{card}"
    );
    open_all(b).await?;
    fill(
        b,
        "[id$='/action']",
        "Ask the council about the sanctuary scheme",
    )
    .await?;
    fill(b, "[id$='/who']", "Caseworker").await?;
    fill(b, "[id$='/by']", "1/1/2020").await?;
    follow(b, "form[action$='/actions'] button").await?;
    let errors = text_of(b, ".govuk-error-summary").await?;
    assert!(errors.contains("today or later"), "{errors}");
    audit_page(b, violations).await?;
    fill(b, "[id$='/by']", "31/12/2099").await?;
    follow(b, "form[action$='/actions'] button").await?;
    assert!(
        text_of(b, ".govuk-summary-card table")
            .await?
            .contains("sanctuary scheme")
    );
    follow(b, "form[action$='/done'] button").await?;
    assert!(
        !text_of(b, ".govuk-summary-card table")
            .await?
            .contains("Mark done")
    );
    open_all(b).await?;
    click(b, "[id$='/progress-2']").await?;
    fill(
        b,
        "[id$='/progress_note']",
        "The council has the application",
    )
    .await?;
    follow_at(
        b,
        Locator::XPath("//button[normalize-space()='Save progress']"),
    )
    .await?;
    let card = text_of(b, ".govuk-summary-card").await?;
    assert!(
        card.contains("Under way: The council has the application"),
        "{card}"
    );
    audit_page(b, violations).await?;

    b.client.goto(case_url.as_str()).await?;
    follow_at(b, Locator::LinkText("Safety plan and resources issued")).await?;
    assert_eq!(text_of(b, "h1").await?, "Safety plan");
    assert!(text_of(b, "main").await?.contains("press 55"));
    audit_page(b, violations).await?;
    fill(
        b,
        "[id='section/code_words']",
        "If she texts her sister 'pineapple', her sister calls 999",
    )
    .await?;
    fill(
        b,
        "[id='section/calling_for_help']",
        "The phone from the service, kept charged in her coat",
    )
    .await?;
    follow(b, "form[action$='/safety'] button").await?;
    assert!(text_of(b, ".govuk-summary-list").await?.contains("2 of 8"));
    click(b, "[id='resource/kind-2']").await?;
    fill(
        b,
        "[id='resource/description']",
        "Alarm linked to the police",
    )
    .await?;
    follow(b, "form[action$='/safety/resources'] button").await?;
    let resources = text_of(b, "#resources + table").await?;
    assert!(
        resources.contains("A personal safety device"),
        "{resources}"
    );
    audit_page(b, violations).await?;
    follow_at(b, Locator::LinkText("Print the safety plan")).await?;
    assert_eq!(text_of(b, "h1").await?, "Before you print");
    assert!(
        text_of(b, ".govuk-warning-text")
            .await?
            .contains("can be found by the person")
    );
    audit_page(b, violations).await?;
    follow(b, "a[href$='ready=yes']").await?;
    assert_eq!(text_of(b, "h1").await?, "Safety plan for Alys");
    let printed = text_of(b, "main").await?;
    assert!(
        printed.contains("pineapple") && printed.contains("Alarm linked to the police"),
        "{printed}"
    );
    audit_page(b, violations).await?;

    b.client.goto(case_url.as_str()).await?;
    follow_at(b, Locator::LinkText("Risk over time: reassess the risk")).await?;
    assert!(
        text_of(b, "#history + table")
            .await?
            .contains("at referral")
    );
    audit_page(b, violations).await?;
    b.client
        .find(Locator::Css("#judgement_level"))
        .await?
        .select_by_label("High")
        .await?;
    follow(b, "form[action$='/risk'] button").await?;
    let errors = text_of(b, ".govuk-error-summary").await?;
    assert!(errors.contains("Give the reasons"), "{errors}");
    audit_page(b, violations).await?;
    fill(
        b,
        "#judgement_reason",
        "She says he has found her new address",
    )
    .await?;
    follow(b, "form[action$='/risk'] button").await?;
    assert!(
        text_of(b, ".govuk-notification-banner")
            .await?
            .contains("now high")
    );
    let history = text_of(b, "#history + table").await?;
    assert!(
        history.contains("Up from standard") && history.contains("new address"),
        "{history}"
    );
    b.client.goto(case_url.as_str()).await?;

    // A transfer to another service, with her consent: the case stays open until it accepts.
    follow_at(b, Locator::LinkText("Transfer the case to another service")).await?;
    audit_page(b, violations).await?;
    follow(b, "form[action$='/transfer'] button").await?;
    let errors = text_of(b, ".govuk-error-summary").await?;
    assert!(errors.contains("Choose the service"), "{errors}");
    b.client
        .find(Locator::Css("#service_id"))
        .await?
        .select_by_label("The Alice Charity: basics and household furnishings (The Alice Charity)")
        .await?;
    follow(b, "form[action$='/transfer'] button").await?;
    let errors = text_of(b, ".govuk-error-summary").await?;
    assert!(
        errors.contains("consent") || errors.contains("agree"),
        "{errors}"
    );
    audit_page(b, violations).await?;
    click(b, "[id='consent/decision']").await?;
    fill(
        b,
        "#note",
        "She has moved near the charity and needs furniture",
    )
    .await?;
    follow(b, "form[action$='/transfer'] button").await?;
    let transfers = text_of(b, "#transfers + table").await?;
    assert!(
        transfers.contains("The Alice Charity") && transfers.contains("Sent"),
        "{transfers}"
    );
    assert!(text_of(b, ".govuk-summary-list").await?.contains("Open"));
    Ok(())
}
