//! Where webhooks may go, on both databases: an address that reaches a private, link-local or
//! loopback network is refused when saved and when sending, and a redirect is never followed.

use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use harbour_domain::role::Role;
use harbour_jobs::{Worker, WorkerConfig};
use harbour_storage::Db;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, triaged_referral};
use sqlx::Row;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

type R = anyhow::Result<()>;

fn worker(db: &Db, allow_loopback: bool) -> anyhow::Result<Worker> {
    Worker::new(
        db.clone(),
        WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: String::new(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: allow_loopback,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )
}

/// A receiver on this machine: `/hook` counts what it is sent; `/moved` redirects there.
async fn receiver() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
    let got = Arc::new(AtomicUsize::new(0));
    let seen = got.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let target = format!("{base}/hook");
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(move || {
                seen.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::NO_CONTENT }
            }),
        )
        .route(
            "/moved",
            axum::routing::post(move || {
                let target = target.clone();
                async move {
                    let mut h = HeaderMap::new();
                    h.insert("location", target.parse().expect("a URL"));
                    (StatusCode::TEMPORARY_REDIRECT, h)
                }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, got))
}

async fn refer_to_idva(db: &Db) -> R {
    let referral = triaged_referral(db, Case::default()).await?;
    refer_on(db, &referral, &service_id(db, IDVA).await?).await?;
    Ok(())
}

async fn point_new_era_at(db: &Db, url: &str) -> R {
    sqlx::query(
        "UPDATE agencies SET webhook_url = $1, webhook_secret = 'hook-secret' WHERE name = 'New Era'",
    )
    .bind(url)
    .execute(db.pool())
    .await?;
    Ok(())
}

#[tokio::test]
async fn addresses_that_reach_private_networks_are_refused_when_saved() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let agency = harbour_testkit::inspect::agency_id(&app.db, "New Era").await?;
    let page = format!("/admin/agencies/{agency}");
    let action = format!("{page}/webhook");
    for (url, message) in [
        (
            "https://169.254.169.254/latest/meta-data/",
            "does not send to private, link-local or loopback",
        ),
        (
            "https://10.0.0.8/hook",
            "does not send to private, link-local or loopback",
        ),
        (
            "http://127.0.0.1:9/hook",
            "does not send to private, link-local or loopback",
        ),
        (
            "https://localhost/hook",
            "does not send to private, link-local or loopback",
        ),
        (
            "https://cases.example.org/in\r\nX-Evil: 1",
            "no spaces or line breaks",
        ),
    ] {
        let r = admin
            .submit(&page, &action, &[("webhook_url", url)])
            .await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let html = r.text().await?;
        assert!(html.contains("id=\"webhook_url-error\""), "{url}");
        assert!(html.contains(message), "{url}");
    }
    let stored: Option<String> = sqlx::query("SELECT webhook_url FROM agencies WHERE id = $1")
        .bind(&agency)
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    assert_eq!(stored, None, "nothing was saved");
    Ok(())
}

#[tokio::test]
async fn webhooks_are_not_sent_to_loopback_unless_allowed_nor_follow_redirects() -> R {
    let app = TestApp::spawn().await?;
    let (base, got) = receiver().await?;
    // Saved before the rule (or by hand): the worker still will not send there.
    point_new_era_at(&app.db, &format!("{base}/hook")).await?;
    refer_to_idva(&app.db).await?;
    let now = Utc::now();
    worker(&app.db, false)?.run_once(now).await?;
    assert_eq!(got.load(Ordering::SeqCst), 0, "not sent to this machine");
    let outcome: Option<String> = sqlx::query("SELECT outcome FROM jobs WHERE kind = 'webhook'")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    assert!(
        outcome
            .as_deref()
            .unwrap_or_default()
            .starts_with("not sent:"),
        "{outcome:?}"
    );

    // Allowed to this machine, a redirect is not followed: the receiver behind it gets nothing.
    point_new_era_at(&app.db, &format!("{base}/moved")).await?;
    refer_to_idva(&app.db).await?;
    worker(&app.db, true)?
        .run_once(now + Duration::seconds(1))
        .await?;
    assert_eq!(
        got.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    point_new_era_at(&app.db, &format!("{base}/hook")).await?;
    refer_to_idva(&app.db).await?;
    worker(&app.db, true)?
        .run_once(now + Duration::minutes(5))
        .await?;
    assert!(got.load(Ordering::SeqCst) >= 1, "delivered where allowed");
    Ok(())
}
