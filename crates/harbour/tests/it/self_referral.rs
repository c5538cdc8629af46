//! The public self-referral: no account, no cookie, safe contact asked, exit on every page,
//! robots and floods turned away, a double submit counted once.

use harbour_testkit::{TestApp, TestClient};
use reqwest::StatusCode;
use sqlx::Row;

type R = anyhow::Result<()>;

fn token_of(html: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn spawn(configure: impl FnOnce(&mut harbour_web::WebConfig)) -> anyhow::Result<TestApp> {
    TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 1000;
        c.self_referral_min_seconds = 0;
        c.quick_exit_url = "https://weather.example/".into();
        configure(c);
    })
    .await
}

fn answers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("form_token", token.to_owned()),
        ("name", "Leah".into()),
        ("what", "domestic_abuse".into()),
        ("area", "E07000195".into()),
        ("contact", "sms".into()),
        ("contact", "email".into()),
        ("phone", "07700 900314".into()),
        ("email", "leah.safe@example.org".into()),
        ("days", "tue".into()),
        ("from", "13:00".into()),
        ("to", "15:00".into()),
        ("more", "He took my keys".into()),
    ]
}

async fn post(
    c: &TestClient,
    fields: &[(&'static str, String)],
) -> anyhow::Result<reqwest::Response> {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form("/help/refer", &f).await
}

async fn referrals(app: &TestApp) -> anyhow::Result<i64> {
    harbour_testkit::inspect::rows(&app.db, "referrals").await
}

#[tokio::test]
async fn someone_asks_for_help_and_the_hub_sees_how_to_reach_them_safely() -> R {
    let app = spawn(|_| {}).await?;
    let c = app.client();
    for page in ["/", "/help", "/help/refer", "/sign-in"] {
        let r = c.get(page).await?;
        if page == "/help/refer" {
            assert!(
                r.headers().get("set-cookie").is_none(),
                "no cookie on the public form"
            );
        }
        let body = r.text().await?;
        assert!(
            body.contains("href=\"/exit\"") && body.contains("Exit this page"),
            "{page}"
        );
    }
    let r = c.get("/exit").await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "https://weather.example/");

    let (_, form) = c.get_text("/help/refer").await?;
    let token = token_of(&form);
    let r = post(&c, &answers(&token)).await?;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await?;
    assert!(body.contains("We have your request") && body.contains("HBR-"));
    assert!(body.contains("We have not sent you any confirmation"));
    // The same form sent twice is one request for help.
    assert_eq!(post(&c, &answers(&token)).await?.status(), StatusCode::OK);
    assert_eq!(referrals(&app).await?, 1);

    let row = sqlx::query("SELECT r.source, r.submitting_agency, r.area, p.safe_contact FROM referrals r JOIN persons p ON p.id = r.person_id")
        .fetch_one(app.db.pool())
        .await?;
    assert_eq!(row.get::<String, _>("source"), "self");
    assert_eq!(row.get::<Option<String>, _>("submitting_agency"), None);
    let safe: serde_json::Value = serde_json::from_str(&harbour_testkit::inspect::opened(
        &row.get::<String, _>("safe_contact"),
    )?)?;
    assert_eq!(safe["channels"][0]["channel"], "sms");
    assert_eq!(safe["channels"][1]["value"], "leah.safe@example.org");
    let hub = app
        .signed_in(harbour_domain::role::Role::TriageOfficer)
        .await?;
    let (_, queue) = hub.get_text("/referrals/queue?source=self").await?;
    assert!(queue.contains("Leah"));
    let (_, home) = hub.get_text("/home").await?;
    assert!(
        !home.contains("Exit this page"),
        "staff pages do not carry it"
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE purpose = 'self-referral (public page)'",
    )
    .fetch_one(app.db.pool())
    .await?
    .get("n");
    assert_eq!(audited, 1);
    Ok(())
}

#[tokio::test]
async fn mistakes_are_named_and_everything_entered_is_kept() -> R {
    let app = spawn(|_| {}).await?;
    let c = app.client();
    let (_, form) = c.get_text("/help/refer").await?;
    let mut fields = answers(&token_of(&form));
    fields.retain(|(k, v)| !(*k == "contact" || *k == "name" || (*k == "from")) || v.is_empty());
    fields.push(("from", "lunchtime".into()));
    let r = post(&c, &fields).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(body.contains("Tell us what to call you"));
    assert!(body.contains("Choose at least one safe way for us to contact you"));
    assert!(body.contains("Enter a time in 24-hour format"));
    assert!(body.contains("value=\"leah.safe@example.org\"") && body.contains("He took my keys"));
    assert_eq!(referrals(&app).await?, 0);
    Ok(())
}

/// Each mistake gets its own true message: an e-mail ticked with no address is asked for the
/// address, not told to choose a way; a name too long is told so, not that a first name will do.
#[tokio::test]
async fn each_mistake_gets_its_own_true_message() -> R {
    let app = spawn(|_| {}).await?;
    let c = app.client();
    let (_, form) = c.get_text("/help/refer").await?;
    let mut fields = answers(&token_of(&form));
    fields.retain(|(k, _)| !matches!(*k, "contact" | "email" | "phone" | "name"));
    fields.push(("contact", "email".into()));
    fields.push(("email", String::new()));
    fields.push(("name", "L".repeat(200)));
    let r = post(&c, &fields).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(
        body.contains("Enter a safe email address"),
        "the address is asked for"
    );
    assert!(
        !body.contains("Choose at least one safe way"),
        "not contradicting the tick"
    );
    assert!(body.contains("must be 100 characters or fewer"));
    assert!(!body.contains("a first name is enough"));
    assert_eq!(referrals(&app).await?, 0);
    Ok(())
}

#[tokio::test]
async fn robots_forgeries_and_floods_are_turned_away() -> R {
    let app = spawn(|c| {
        c.self_referrals_per_hour = 2;
        c.self_referral_min_seconds = 2;
    })
    .await?;
    let c = app.client();
    let (_, form) = c.get_text("/help/refer").await?;
    let token = token_of(&form);
    // Sent at once, faster than a person can: asked to check and send again, answers kept.
    let r = post(&c, &answers(&token)).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(
        body.contains("sent within seconds of opening")
            && body.contains("id=\"send-error\"")
            && !body.contains("id=\"name-error\""),
        "its own message, by the button, not on the name"
    );
    assert!(body.contains("value=\"Leah\""));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // A robot fills in the field people never see.
    let mut robot = answers(&token);
    robot.push(("website", "http://spam.example".into()));
    assert_eq!(post(&c, &robot).await?.status(), StatusCode::BAD_REQUEST);
    // A token not made here.
    let forged = answers("1700000000.abcdef.00112233");
    assert_eq!(post(&c, &forged).await?.status(), StatusCode::FORBIDDEN);
    assert_eq!(referrals(&app).await?, 0);
    // Two an hour from one address, then a message with the phone number.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (_, form) = c.get_text("/help/refer").await?;
        let t = token_of(&form);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = post(&c, &answers(&t)).await?;
        statuses.push(r.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert_eq!(referrals(&app).await?, 2);
    Ok(())
}
