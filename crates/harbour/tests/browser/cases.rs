//! A caseworker accepts a referral and works the case it opens: a note refused without its
//! text, then written restricted and corrected; their manager finds the case in the service's
//! caseload, reads the restricted note and reassigns it.

use super::*;
use harbour_testkit::cases::{Case, IDVA, add_caseworker, refer_on, service_id, triaged_referral};

#[tokio::test]
async fn a_caseworker_works_a_case_and_the_manager_reassigns_it() -> R {
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
    let events = text_of(&b, "main table").await?;
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
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
