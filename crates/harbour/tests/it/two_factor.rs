//! Two-factor sign-in: a code from an authenticator app after the password for the roles that
//! need it (and anyone who turns it on), each code once, recovery codes once and stored only
//! as digests, setting an authenticator up at first sign-in, wrong codes counted like wrong
//! passwords, and a sign-in part-way that times out.

use harbour_domain::role::Role;
use harbour_domain::two_factor::{STEP, code_at};
use harbour_storage::demo::{DEMO_PASSWORD, demo_two_factor_secret};
use harbour_testkit::app::demo_email;
use harbour_testkit::authenticator::{next_code, typed_secret};
use harbour_testkit::{TestApp, TestClient};
use reqwest::StatusCode;

type R = anyhow::Result<()>;

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Enters the email address and password only.
async fn password_only(c: &TestClient, email: &str) -> anyhow::Result<String> {
    let r = c
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", DEMO_PASSWORD)],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    Ok(location(&r))
}

async fn enter_code(c: &TestClient, code: &str) -> anyhow::Result<reqwest::Response> {
    c.submit("/sign-in/code", "/sign-in/code", &[("code", code)])
        .await
}

fn unix_step() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default() / STEP
}

#[tokio::test]
async fn a_triage_officer_needs_a_code_that_works_once() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::TriageOfficer);
    let c = app.client();
    assert_eq!(password_only(&c, &email).await?, "/sign-in/code");
    // A right password alone signs no one in.
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    let r = enter_code(&c, "000000").await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Enter the 6-digit code"));
    let r = enter_code(&c, "").await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The code for now, as the app shows it.
    let step = unix_step();
    let code = code_at(&demo_two_factor_secret(&email), step);
    let r = enter_code(&c, &code).await?;
    assert_eq!(location(&r), "/home");
    assert_eq!(c.get("/home").await?.status(), StatusCode::OK);

    // The same code again, on another device, is refused with a reason.
    let other = app.client();
    password_only(&other, &email).await?;
    let r = enter_code(&other, &code).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await?;
    assert!(page.contains("already been used"), "{page}");
    assert_eq!(other.get("/home").await?.status(), StatusCode::SEE_OTHER);
    let audit: Vec<String> = sqlx::query_scalar("SELECT purpose FROM audit_log")
        .fetch_all(app.db.pool())
        .await?;
    assert!(
        audit
            .iter()
            .any(|p| p == "sign in with a wrong second factor")
    );
    assert!(
        audit
            .iter()
            .any(|p| p.starts_with("sign in with an authenticator code"))
    );
    Ok(())
}

#[tokio::test]
async fn recovery_codes_work_once_and_are_stored_as_digests() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::Auditor);
    let signed_in = app.signed_in(Role::Auditor).await?;
    let r = signed_in
        .submit("/account", "/account/two-factor/recovery-codes", &[])
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await?;
    let codes: Vec<String> = page
        .split("<code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(app.db.pool())
        .await?;
    assert_eq!(stored.len(), 10);
    for c in &codes {
        let bare = c.replace('-', "");
        assert!(stored.iter().all(|h| !h.contains(&bare)), "only digests");
    }
    // A recovery code, typed in capitals with spaces, instead of the app's code.
    let phone_lost = app.client();
    assert_eq!(password_only(&phone_lost, &email).await?, "/sign-in/code");
    let typed = codes[3].to_uppercase().replace('-', " ");
    let r = enter_code(&phone_lost, &typed).await?;
    assert_eq!(location(&r), "/home");
    // Once only.
    let again = app.client();
    password_only(&again, &email).await?;
    let r = enter_code(&again, &codes[3]).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The account page counts what is left, and the role cannot turn it off.
    let (_, account) = signed_in.get_text("/account").await?;
    assert!(
        account.contains("You have 9 unused recovery codes"),
        "{account}"
    );
    assert!(!account.contains("/account/two-factor/off"));
    let r = signed_in
        .submit("/account", "/account/two-factor/off", &[])
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("cannot be turned off"));
    Ok(())
}

