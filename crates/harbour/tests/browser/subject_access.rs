//! A subject access request end to end: the data protection officer records it from the home
//! page, is stopped from exporting while flagged items wait, redacts them with reasons, makes the
//! export and its link downloads the ZIP.

use super::*;
use harbour_testkit::journey::journey;

#[tokio::test]
async fn the_officer_answers_a_subject_access_request_with_an_export() -> R {
    let app = TestApp::spawn_with(|c| c.sign_in_attempts_per_minute = 100_000).await?;
    let j = journey(&app.db, "d7e").await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(
        &b,
        &app,
        &demo_email(Role::DataProtectionOfficer),
        DEMO_PASSWORD,
    )
    .await?;
    follow_at(&b, Locator::LinkText("Subject access requests")).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/subject-access'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Enter the reference of a referral")
    );
    audit_page(&b, &mut violations).await?;
    fill(&b, "#reference", &j.reference).await?;
    click(&b, "#received").await?;
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    fill(&b, "#received_on", &today.format("%d/%m/%Y").to_string()).await?;
    fill(&b, "#asked", "A copy of everything about me").await?;
    follow(&b, "form[action='/subject-access'] button[type=submit]").await?;
    assert_eq!(
        text_of(&b, "h1").await?,
        "Subject access: Zephyrined7e Quillfeatherd7e"
    );
    assert!(text_of(&b, "main").await?.contains("casenoted7e"));
    audit_page(&b, &mut violations).await?;

    follow(&b, "form[action$='/export'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("flagged")
    );
    audit_page(&b, &mut violations).await?;
    for radio in b
        .client
        .find_all(Locator::Css("input.govuk-radios__input[value='redact']"))
        .await?
    {
        radio.click().await?;
    }
    for reason in b
        .client
        .find_all(Locator::Css("input[id^='reason_']"))
        .await?
    {
        reason.send_keys("Withheld: not hers to have").await?;
    }
    // The page the failed export showed: the request's, at the export's address.
    let url = b.client.current_url().await?;
    let page = url.path().trim_end_matches("/export");
    follow(&b, &format!("form[action='{page}'] button[type=submit]")).await?;
    assert!(text_of(&b, "#flagged").await?.contains("0 not yet decided"));
    follow(&b, "form[action$='/export'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("The export is ready")
    );
    audit_page(&b, &mut violations).await?;
    let href = b
        .client
        .find(Locator::LinkText("Download the export (ZIP)"))
        .await?
        .attr("href")
        .await?
        .expect("a link");
    let officer = app.signed_in(Role::DataProtectionOfficer).await?;
    let r = officer.get(&href).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(r.bytes().await?.starts_with(b"PK"));

    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}
