//! The data protection officer's retention run end to end: a victim's support ended years ago;
//! the officer finds the run from their home page, declines without a reason and is told one is
//! needed, approves, and the job worker erases; the run then shows what was erased, and nothing
//! planted in her records is left in the database. A legal hold is placed and lifted; another
//! person's request to be erased is recorded and granted.

use super::*;
use harbour_jobs::{Worker, WorkerConfig};
use harbour_testkit::inspect::where_text_appears;
use harbour_testkit::journey::{backdate, canaries, journey};

#[tokio::test]
async fn the_officer_approves_a_retention_run_and_her_records_are_erased() -> R {
    let app = TestApp::spawn_with(|c| c.sign_in_attempts_per_minute = 100_000).await?;
    let j = journey(&app.db, "b5w").await?;
    backdate(&app.db, &j, "2019-03-01T10:00:00.000000Z").await?;
    let worker = Worker::new(
        app.db.clone(),
        WorkerConfig {
            public_url: app.url.clone(),
            smtp_url: String::new(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: chrono::Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(
        &b,
        &app,
        &demo_email(Role::DataProtectionOfficer),
        DEMO_PASSWORD,
    )
    .await?;
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Retention and erasure")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Retention and erasure");
    audit_page(&b, &mut violations).await?;

    // Tonight's run would find her records; the officer looks now.
    follow(&b, "form[action='/retention/runs'] button[type=submit]").await?;
    assert!(text_of(&b, "h1").await?.starts_with("Retention run for"));
    let table = text_of(&b, "table").await?;
    assert!(table.contains("Case note"), "{table}");
    audit_page(&b, &mut violations).await?;
    follow(&b, "button[value=decline]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Say why the run is declined")
    );
    audit_page(&b, &mut violations).await?;
    fill(&b, "#note", "Checked against the schedule").await?;
    follow(&b, "button[value=approve]").await?;
    assert_eq!(text_of(&b, ".govuk-caption-l").await?, "Approved: erasing");

    for _ in 0..20 {
        if worker.run_once(chrono::Utc::now()).await? == 0 {
            break;
        }
    }
    b.client.refresh().await?;
    assert_eq!(text_of(&b, ".govuk-caption-l").await?, "Erased");
    assert!(text_of(&b, "table").await?.contains("Not erased"));
    audit_page(&b, &mut violations).await?;
    let planted = canaries("b5w");
    let planted: Vec<&str> = planted.iter().map(String::as_str).collect();
    let left = where_text_appears(&app.db, &planted).await?;
    assert!(left.is_empty(), "{left:#?}");

    // A legal hold, placed from the officer's home page, with an error first, then lifted.
    b.client.goto(&format!("{}/home", app.url)).await?;
    follow_at(&b, Locator::LinkText("Legal holds")).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/retention/holds'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Enter the reference of a referral")
    );
    audit_page(&b, &mut violations).await?;
    let other = journey(&app.db, "c6y").await?;
    fill(&b, "#reference", &other.reference).await?;
    click(&b, "#scope").await?;
    click(&b, "#kind").await?;
    fill(&b, "#reason", "DHR 2026/4 asked for her records").await?;
    follow(&b, "form[action='/retention/holds'] button[type=submit]").await?;
    let held = text_of(&b, "table").await?;
    assert!(held.contains("Zephyrinec6y"), "{held}");
    assert!(held.contains("Domestic homicide review"), "{held}");
    follow(&b, "a[href$='/lift']").await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#lift_reason", "Review published").await?;
    follow(&b, "form[action$='/lift'] button[type=submit]").await?;
    assert!(text_of(&b, "main").await?.contains("No records are held."));
    assert!(text_of(&b, "main").await?.contains("Review published"));
    audit_page(&b, &mut violations).await?;

    // She then asks for her records to be erased: the officer records the request and grants it.
    b.client.goto(&format!("{}/home", app.url)).await?;
    follow_at(&b, Locator::LinkText("Erasure requests")).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/retention/requests'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Choose how the request came")
    );
    audit_page(&b, &mut violations).await?;
    fill(&b, "#reference", &other.reference).await?;
    click(&b, "#received").await?;
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    fill(&b, "#received_on", &today.format("%d/%m/%Y").to_string()).await?;
    fill(&b, "#asked", "Please erase what you hold about me").await?;
    follow(&b, "form[action='/retention/requests'] button[type=submit]").await?;
    assert!(text_of(&b, "h1").await?.contains("Zephyrinec6y"));
    audit_page(&b, &mut violations).await?;
    click(&b, "#decision").await?;
    fill(&b, "#reason", "No exception applies").await?;
    follow(
        &b,
        "form[action^='/retention/requests/'] button[type=submit]",
    )
    .await?;
    assert_eq!(text_of(&b, ".govuk-caption-l").await?, "Approved: erasing");
    for _ in 0..20 {
        if worker.run_once(chrono::Utc::now()).await? == 0 {
            break;
        }
    }
    b.client.refresh().await?;
    assert_eq!(text_of(&b, ".govuk-caption-l").await?, "Erased");
    assert_eq!(text_of(&b, "h1").await?, "Erasure request: Erased");
    audit_page(&b, &mut violations).await?;
    let planted = canaries("c6y");
    let planted: Vec<&str> = planted.iter().map(String::as_str).collect();
    let left = where_text_appears(&app.db, &planted).await?;
    assert!(left.is_empty(), "{left:#?}");

    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}
