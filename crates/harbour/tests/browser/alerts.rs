//! Community alerts end to end: a resident signs up and confirms by the link in the e-mail the
//! test mail server received; a police officer writes a 3 km alert, sees how many it reaches and
//! sends it; the resident receives it and unsubscribes by its link; the officer's report counts
//! the unsubscribe.

use super::*;
use harbour_jobs::{Worker, WorkerConfig};
use harbour_testkit::smtp::SmtpSink;

async fn drain(w: &Worker) -> R {
    for _ in 0..100 {
        if w.run_once(chrono::Utc::now()).await? == 0 {
            return Ok(());
        }
    }
    anyhow::bail!("the queue did not empty")
}

#[tokio::test]
async fn a_resident_subscribes_an_officer_alerts_them_and_they_unsubscribe_by_its_link() -> R {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 100_000;
        c.self_referral_min_seconds = 0;
    })
    .await?;
    let sink = SmtpSink::start().await?;
    let worker = Worker::new(
        app.db.clone(),
        WorkerConfig {
            public_url: app.url.clone(),
            smtp_url: sink.url(),
            mail_from: "Harbour <alerts@harbour.test>".into(),
            lease: chrono::Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    let resident = "rowan.resident@alerts.test";

    // The resident finds the alerts from the start page and signs up.
    b.client.goto(&app.url).await?;
    follow_at(&b, Locator::LinkText("Community alerts")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Community alerts");
    assert!(
        b.client
            .find(Locator::Css(".govuk-exit-this-page"))
            .await
            .is_err(),
        "no Exit this page on the alerts page"
    );
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Get alerts by email")).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/alerts/subscribe'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Enter your email address")
    );
    audit_page(&b, &mut violations).await?;
    fill(&b, "#email", resident).await?;
    click(&b, "#kind").await?;
    click(&b, "#age_group-2").await?;
    fill(&b, "#postcode", "ST16 3AA").await?;
    click(&b, "#topics").await?;
    click(&b, "#priority").await?;
    follow(&b, "form[action='/alerts/subscribe'] button[type=submit]").await?;
    assert_eq!(text_of(&b, "h1").await?, "Check your email");
    audit_page(&b, &mut violations).await?;

    drain(&worker).await?;
    let mail = sink.accepted();
    assert_eq!(mail.len(), 1);
    let confirm = mail[0]
        .link("/alerts/confirm/")
        .expect("a confirmation link");
    b.client.goto(&format!("{}{confirm}", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main form button").await?;
    assert_eq!(text_of(&b, "h1").await?, "Your alerts have started");

    // The officer writes an alert around a postcode, sees the reach, and sends it.
    sign_in(&b, &app, &demo_email(Role::AlertAuthor), DEMO_PASSWORD).await?;
    follow_at(&b, Locator::LinkText("Write a community alert")).await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#headline", "Sheds broken into overnight").await?;
    fill(
        &b,
        "#description",
        "Three garden sheds were forced on Church Lane.",
    )
    .await?;
    fill(
        &b,
        "#instruction",
        "Lock sheds and mark tools with your postcode.",
    )
    .await?;
    fill(&b, "#reference", "SP-20261203-0099").await?;
    click(&b, "#topics").await?;
    fill(&b, "#postcode", "ST16 2AB").await?;
    follow(&b, "button[value=reach]").await?;
    let reach = text_of(&b, ".harbour-reach").await?;
    assert!(reach.contains("1 subscriber"), "{reach}");
    assert!(reach.contains("Within 3 km"), "{reach}");
    audit_page(&b, &mut violations).await?;
    follow(&b, "button[value=send]").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("Sent")
    );
    let alert_page = b.client.current_url().await?;
    audit_page(&b, &mut violations).await?;

    // The resident receives it, and stops their alerts by its link.
    drain(&worker).await?;
    let mail = sink.accepted();
    let alert_mail: Vec<_> = mail
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some("Sheds broken into overnight"))
        .collect();
    assert_eq!(alert_mail.len(), 1);
    assert!(alert_mail[0].to.iter().any(|t| t.contains(resident)));
    let stop = alert_mail[0]
        .link("/alerts/unsubscribe/")
        .expect("an unsubscribe link");
    b.client.goto(&format!("{}{stop}", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main form button").await?;
    assert_eq!(text_of(&b, "h1").await?, "You have unsubscribed");
    audit_page(&b, &mut violations).await?;

    // The officer's report: counts, no one named.
    b.client.goto(alert_page.as_str()).await?;
    let report = text_of(&b, "main").await?;
    let words = report.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Unsubscribed from this alert 1"), "{report}");
    assert!(words.contains("Subscribers reached 1 Sent 1"), "{report}");
    assert!(!report.contains(resident));
    b.client.goto(&format!("{}/alerts", app.url)).await?;
    assert!(
        text_of(&b, "main")
            .await?
            .contains("Sheds broken into overnight")
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