#[tokio::test]
async fn a_new_administrator_sets_up_an_authenticator_at_first_sign_in() -> R {
    let app = TestApp::spawn().await?;
    let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
        .bind("Staffordshire Victim Gateway")
        .fetch_one(app.db.pool())
        .await?;
    let email = "new.admin@gateway.example";
    harbour_storage::users::create_as_system(
        &app.db,
        &harbour_domain::user::UserInput {
            display_name: "New Admin".into(),
            email: email.into(),
            agency_id: agency,
            roles: vec!["administrator".into()],
            password: DEMO_PASSWORD.into(),
        },
        "test",
    )
    .await?;
    let c = app.client();
    assert_eq!(password_only(&c, email).await?, "/sign-in/set-up");
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    let (status, page) = c.get_text("/sign-in/set-up").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg role=\"img\""), "a QR code to scan");
    let typed = typed_secret(&page).unwrap_or_default();
    assert_eq!(typed.replace(' ', "").len(), 32);
    // A wrong code keeps them on the page with the same key.
    let r = c
        .submit(
            "/sign-in/set-up",
            "/sign-in/set-up",
            &[("code", "123456"), ("setting_up", "yes")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains(&typed));
    harbour_testkit::authenticator::remember(&app.url, email, &typed)?;
    let code = next_code(&app.url, email).await;
    let r = c
        .submit(
            "/sign-in/set-up",
            "/sign-in/set-up",
            &[("code", &code), ("setting_up", "yes")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Save your recovery codes"));
    assert_eq!(c.get("/home").await?.status(), StatusCode::OK);
    let confirmed: Option<String> = sqlx::query_scalar(
        "SELECT t.confirmed_at FROM two_factor t JOIN users u ON u.id = t.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(app.db.pool())
    .await?;
    assert!(confirmed.is_some());
    // Next time, a code.
    let later = app.client();
    assert_eq!(password_only(&later, email).await?, "/sign-in/code");
    Ok(())
}

#[tokio::test]
async fn a_caseworker_may_turn_it_on_and_off() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::Caseworker);
    let c = app.signed_in(Role::Caseworker).await?;
    let (_, account) = c.get_text("/account").await?;
    assert!(account.contains("Set up two-factor sign-in"));
    let (_, page) = c.get_text("/account/two-factor").await?;
    let typed = typed_secret(&page).unwrap_or_default();
    let r = c
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", "")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    harbour_testkit::authenticator::remember(&app.url, &email, &typed)?;
    let code = next_code(&app.url, &email).await;
    let r = c
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", &code)],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Two-factor sign-in is set up"));
    let other = app.client();
    assert_eq!(password_only(&other, &email).await?, "/sign-in/code");
    let r = c.submit("/account", "/account/two-factor/off", &[]).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Two-factor sign-in is off"));
    let third = app.client();
    assert_eq!(password_only(&third, &email).await?, "/home");
    Ok(())
}

#[tokio::test]
async fn wrong_codes_lock_out_and_a_sign_in_part_way_times_out() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::DataProtectionOfficer);
    let c = app.client();
    password_only(&c, &email).await?;
    for _ in 0..4 {
        let r = enter_code(&c, "999999").await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The fifth wrong code locks the address, as five wrong passwords would.
    let r = enter_code(&c, "999999").await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await?.contains("too many failed attempts"));
    let r = c
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", DEMO_PASSWORD)],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // A sign-in part-way lasts ten minutes.
    let late = app.client();
    let admin = demo_email(Role::Administrator);
    password_only(&late, &admin).await?;
    sqlx::query("UPDATE pending_sign_ins SET expires_at = $1")
        .bind("2000-01-01T00:00:00Z")
        .execute(app.db.pool())
        .await?;
    let code = next_code(&app.url, &admin).await;
    let r = enter_code(&late, &code).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Your sign-in has timed out"));
    assert_eq!(late.get("/home").await?.status(), StatusCode::SEE_OTHER);
    // Without one at all, the page says so too.
    let (status, page) = app.client().get_text("/sign-in/code").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Sign in again"));
    Ok(())
}

#[tokio::test]
async fn an_administrator_resets_a_lost_authenticator() -> R {
    let app = TestApp::spawn().await?;
    let email = demo_email(Role::MaracCoordinator);
    let coordinator = app.signed_in(Role::MaracCoordinator).await?;
    let id = harbour_testkit::inspect::user_id(&app.db, &email).await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let page = format!("/admin/people/{id}");
    let (_, before) = admin.get_text(&page).await?;
    assert!(before.contains("Reset two-factor sign-in"));
    // Not a caseworker's to do; and not one's own.
    let caseworker = app.signed_in(Role::Caseworker).await?;
    let r = caseworker
        .submit("/home", &format!("{page}/two-factor/reset"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = harbour_testkit::inspect::user_id(&app.db, &demo_email(Role::Administrator)).await?;
    let r = admin
        .submit(
            "/home",
            &format!("/admin/people/{own}/two-factor/reset"),
            &[],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .submit(&page, &format!("{page}/two-factor/reset"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("has not set up an authenticator"));
    // Signed out everywhere; next time, a new authenticator after the password.
    assert_eq!(
        coordinator.get("/home").await?.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        password_only(&app.client(), &email).await?,
        "/sign-in/set-up"
    );
    Ok(())
}
