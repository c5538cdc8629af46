//! The hub finds a possible match from its home page, compares the two records and the weight
//! of each detail, decides they are the same person, and sees her history.

use super::*;
use serde_json::json;

async fn submit(app: &TestApp, token: &str, body: serde_json::Value) -> R {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    Ok(())
}

#[tokio::test]
async fn the_hub_resolves_a_possible_match_then_sees_the_history() -> R {
    let app = TestApp::spawn().await?;
    harbour_storage::demo::load_demo_referrals(&app.db, 300).await?;
    harbour_storage::recognition::ready(&app.db).await?;
    let token = app.api_token("New Era").await?;
    let referral = |person: serde_json::Value, channel: serde_json::Value| {
        json!({
            "source": "partner_agency",
            "crime_category": "domestic_abuse",
            "incident_area": "E07000197",
            "person": person,
            "consent_to_referral": "given",
            "safe_contact": { "channels": [ channel ] }
        })
    };
    submit(
        &app,
        &token,
        referral(
            json!({ "given_name": "Jodie", "family_name": "Harroby", "date_of_birth": "1990-03-04",
                    "address": "4 Quiet Lane, Stafford", "postcode": "ST16 2DH", "area": "E07000197" }),
            json!({ "channel": "phone_call", "value": "07700 900123" }),
        ),
    )
    .await?;
    submit(
        &app,
        &token,
        referral(
            json!({ "given_name": "Jodie", "family_name": "Harroby", "postcode": "WS11 1AA",
                    "area": "E07000193" }),
            json!({ "channel": "email", "value": "jh@example.org" }),
        ),
    )
    .await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("1 possible match to decide")).await?;
    assert_eq!(text_of(&b, "h1").await?, "Possible matches");
    audit_page(&b, &mut violations).await?;
    follow(&b, "main table a[href^='/recognition/matches/']").await?;
    assert_eq!(text_of(&b, "h1").await?, "Is this the same person?");
    let main = text_of(&b, "main").await?;
    assert!(
        main.contains("WS11 1AA") && main.contains("ST16 2DH"),
        "{main}"
    );
    assert!(main.contains("Why Harbour thinks they may be one person"));
    assert!(main.contains("Family name"), "the weight of each detail");
    audit_page(&b, &mut violations).await?;

    // Saving without a decision says what is missing.
    follow(&b, "main form button[type=submit]").await?;
    let summary = text_of(&b, ".govuk-error-summary").await?;
    assert!(
        summary.contains("Choose whether these are the same person or different people"),
        "{summary}"
    );
    audit_page(&b, &mut violations).await?;
    click(&b, "#decision").await?;
    fill(&b, "#reason", "Same e-mail address as in the police report").await?;
    follow(&b, "main form button[type=submit]").await?;
    let banner = text_of(&b, ".govuk-notification-banner").await?;
    assert!(banner.contains("Their records are joined"), "{banner}");
    assert_eq!(text_of(&b, "h1").await?, "Jodie Harroby");
    let history = text_of(&b, "main table").await?;
    assert_eq!(history.matches("HBR-").count(), 2, "{history}");
    let main = text_of(&b, "main").await?;
    assert!(main.contains("Records joined"), "{main}");
    assert!(main.contains("Separate these records again"));
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
