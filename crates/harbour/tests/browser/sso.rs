//! An administrator sets up their agency's identity provider from their home page, and a
//! member of staff then signs in through it: Harbour's sign-in page, the provider's own
//! sign-in page (the real `oidc-provider` from npm), and back to Harbour signed in. Harbour's
//! pages pass axe.

use super::*;
use harbour_testkit::identity_provider::IdentityProvider;

#[tokio::test]
async fn a_member_of_staff_signs_in_through_their_agencys_identity_provider() -> R {
    let app = TestApp::spawn().await?;
    let idp = IdentityProvider::start(&format!("{}/sign-in/sso/callback", app.url)).await?;
    let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
        .bind("Staffordshire Police")
        .fetch_one(app.db.pool())
        .await?;
    harbour_storage::users::create_as_system(
        &app.db,
        &harbour_domain::user::UserInput {
            display_name: "Sam Officer".into(),
            email: "sam@police.example".into(),
            agency_id: agency,
            roles: vec!["referrer".into()],
            password: DEMO_PASSWORD.into(),
        },
        "test",
    )
    .await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    sign_in(&b, &app, &demo_email(Role::Administrator), DEMO_PASSWORD).await?;
    follow_at(&b, Locator::LinkText("Agencies and API tokens")).await?;
    follow_at(&b, Locator::LinkText("Staffordshire Police")).await?;
    follow(&b, "a[href$='/sign-in']").await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#issuer", &idp.issuer).await?;
    fill(&b, "#client_id", &idp.client_id).await?;
    fill(&b, "#client_secret", &idp.client_secret).await?;
    fill(&b, "#domains", "police.example").await?;
    follow(&b, "form[action$='/sign-in'] button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-notification-banner")
            .await?
            .contains("Saved")
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The member of staff, at Harbour's sign-in page.
    b.client.goto(&format!("{}/sign-in", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#sso_email", "sam@police.example").await?;
    follow(&b, "form[action='/sign-in/sso'] button[type=submit]").await?;
    // The provider's page (not Harbour's, so not axe's business here).
    assert!(
        b.client
            .current_url()
            .await?
            .as_str()
            .starts_with(&idp.issuer)
    );
    fill(&b, "input[name=login]", "sam@police.example").await?;
    fill(&b, "input[name=password]", "their work password").await?;
    follow(&b, "button[type=submit]").await?;
    // Harbour's landing page moves on by itself (a same-site step for the strict cookies).
    for _ in 0..100 {
        if b.client.current_url().await?.path() == "/home" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(b.client.current_url().await?.path(), "/home");
    assert!(text_of(&b, "h1").await?.contains("Welcome, Sam"));
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    Ok(())
}
