use super::{CENTRE, R, burglary, drain, police, to, worker};
use chrono::{Duration, Utc};
use harbour_domain::alerts::links::{self, Purpose};
use harbour_storage::alerts::keys::link_key;
use harbour_storage::alerts::subscribers::delete_unconfirmed;
use harbour_testkit::TestApp;
use harbour_testkit::client::TestClient;
use harbour_testkit::smtp::SmtpSink;
use reqwest::StatusCode;

fn form_token(html: &str) -> String {
    let at = html
        .find("name=\"form_token\" value=\"")
        .expect("a form token")
        + 25;
    html[at..at + html[at..].find('"').expect("closed")].to_owned()
}

/// Signs up through the public form; the response's status and page.
async fn sign_up(
    client: &TestClient,
    fields: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, String)> {
    let (_, form) = client.get_text("/alerts/subscribe").await?;
    let token = form_token(&form);
    let mut all = vec![("form_token", token.as_str())];
    all.extend_from_slice(fields);
    let r = client.post_form("/alerts/subscribe", &all).await?;
    Ok((r.status(), r.text().await?))
}

fn resident(email: &str) -> Vec<(&str, &str)> {
    vec![
        ("email", email),
        ("kind", "resident"),
        ("age_group", "18_plus"),
        ("postcode", CENTRE),
        ("topics", "burglary"),
        ("priority", "everything"),
    ]
}

async fn spawn() -> anyhow::Result<TestApp> {
    TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 100_000;
        c.self_referral_min_seconds = 0;
    })
    .await
}

async fn subscribers(app: &TestApp) -> anyhow::Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT email_key, status FROM alert_subscribers ORDER BY email_key")
            .fetch_all(app.db.pool())
            .await?,
    )
}

