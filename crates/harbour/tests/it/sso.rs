//! Single sign-on through an agency's identity provider: a real OpenID Connect provider
//! (`oidc-provider` from npm) signs a member of staff in, Harbour checks its ID token and links
//! the verified address within the agency's domains to their Harbour account; roles stay in
//! Harbour, a deactivated account gets nowhere, and the second factor is still asked for unless
//! the provider checks one.

use harbour_domain::role::Role;
use harbour_storage::demo::DEMO_PASSWORD;
use harbour_testkit::identity_provider::IdentityProvider;
use harbour_testkit::{TestApp, TestClient};
use reqwest::StatusCode;

type R = anyhow::Result<()>;

/// Where Harbour's page after the provider moves on to (a same-site step, see `pages::sso`).
async fn moves_on_to(r: reqwest::Response) -> anyhow::Result<String> {
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await?;
    Ok(html
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Sets up the police's provider on its settings page, as their administrator would.
async fn set_up(app: &TestApp, idp: &IdentityProvider, checks_second_factor: bool) -> R {
    let extra: &[(&str, &str)] = if checks_second_factor {
        &[("idp_checks_second_factor", "yes")]
    } else {
        &[]
    };
    set_up_with(app, idp, extra).await
}

/// Sets the provider up with these boxes ticked as well.
async fn set_up_with(app: &TestApp, idp: &IdentityProvider, extra: &[(&str, &str)]) -> R {
    let admin = app.signed_in(Role::Administrator).await?;
    let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
        .bind("Staffordshire Police")
        .fetch_one(app.db.pool())
        .await?;
    let page = format!("/admin/agencies/{agency}/sign-in");
    let (status, html) = admin.get_text(&page).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("{}/sign-in/sso/callback", app.url)));
    // Wrong settings are named field by field.
    let r = admin
        .submit(
            &page,
            &page,
            &[("issuer", "http://idp.example"), ("domains", "nope")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    for field in ["issuer-error", "client_id-error", "domains-error"] {
        assert!(html.contains(field), "{field}");
    }
    // A secret is needed the first time; afterwards a blank one keeps what is saved.
    assert_eq!(
        html.contains("client_secret-error"),
        !html.contains("A secret is saved")
    );
    let mut fields = vec![
        ("issuer", idp.issuer.as_str()),
        ("client_id", idp.client_id.as_str()),
        ("client_secret", idp.client_secret.as_str()),
        ("domains", "police.example"),
    ];
    fields.extend_from_slice(extra);
    let r = admin.submit(&page, &page, &fields).await?;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await?;
    assert!(
        !html.contains(&idp.client_secret),
        "the secret is not shown again"
    );
    Ok(())
}

async fn add_person(app: &TestApp, email: &str, agency: &str, role: &str) -> R {
    let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
        .bind(agency)
        .fetch_one(app.db.pool())
        .await?;
    harbour_storage::users::create_as_system(
        &app.db,
        &harbour_domain::user::UserInput {
            display_name: "Sam Officer".into(),
            email: email.into(),
            agency_id: agency,
            roles: vec![role.into()],
            password: DEMO_PASSWORD.into(),
        },
        "test",
    )
    .await?;
    Ok(())
}

/// Starts at Harbour's sign-in page with `work_email`, signs in at the provider as `login`,
/// and returns Harbour's answer to the provider's redirect back.
async fn through_provider(
    c: &TestClient,
    work_email: &str,
    login: &str,
) -> anyhow::Result<reqwest::Response> {
    let r = c
        .submit("/sign-in", "/sign-in/sso", &[("sso_email", work_email)])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent to the provider");
    let auth = location(&r);
    assert!(auth.contains("code_challenge="), "PKCE: {auth}");
    assert!(auth.contains("nonce="));
    let idp_base = auth.split("/auth").next().unwrap_or_default().to_owned();
    let absolute = |l: String| {
        if l.starts_with('/') {
            format!("{idp_base}{l}")
        } else {
            l
        }
    };
    let r = c.http.get(&auth).send().await?;
    let interaction = absolute(location(&r));
    let r = c
        .http
        .post(&interaction)
        .form(&[("prompt", "login"), ("login", login), ("password", "any")])
        .send()
        .await?;
    let mut next = absolute(location(&r));
    // The provider's own redirects, until it sends the browser back to Harbour.
    for _ in 0..5 {
        if !next.starts_with(&idp_base) {
            break;
        }
        let r = c.http.get(&next).send().await?;
        next = absolute(location(&r));
    }
    assert!(
        next.contains("/sign-in/sso/callback?"),
        "back to Harbour: {next}"
    );
    Ok(c.http.get(&next).send().await?)
}

#[tokio::test]
async fn staff_sign_in_through_their_agencys_provider_and_only_as_themselves() -> R {
    let app = TestApp::spawn().await?;
    let idp = IdentityProvider::start(&format!("{}/sign-in/sso/callback", app.url)).await?;
    // Before any agency has one, the sign-in page does not offer it.
    let (_, page) = app.client().get_text("/sign-in").await?;
    assert!(!page.contains("/sign-in/sso"));
    set_up(&app, &idp, false).await?;
    add_person(
        &app,
        "sam@police.example",
        "Staffordshire Police",
        "referrer",
    )
    .await?;

    let c = app.client();
    let r = through_provider(&c, "sam@police.example", "sam@police.example").await?;
    assert_eq!(moves_on_to(r).await?, "/home");
    let (status, home) = c.get_text("/home").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Welcome, Sam"));
    assert!(home.contains("Referrer"), "the role is Harbour's");
    let purposes: Vec<String> = sqlx::query_scalar("SELECT purpose FROM audit_log")
        .fetch_all(app.db.pool())
        .await?;
    assert!(
        purposes
            .iter()
            .any(|p| p.starts_with("sign in through the agency's identity provider"))
    );

    // An address the provider has not verified, one outside the agency's domains, and one with
    // no Harbour account are all refused, with a reason.
    for (login, says) in [
        (
            "unverified.sam@police.example",
            "did not confirm your email address",
        ),
        ("sam@elsewhere.example", "does not accept from it"),
        ("nobody@police.example", "no Harbour account"),
    ] {
        let c = app.client();
        let r = through_provider(&c, "sam@police.example", login).await?;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
        assert!(r.text().await?.contains(says), "{login}");
        assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    }

    // A return that did not start in this browser is refused.
    let stranger = app.client();
    let r = stranger
        .get("/sign-in/sso/callback?code=abc&state=forged")
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // An address whose agency has no provider is told to use a password, beside the field.
    let r = app
        .client()
        .submit(
            "/sign-in",
            "/sign-in/sso",
            &[("sso_email", "someone@nowhere.example")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("sso_email-error"));

    // Deactivated in Harbour, they get nowhere, and are signed out at once.
    let id = harbour_testkit::inspect::user_id(&app.db, "sam@police.example").await?;
    let admin = app.signed_in(Role::Administrator).await?;
    admin
        .submit(
            &format!("/admin/people/{id}"),
            &format!("/admin/people/{id}/deactivate"),
            &[],
        )
        .await?;
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    let again = app.client();
    let r = through_provider(&again, "sam@police.example", "sam@police.example").await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn the_second_factor_is_still_asked_for_unless_the_provider_checks_one() -> R {
    let app = TestApp::spawn().await?;
    let idp = IdentityProvider::start(&format!("{}/sign-in/sso/callback", app.url)).await?;
    set_up(&app, &idp, false).await?;
    add_person(
        &app,
        "ops@police.example",
        "Staffordshire Police",
        "administrator",
    )
    .await?;
    let c = app.client();
    let r = through_provider(&c, "ops@police.example", "ops@police.example").await?;
    assert_eq!(
        moves_on_to(r).await?,
        "/sign-in/set-up",
        "an administrator needs a second factor"
    );
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);

    set_up(&app, &idp, true).await?;
    let c = app.client();
    let r = through_provider(&c, "ops@police.example", "ops@police.example").await?;
    assert_eq!(moves_on_to(r).await?, "/home", "the provider checked one");
    Ok(())
}

#[tokio::test]
async fn a_provider_that_verifies_its_domains_need_not_say_so_for_each_address() -> R {
    // As Microsoft Entra ID: no email_verified claim, but the tenant's domains are verified.
    let app = TestApp::spawn().await?;
    let idp = IdentityProvider::start(&format!("{}/sign-in/sso/callback", app.url)).await?;
    set_up_with(&app, &idp, &[("domains_verified_by_provider", "yes")]).await?;
    add_person(
        &app,
        "sam@police.example",
        "Staffordshire Police",
        "referrer",
    )
    .await?;
    let c = app.client();
    let r = through_provider(&c, "sam@police.example", "unverified.sam@police.example").await?;
    assert_eq!(moves_on_to(r).await?, "/home");
    // Still only within the domains.
    let c = app.client();
    let r = through_provider(&c, "sam@police.example", "unverified.sam@elsewhere.example").await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn an_agency_may_turn_its_staffs_passwords_off_but_not_its_administrators() -> R {
    let app = TestApp::spawn().await?;
    let idp = IdentityProvider::start(&format!("{}/sign-in/sso/callback", app.url)).await?;
    set_up_with(&app, &idp, &[("passwords_off", "yes")]).await?;
    add_person(
        &app,
        "sam@police.example",
        "Staffordshire Police",
        "referrer",
    )
    .await?;
    add_person(
        &app,
        "boss@police.example",
        "Staffordshire Police",
        "administrator",
    )
    .await?;
    let c = app.client();
    let r = c
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", "sam@police.example"), ("password", DEMO_PASSWORD)],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("through your organisation&#39;s account")
    );
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    // Through the provider, as they should.
    let r = through_provider(&c, "sam@police.example", "sam@police.example").await?;
    assert_eq!(moves_on_to(r).await?, "/home");
    // The agency's administrator keeps a way in for when the provider is down.
    let r = app
        .client()
        .submit(
            "/sign-in",
            "/sign-in",
            &[
                ("email", "boss@police.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await?;
    assert_eq!(location(&r), "/sign-in/set-up");
    Ok(())
}
