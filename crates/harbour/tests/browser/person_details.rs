//! The hub finds a referral whose details differ from those held, sees the differences side by
//! side, and confirms field by field.

use super::*;
use harbour_testkit::cases::{Case, triaged_referral};
use serde_json::json;

#[tokio::test]
async fn the_hub_sees_details_that_differ_and_chooses_between_them() -> R {
    let app = TestApp::spawn().await?;
    triaged_referral(&app.db, Case::default()).await?;
    let token = app.api_token("New Era").await?;
    let later = json!({
        "source": "partner_agency",
        "crime_category": "domestic_abuse",
        "person": { "given_name": "Alys", "family_name": "Brereton", "date_of_birth": "1990-04-02",
                    "address": "9 Other Street", "postcode": "ST17 4AB", "area": "E07000197" },
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": "07700 900222" },
                          { "channel": "email", "value": "alys.safe@example.org" } ],
            "code_word": "bluebell"
        }
    });
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(&token)
        .json(&later)
        .send()
        .await?;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/queue", app.url))
        .await?;
    let queue = text_of(&b, "main table").await?;
    assert!(
        queue.contains("Details differ from what we hold"),
        "{queue}"
    );
    audit_page(&b, &mut violations).await?;
    follow(
        &b,
        "main table tr:has(.govuk-tag--orange) a[href^='/referrals/']",
    )
    .await?;
    let banner = text_of(&b, ".govuk-notification-banner").await?;
    assert!(
        banner.contains("Details differ from what we hold"),
        "{banner}"
    );
    assert!(banner.contains("07700 900123") && banner.contains("07700 900222"));
    assert!(banner.contains("4 Quiet Lane") && banner.contains("9 Other Street"));
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Check and confirm the details")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Check the person's details");
    audit_page(&b, &mut violations).await?;

    // Confirming without choosing for each difference says which are missing, by field.
    click(&b, "#channel_phone_call-referred").await?;
    follow(&b, "main form button[type=submit]").await?;
    let summary = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        summary.contains("Choose which is right for address"),
        "{summary}"
    );
    let kept = b
        .client
        .find(Locator::Css("#channel_phone_call-referred"))
        .await?
        .prop("checked")
        .await?;
    assert_eq!(kept.as_deref(), Some("true"), "the choice made is kept");
    audit_page(&b, &mut violations).await?;
    click(&b, "#address").await?;
    follow(&b, "main form button[type=submit]").await?;
    let done = text_of(&b, ".govuk-notification-banner").await?;
    assert!(
        done.contains("The person's details are confirmed"),
        "{done}"
    );
    // The new number is held; the address was kept; this referral's own record is unchanged.
    let held: String = sqlx::query("SELECT safe_contact FROM persons")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    let held = harbour_testkit::inspect::opened(&held)?;
    assert!(held.contains("07700 900222"), "{held}");
    let main = text_of(&b, "main").await?;
    assert!(main.contains("The details we hold now differ from what this referral said"));
    assert!(
        main.contains("9 Other Street"),
        "the referral still says what it said"
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
