//! A caseworker turns on two-factor sign-in from their account page as a person would: scans
//! (here, reads) the key, enters the app's code, saves the recovery codes, and from then on
//! signs in with a code; every page on the way passes axe.

use super::*;

#[tokio::test]
async fn a_person_sets_up_an_authenticator_and_signs_in_with_it() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    let email = demo_email(Role::Caseworker);
    sign_in(&b, &app, &email, DEMO_PASSWORD).await?;
    assert_eq!(b.client.current_url().await?.path(), "/home");
    follow_at(&b, Locator::LinkText("Your account")).await?;
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("Set up two-factor sign-in")).await?;
    assert_eq!(b.client.current_url().await?.path(), "/account/two-factor");
    b.client
        .find(Locator::Css("svg[role=img]"))
        .await
        .map_err(|_| anyhow::anyhow!("the QR code is on the page"))?;
    audit_page(&b, &mut violations).await?;
    // "I cannot scan the QR code" opens to show the key to type.
    click(&b, "details summary").await?;
    let typed = text_of(&b, "#secret-key").await?;
    harbour_testkit::authenticator::remember(&app.url, &email, &typed)?;

    // A wrong code first: the error is beside the field, and the key is still there.
    fill(&b, "#code", "12345").await?;
    follow(&b, "form[action='/account/two-factor'] button[type=submit]").await?;
    assert!(text_of(&b, "#code-error").await?.contains("6-digit code"));
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("6-digit code")
    );
    audit_page(&b, &mut violations).await?;
    let code = harbour_testkit::authenticator::next_code(&app.url, &email).await;
    fill(&b, "#code", &code).await?;
    follow(&b, "form[action='/account/two-factor'] button[type=submit]").await?;
    assert!(
        text_of(&b, "h1")
            .await?
            .contains("Two-factor sign-in is set up")
    );
    let codes = b.client.find_all(Locator::Css("ol li code")).await?;
    assert_eq!(codes.len(), 10, "ten recovery codes");
    audit_page(&b, &mut violations).await?;
    follow_at(&b, Locator::LinkText("I have saved my recovery codes")).await?;
    assert_eq!(b.client.current_url().await?.path(), "/account");
    assert!(
        text_of(&b, "main")
            .await?
            .contains("You have 10 unused recovery codes")
    );

    // Signing in again asks for the code.
    follow(&b, "form[action='/sign-out'] button").await?;
    b.client.goto(&format!("{}/sign-in", app.url)).await?;
    fill(&b, "#email", &email).await?;
    fill(&b, "#password", DEMO_PASSWORD).await?;
    follow(&b, "form[action='/sign-in'] button[type=submit]").await?;
    assert_eq!(b.client.current_url().await?.path(), "/sign-in/code");
    audit_page(&b, &mut violations).await?;
    let code = harbour_testkit::authenticator::next_code(&app.url, &email).await;
    fill(&b, "#code", &code).await?;
    follow(&b, "form[action='/sign-in/code'] button[type=submit]").await?;
    assert_eq!(b.client.current_url().await?.path(), "/home");
    b.close().await?;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    Ok(())
}
