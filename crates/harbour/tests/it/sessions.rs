//! Where a person is signed in: their account page lists each sign-in and ends any of them; a
//! sign-in from a device they have not used before shows on their home page until they say it
//! was them.

use harbour_domain::role::Role;
use harbour_storage::demo::DEMO_PASSWORD;
use harbour_testkit::TestApp;
use harbour_testkit::app::demo_email;
use reqwest::StatusCode;

type R = anyhow::Result<()>;

const NEW_DEVICE: &str = "signed in from a new device";

#[tokio::test]
async fn a_person_sees_their_sign_ins_ends_one_and_is_told_of_a_new_device() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::TriageOfficer);
    // The first device anyone signs in from is not news; nor is signing in again from it.
    let laptop = app.signed_in(Role::TriageOfficer).await?;
    laptop.submit("/home", "/sign-out", &[]).await?;
    laptop.sign_in(&email, DEMO_PASSWORD).await?;
    let (_, home) = laptop.get_text("/home").await?;
    assert!(!home.contains(NEW_DEVICE), "the same browser is not new");

    // Another browser is.
    let phone = app.client();
    phone.sign_in(&email, DEMO_PASSWORD).await?;
    let (_, home) = laptop.get_text("/home").await?;
    assert!(home.contains(NEW_DEVICE), "the laptop is told of the phone");

    // The account page lists both, this one marked; the laptop signs the phone out.
    let (status, account) = laptop.get_text("/account").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(account.matches("/end\"").count(), 2, "two sign-ins listed");
    assert_eq!(account.matches("This device").count(), 1);
    let sessions: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.id, s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.email = $1 ORDER BY s.created_at DESC",
    )
    .bind(&email)
    .fetch_all(app.db.pool())
    .await?;
    let phone_session = &sessions[0].0;
    assert!(
        !account.contains(&sessions[0].1),
        "the token's digest stays private"
    );
    // Someone else cannot end it: it is not theirs to find.
    let other = app.signed_in(Role::Caseworker).await?;
    let r = other
        .submit(
            "/home",
            &format!("/account/sessions/{phone_session}/end"),
            &[],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(phone.get("/home").await?.status(), StatusCode::OK);
    let r = laptop
        .submit(
            "/account",
            &format!("/account/sessions/{phone_session}/end"),
            &[],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("signed out on that device"));
    assert_eq!(phone.get("/home").await?.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/home").await?.status(), StatusCode::OK);

    // Saying the new device was them takes the notice away; the audit trail keeps both acts.
    let device: String = sqlx::query_scalar(
        "SELECT d.id FROM known_devices d JOIN users u ON u.id = d.user_id \
         WHERE u.email = $1 AND d.acknowledged = $2",
    )
    .bind(&email)
    .bind(false)
    .fetch_one(app.db.pool())
    .await?;
    let r = laptop
        .submit("/home", &format!("/account/devices/{device}/confirm"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, home) = laptop.get_text("/home").await?;
    assert!(!home.contains(NEW_DEVICE));
    let purposes: Vec<String> = sqlx::query_scalar("SELECT purpose FROM audit_log")
        .fetch_all(app.db.pool())
        .await?;
    assert!(
        purposes.iter().any(|p| p.ends_with("from a new device")),
        "the sign-in from the phone"
    );
    for expected in [
        "end one of their own sign-ins",
        "confirm a sign-in from a new device was theirs",
    ] {
        assert!(purposes.iter().any(|p| p == expected), "{expected}");
    }

    // Ending the sign-in in use signs the person out.
    let (_, account) = laptop.get_text("/account").await?;
    let own = account
        .split("action=\"/account/sessions/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let r = laptop
        .submit("/account", &format!("/account/sessions/{own}/end"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/home").await?.status(), StatusCode::SEE_OTHER);
    Ok(())
}
