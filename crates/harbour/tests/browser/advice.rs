//! The hub records information and advice on a referral from its page: refused without what was
//! given, then recorded with the places signposted, closing the referral.

use super::*;
use harbour_testkit::cases::{Case, triaged_referral};

#[tokio::test]
async fn the_hub_records_advice_and_closes_the_referral() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/{referral}", app.url))
        .await?;
    assert!(text_of(&b, "#advice + p").await?.contains("None recorded"));
    follow_at(&b, Locator::LinkText("Record information and advice given")).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action$='/advice'] button").await?;
    let errors = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        errors.contains("Choose the information or advice you gave"),
        "{errors}"
    );
    assert!(
        errors.contains("Choose how the advice was given"),
        "{errors}"
    );
    audit_page(&b, &mut violations).await?;
    click(&b, "[id='given-2']").await?;
    click(&b, "[id='how']").await?;
    fill(
        &b,
        "#signposted",
        "National Domestic Abuse Helpline\nCitizens Advice Stafford",
    )
    .await?;
    click(&b, "#close").await?;
    follow(&b, "form[action$='/advice'] button").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("the referral is closed")
    );
    let table = text_of(&b, "#advice + table").await?;
    assert!(
        table.contains("Victims' Code") && table.contains("Citizens Advice Stafford"),
        "{table}"
    );
    assert!(text_of(&b, ".govuk-caption-l").await?.contains("Closed"));
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