#[tokio::test]
async fn signing_up_confirming_changing_and_unsubscribing_by_the_links() -> R {
    let app = spawn().await?;
    let sink = SmtpSink::start().await?;
    let w = worker(&app.db, &sink)?;
    let police = police(&app.db).await?;
    let client = app.client();
    let email = "sam.resident@alerts.test";

    let (status, page) = sign_up(&client, &resident(email)).await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Check your email"));
    assert_eq!(
        subscribers(&app).await?,
        vec![(email.to_owned(), "pending".to_owned())]
    );
    // Nothing reaches a subscription before its owner confirms it.
    assert_eq!(police.alert_reach(&burglary()).await?.subscribers, 0);

    drain(&w).await?;
    let mail = to(&sink.accepted(), email);
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("Confirm your community alerts subscription")
    );
    let confirm = mail[0]
        .link("/alerts/confirm/")
        .expect("a confirmation link");

    // Opening the link (as a mail program checking it would) confirms nothing; the button does.
    let (status, page) = client.get_text(&confirm).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Confirm and start my alerts"));
    assert_eq!(subscribers(&app).await?[0].1, "pending");
    let r = client.post_form(&confirm, &[]).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Your alerts have started"));
    assert_eq!(subscribers(&app).await?[0].1, "active");
    assert_eq!(police.alert_reach(&burglary()).await?.subscribers, 1);
    // A second click changes nothing.
    assert_eq!(
        client.post_form(&confirm, &[]).await?.status(),
        StatusCode::OK
    );

    // Signing up again says the same as ever; the owner is told by e-mail, once in a while.
    let upper = email.to_uppercase();
    let (status, page) = sign_up(&app.client(), &resident(&upper)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Check your email"));
    let (status, _) = sign_up(&app.client(), &resident(email)).await?;
    assert_eq!(status, StatusCode::OK);
    drain(&w).await?;
    let mail = to(&sink.accepted(), email);
    assert_eq!(mail.len(), 2, "one notice, not one per attempt");
    assert_eq!(
        mail[1].header("Subject").as_deref(),
        Some("You already receive community alerts")
    );
    assert_eq!(subscribers(&app).await?.len(), 1);
    let manage = mail[1].link("/alerts/manage/").expect("a link to manage");

    // Preferences: shown as chosen, changed, and followed from then on.
    let (status, page) = client.get_text(&manage).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(email) && page.contains(CENTRE), "{page}");
    let r = client
        .post_form(
            &manage,
            &[
                ("kind", "resident"),
                ("age_group", "12_17"),
                ("postcode", "not a postcode"),
                ("topics", "fraud_scams"),
                ("priority", "everything"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Enter a full UK postcode"));
    let r = client
        .post_form(
            &manage,
            &[
                ("kind", "resident"),
                ("age_group", "12_17"),
                ("postcode", CENTRE),
                ("topics", "fraud_scams"),
                ("priority", "everything"),
                ("quiet_from", "21:30"),
                ("quiet_until", "06:45"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(police.alert_reach(&burglary()).await?.subscribers, 0);
    let mut fraud = burglary();
    fraud.topics = vec!["fraud_scams".into()];
    assert_eq!(police.alert_reach(&fraud).await?.subscribers, 1);
    let (_, page) = client.get_text(&manage).await?;
    assert!(page.contains("value=\"21:30\"") && page.contains("value=\"06:45\""));

    // A link altered, or for another subscription: refused, saying nothing of whose.
    let (status, page) = client.get_text(&format!("{manage}0")).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("This link does not work"));

    // Deleting: everything held goes at once, and the links stop working.
    let r = client.post_form(&format!("{manage}/delete"), &[]).await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("deleted your subscription"));
    assert!(subscribers(&app).await?.is_empty());
    let (places,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alert_places")
        .fetch_one(app.db.pool())
        .await?;
    assert_eq!(places, 0);
    let (deleted,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE entity_kind = 'alert_subscriber' AND action = 'delete'",
    )
    .fetch_one(app.db.pool())
    .await?;
    assert_eq!(deleted, 1);
    assert_eq!(client.get(&manage).await?.status(), StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn the_sign_up_refuses_what_it_should_and_says_why() -> R {
    let app = spawn().await?;
    let client = app.client();
    let mut child = resident("young@alerts.test");
    child[2] = ("age_group", "under_12");
    let (status, page) = sign_up(&client, &child).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Alerts are for people aged 12 and over"));
    let mut nowhere = resident("nowhere@alerts.test");
    nowhere[3] = ("postcode", "ZZ9 9ZZ");
    let (status, page) = sign_up(&client, &nowhere).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("We could not find that postcode"), "{page}");
    assert!(
        page.contains("nowhere@alerts.test"),
        "what was typed is kept"
    );
    let mut business = resident("shop@alerts.test");
    business[1] = ("kind", "business");
    let (status, page) = sign_up(&client, &business).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Choose what kind of business it is"));
    // A robot filling the field people never see; a post with no form token.
    let mut robot = resident("robot@alerts.test");
    robot.push(("website", "http://spam.example"));
    let (status, _) = sign_up(&client, &robot).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = client
        .post_form("/alerts/subscribe", &resident("forged@alerts.test"))
        .await?;
    assert!(r.status().is_client_error());
    assert!(subscribers(&app).await?.is_empty());

    // A business gets its sector's topics with the ones it chose.
    business.push(("sector", "retail"));
    let (status, _) = sign_up(&client, &business).await?;
    assert_eq!(status, StatusCode::OK);
    let (mask,): (i64,) = sqlx::query_as("SELECT topics_mask FROM alert_subscribers")
        .fetch_one(app.db.pool())
        .await?;
    let retail: (i64,) = sqlx::query_as("SELECT bit FROM alert_topics WHERE id = 'retail_crime'")
        .fetch_one(app.db.pool())
        .await?;
    assert_ne!(mask & (1 << retail.0), 0);

    // A confirmation link expires after a week; a subscription never confirmed is deleted then.
    let key = link_key(&app.db).await?;
    let (id,): (String,) = sqlx::query_as("SELECT id FROM alert_subscribers")
        .fetch_one(app.db.pool())
        .await?;
    let old = links::make(
        &key,
        Purpose::Confirm,
        &id,
        0,
        None,
        Utc::now() - Duration::days(8),
    );
    let r = client
        .post_form(&format!("/alerts/confirm/{old}"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await?.contains("This link has expired"));
    assert_eq!(delete_unconfirmed(&app.db, Utc::now()).await?, 0);
    assert_eq!(
        delete_unconfirmed(&app.db, Utc::now() + Duration::days(8)).await?,
        1
    );
    assert!(subscribers(&app).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn sign_ups_are_limited_per_network_address() -> R {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 100_000;
        c.self_referral_min_seconds = 0;
        c.self_referrals_per_hour = 2;
    })
    .await?;
    let client = app.client();
    for n in 0..2 {
        let (status, _) = sign_up(&client, &resident(&format!("n{n}@alerts.test"))).await?;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, page) = sign_up(&client, &resident("n3@alerts.test")).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many sign-ups"));
    assert_eq!(subscribers(&app).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn an_administrator_adds_and_retires_topics() -> R {
    let app = spawn().await?;
    let admin = app
        .signed_in(harbour_domain::role::Role::Administrator)
        .await?;
    let page = "/admin/alert-topics";
    let r = admin
        .submit(page, page, &[("name", ""), ("hint", "x"), ("sector", "")])
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Enter the topic"));
    let r = admin
        .submit(
            page,
            page,
            &[
                ("name", "Dog theft"),
                ("hint", "Dogs stolen from gardens and kennels"),
                ("sector", ""),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, form) = app.client().get_text("/alerts/subscribe").await?;
    assert!(form.contains("Dog theft"));
    let r = admin
        .submit(
            page,
            page,
            &[("name", "dog THEFT"), ("hint", "again"), ("sector", "")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("There is already a topic with that name")
    );
    let (id, bit): (String, i64) =
        sqlx::query_as("SELECT id, bit FROM alert_topics WHERE name = 'Dog theft'")
            .fetch_one(app.db.pool())
            .await?;
    let (used,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alert_topics WHERE bit = $1")
        .bind(bit)
        .fetch_one(app.db.pool())
        .await?;
    assert_eq!(used, 1, "a bit of its own");

    // Retired: no longer offered to subscribers or authors.
    let r = admin
        .submit(page, &format!("{page}/{id}"), &[("offered", "no")])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, form) = app.client().get_text("/alerts/subscribe").await?;
    assert!(!form.contains("Dog theft"));
    let mut alert = burglary();
    alert.topics = vec![id.clone()];
    match police(&app.db).await?.alert_reach(&alert).await {
        Err(harbour_storage::StorageError::Invalid(e)) => {
            assert_eq!(e.get("topics"), Some("Choose topics from the list"));
        }
        other => panic!("a retired topic was accepted: {other:?}"),
    }
    let (_, list) = admin.get_text(page).await?;
    assert!(list.contains("Retired"));
    Ok(())
}
