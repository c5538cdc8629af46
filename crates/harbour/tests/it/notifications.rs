//! Notifications and the job worker on both databases, against a real SMTP server on loopback
//! and a real HTTP receiver: staff hear of a referral by e-mail with no personal details; an
//! agency's system gets a signed webhook, retried until it takes it; overdue referrals are
//! escalated once; a person who allowed only e-mail at safe times gets nothing else, never
//! outside those times, and nothing once an unsafe result stops the channel; and a worker
//! killed mid-delivery delivers the message exactly once after it restarts.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use harbour_domain::consent::ConsentInput;
use harbour_domain::contact_gate::{Refusal, uk_time};
use harbour_domain::ids::OnwardId;
use harbour_domain::notification::verify;
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use harbour_jobs::{Worker, WorkerConfig};
use harbour_storage::Db;
use harbour_storage::demo::load_demo;
use harbour_storage::error::StorageError;
use harbour_storage::onward::{AttemptInput, MessageQueued, ReferOnInput, ReferredOn, StepInput};
use harbour_testkit::app::demo_email;
use harbour_testkit::cases::{Case, IDVA, service_id, store_as, triaged_referral};
use harbour_testkit::smtp::{Received, SmtpSink};
use harbour_testkit::{TestApp, TestDb};
use sqlx::Row;
use std::sync::{Arc, Mutex};

type R = anyhow::Result<()>;

const PERSON: [&str; 6] = [
    "Alys",
    "Brereton",
    "Quiet Lane",
    "07700",
    "bluebell",
    "alys.safe",
];

fn worker(db: &Db, sink: &SmtpSink) -> anyhow::Result<Worker> {
    Worker::new(
        db.clone(),
        WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: sink.url(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            // The test's receivers listen on this machine.
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )
}

/// Refers the case on to the IDVA service with consent; the onward referral's id.
async fn refer_to_idva(db: &Db, case: Case) -> anyhow::Result<OnwardId> {
    let referral = triaged_referral(db, case).await?;
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let sent = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: service_id(db, IDVA).await?,
                consent: ConsentInput {
                    decision: "given".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await?;
    match sent {
        ReferredOn::Sent { id } => Ok(id),
        ReferredOn::ConsentRefused => anyhow::bail!("not sent"),
    }
}

fn to(messages: &[Received], address: &str) -> Vec<Received> {
    messages
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .cloned()
        .collect()
}

/// An HTTP receiver for webhooks that fails its first `failures` requests with a 500.
async fn receiver(
    failures: usize,
) -> anyhow::Result<(String, Arc<Mutex<Vec<(HeaderMap, Bytes)>>>)> {
    let got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let mut all = seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                all.push((headers, body));
                if all.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, got))
}

#[tokio::test]
async fn staff_get_an_email_with_only_a_link_and_the_agency_a_signed_webhook_retried_until_taken()
-> R {
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let (url, hooks) = receiver(1).await?;
    sqlx::query(
        "UPDATE agencies SET webhook_url = $1, webhook_secret = 'hook-secret' WHERE name = 'New Era'",
    )
    .bind(&url)
    .execute(app.db.pool())
    .await?;
    let id = refer_to_idva(&app.db, Case::default()).await?;
    let w = worker(&app.db, &sink)?;
    let now = Utc::now();
    assert_eq!(w.run_once(now).await?, 2, "an e-mail and a webhook");

    let mail = sink.wait_for(1, std::time::Duration::from_secs(5)).await?;
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert!(m.to.contains(&demo_email(Role::Caseworker)), "{:?}", m.to);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("Harbour: a new referral for your service")
    );
    assert!(
        m.data
            .contains(&format!("https://harbour.test/onward/{id}"))
    );
    for detail in PERSON {
        assert!(!m.data.contains(detail), "the e-mail names {detail}");
    }
    let job: String = sqlx::query("SELECT id FROM jobs WHERE kind = 'staff_email'")
        .fetch_one(app.db.pool())
        .await?
        .get("id");
    assert_eq!(m.header("Message-ID"), Some(format!("<{job}@harbour>")));

    // The receiver failed the first webhook: it waits 30 seconds, then goes again.
    assert_eq!(hooks.lock().map(|h| h.len()).unwrap_or(0), 1);
    assert_eq!(w.run_once(now + Duration::seconds(10)).await?, 0);
    assert_eq!(w.run_once(now + Duration::seconds(31)).await?, 1);
    let hooks = hooks.lock().map(|h| h.clone()).unwrap_or_default();
    assert_eq!(hooks.len(), 2);
    let (headers, body) = &hooks[1];
    let signature = headers["harbour-signature"].to_str()?;
    assert!(verify("hook-secret", signature, body));
    assert!(!verify("another-secret", signature, body));
    assert_eq!(headers["harbour-delivery"], hooks[0].0["harbour-delivery"]);
    let json: serde_json::Value = serde_json::from_slice(body)?;
    assert_eq!(json["event"], "onward_referral.received");
    assert_eq!(json["onward_referral_id"], id.as_str());
    let text = String::from_utf8_lossy(body);
    for detail in PERSON {
        assert!(!text.contains(detail), "the webhook names {detail}");
    }
    let (done, attempts): (Option<String>, i64) = {
        let r = sqlx::query("SELECT done_at, attempts FROM jobs WHERE kind = 'webhook'")
            .fetch_one(app.db.pool())
            .await?;
        (r.get("done_at"), r.get("attempts"))
    };
    assert!(done.is_some());
    assert_eq!(attempts, 2);

    // A decline tells the hub's triage officers by e-mail.
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    new_era
        .take_step(
            &id,
            &StepInput {
                step: "decline".into(),
                reason: "no_capacity".into(),
                ..Default::default()
            },
        )
        .await?;
    w.run_once(now + Duration::seconds(40)).await?;
    let mail = sink.wait_for(2, std::time::Duration::from_secs(5)).await?;
    let hub = to(&mail, &demo_email(Role::TriageOfficer));
    assert_eq!(hub.len(), 1);
    assert_eq!(
        hub[0].header("Subject").as_deref(),
        Some("Harbour: a referral you sent is now declined")
    );
    // Nothing is sent twice.
    w.run_once(now + Duration::hours(2)).await?;
    assert_eq!(sink.accepted().len(), 2);
    Ok(())
}

#[tokio::test]
async fn an_overdue_referral_is_escalated_once_to_the_service_and_the_hub() -> R {
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let id = refer_to_idva(&app.db, Case::default()).await?;
    let w = worker(&app.db, &sink)?;
    let now = Utc::now();
    w.run_once(now).await?;
    sink.wait_for(1, std::time::Duration::from_secs(5)).await?;

    // Ten days on, nothing has been done: acknowledgement and the first contact attempt are
    // both overdue, and each is escalated to both sides.
    let later = now + Duration::days(10);
    w.run_once(later).await?;
    let mail = sink.wait_for(5, std::time::Duration::from_secs(5)).await?;
    let overdue: Vec<&Received> = mail
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some("Harbour: a referral is overdue"))
        .collect();
    assert_eq!(overdue.len(), 4, "two deadlines, each to two agencies");
    let hub = demo_email(Role::TriageOfficer);
    let service = demo_email(Role::Caseworker);
    assert_eq!(overdue.iter().filter(|m| m.to.contains(&hub)).count(), 2);
    assert_eq!(
        overdue.iter().filter(|m| m.to.contains(&service)).count(),
        2
    );
    assert!(overdue.iter().all(|m| m.data.contains(id.as_str())));
    let escalated: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM onward_deadlines WHERE onward_referral_id = $1 AND escalated_at IS NOT NULL",
    )
    .bind(id.as_str())
    .fetch_one(app.db.pool())
    .await?
    .get("n");
    assert_eq!(escalated, 2);
    // Once only, however often the worker runs.
    w.run_once(later + Duration::hours(1)).await?;
    w.run_once(later + Duration::days(1)).await?;
    assert_eq!(sink.accepted().len(), 5);
    Ok(())
}

fn uk(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    uk_time(
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
        NaiveTime::from_hms_opt(h, min, 0).unwrap_or_default(),
    )
}

/// The canary: e-mail only, weekdays 10:00 to 12:00. No path sends a text, a letter or a call;
/// e-mail goes only in a safe time, whenever it was asked for; an unsafe result stops it.
#[tokio::test]
async fn a_person_who_allowed_only_email_at_safe_times_gets_nothing_else_and_never_outside_them()
-> R {
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let id = refer_to_idva(
        &app.db,
        Case {
            email_only: true,
            safe_times: true,
            ..Case::default()
        },
    )
    .await?;
    let caseworker = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let w = worker(&app.db, &sink)?;
    let person = "alys.safe@example.org";

    // Texts, voicemails, calls and letters: refused by the gate and by the message path.
    let monday = uk(2026, 11, 30, 11, 0);
    for channel in ["sms", "voicemail", "phone_call", "post", "third_party"] {
        let refused = caseworker.send_message(&id, channel, "Hello", monday).await;
        assert!(
            matches!(refused, Err(StorageError::Invalid(_))),
            "{channel}"
        );
    }
    for channel in [
        Channel::Sms,
        Channel::Post,
        Channel::PhoneCall,
        Channel::Voicemail,
    ] {
        assert_eq!(
            caseworker.contact_permit(&id, channel).await?,
            Err(Refusal::ChannelNotAllowed(channel))
        );
    }

    // Asked for on a Saturday afternoon, an e-mail waits for Monday 10:00.
    let saturday = uk(2026, 11, 28, 15, 0);
    let queued = caseworker
        .send_message(&id, "email", "Please call us when it is safe.", saturday)
        .await?;
    assert_eq!(queued, MessageQueued::At(uk(2026, 11, 30, 10, 0)));
    for at in [saturday, uk(2026, 11, 29, 20, 0), uk(2026, 11, 30, 9, 59)] {
        w.run_once(at).await?;
        assert!(to(&sink.accepted(), person).is_empty(), "sent at {at}");
    }
    w.run_once(uk(2026, 11, 30, 10, 0) + Duration::seconds(30))
        .await?;
    let got = to(
        &sink.wait_for(1, std::time::Duration::from_secs(5)).await?,
        person,
    );
    assert_eq!(got.len(), 1);
    assert!(got[0].data.contains("Please call us when it is safe."));
    assert_eq!(
        got[0].header("Subject").as_deref(),
        Some("A message for you")
    );

    // Asked for in a safe time but reached late (12:30): it waits for the next safe time.
    let queued = caseworker
        .send_message(&id, "email", "Second message.", uk(2026, 11, 30, 11, 59))
        .await?;
    assert_eq!(queued, MessageQueued::Now);
    w.run_once(uk(2026, 11, 30, 12, 30)).await?;
    w.run_once(uk(2026, 11, 30, 23, 0)).await?;
    assert_eq!(to(&sink.accepted(), person).len(), 1);
    w.run_once(uk(2026, 12, 1, 10, 1)).await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(to(&sink.accepted(), person).len(), 2);

    // An unsafe result stops the channel: what was queued is held back, and nothing new goes.
    caseworker
        .send_message(&id, "email", "Third message.", uk(2026, 12, 1, 11, 0))
        .await?;
    caseworker
        .record_contact_attempt(
            &id,
            &AttemptInput {
                channel: "email".into(),
                result: "unsafe".into(),
                note: String::new(),
                // Whenever the test runs, maybe outside the person's safe times.
                reason: "She told us by phone the account is read by him.".into(),
            },
        )
        .await?;
    w.run_once(uk(2026, 12, 1, 11, 1)).await?;
    w.run_once(uk(2026, 12, 2, 11, 0)).await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(to(&sink.accepted(), person).len(), 2);
    let held: String = sqlx::query(
        "SELECT outcome FROM jobs WHERE kind = 'person_message' AND payload LIKE '%Third%'",
    )
    .fetch_one(app.db.pool())
    .await?
    .get("outcome");
    assert_eq!(held, "held back: channel_suspended");
    let refused = caseworker
        .send_message(&id, "email", "Fourth.", uk(2026, 12, 2, 11, 0))
        .await;
    match refused {
        Err(StorageError::Invalid(e)) => {
            assert!(e.get("channel").is_some_and(|m| m.contains("suspended")));
        }
        other => anyhow::bail!("expected a refusal, got {other:?}"),
    }
    // Each look at her safe-contact rules before sending is in the audit trail, with the answer.
    let purposes: Vec<String> = sqlx::query(
        "SELECT purpose FROM audit_log WHERE entity_kind = 'person_message' AND actor_user_id IS NULL ORDER BY seq",
    )
    .fetch_all(app.db.pool())
    .await?
    .iter()
    .map(|r| r.get("purpose"))
    .collect();
    let says = |p: &str| purposes.iter().any(|x| x.ends_with(p));
    assert!(says("(email): allowed"), "{purposes:?}");
    assert!(says("(email): outside_safe_times"), "{purposes:?}");
    assert!(says("(email): channel_suspended"), "{purposes:?}");
    // Every message the person got was inside their safe times, and by e-mail.
    assert!(
        sink.accepted().iter().all(|m| {
            !m.to.iter().any(|t| t.contains("alys")) || m.to == vec![person.to_owned()]
        })
    );
    Ok(())
}

fn start(db_url: &str, smtp: &str, dir: &std::path::Path) -> anyhow::Result<std::process::Child> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(std::process::Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("HARBOUR_DATABASE_URL", db_url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_LISTEN", format!("127.0.0.1:{port}"))
        .env("HARBOUR_SMTP_URL", smtp)
        .env("HARBOUR_JOB_LEASE_SECONDS", "5")
        .env("HARBOUR_JOB_POLL_MILLIS", "50")
        .env("HARBOUR_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?)
}

/// A `harbour serve` process is killed (SIGKILL) while its worker is in the middle of handing
/// an e-mail to the mail server; after a restart the e-mail is delivered, once.
#[tokio::test]
async fn a_worker_killed_mid_delivery_delivers_the_message_exactly_once_after_restart() -> R {
    let db = TestDb::new().await?;
    let setup = db.open().await?;
    load_demo(&setup).await?;
    // `harbour serve` also e-mails the commissioner's office when a quarter's report is ready:
    // with no commissioner signed up, the staff e-mail is the only message.
    sqlx::query(
        "UPDATE users SET active = $1 WHERE id IN (SELECT user_id FROM user_roles WHERE role = 'commissioner')",
    )
    .bind(false)
    .execute(setup.pool())
    .await?;
    let id = refer_to_idva(&setup, Case::default()).await?;
    let sink = SmtpSink::start().await?;
    sink.stall_next();
    let dir = tempfile::tempdir()?;

    let mut server = start(&db.url, &sink.url(), dir.path())?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sink.stalled() == 0 {
        anyhow::ensure!(std::time::Instant::now() < until, "the worker never sent");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.kill()?;
    server.wait()?;
    assert!(
        sink.accepted().is_empty(),
        "nothing was accepted before the kill"
    );
    let (done, attempts): (Option<String>, i64) = {
        let r = sqlx::query("SELECT done_at, attempts FROM jobs WHERE kind = 'staff_email'")
            .fetch_one(setup.pool())
            .await?;
        (r.get("done_at"), r.get("attempts"))
    };
    assert_eq!((done, attempts), (None, 1));

    // Restarted, the worker takes the job over once its lease lapses, and delivers it.
    let mut server = start(&db.url, &sink.url(), dir.path())?;
    let got = sink.wait_for(1, std::time::Duration::from_secs(30)).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    server.kill()?;
    server.wait()?;
    let got = got?;
    assert_eq!(sink.accepted().len(), 1, "delivered exactly once");
    assert!(got[0].data.contains(id.as_str()));
    let r =
        sqlx::query("SELECT id, done_at, attempts, outcome FROM jobs WHERE kind = 'staff_email'")
            .fetch_one(setup.pool())
            .await?;
    assert!(r.get::<Option<String>, _>("done_at").is_some());
    assert_eq!(r.get::<i64, _>("attempts"), 2);
    assert_eq!(
        r.get::<Option<String>, _>("outcome").as_deref(),
        Some("delivered")
    );
    let job: String = r.get("id");
    assert_eq!(
        got[0].header("Message-ID"),
        Some(format!("<{job}@harbour>"))
    );
    setup.close().await;
    Ok(())
}

/// Three workers (as in three Harbour processes) work one queue at once: every message goes,
/// and none goes twice.
#[tokio::test]
async fn workers_sharing_the_queue_send_each_message_once() -> R {
    use harbour_domain::notification::Event;
    use harbour_storage::jobs::{Work, enqueue};
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let now = Utc::now();
    let mut tx = app.db.begin_write().await?;
    for n in 0..60 {
        let work = Work::StaffEmail {
            to: vec![format!("staff{n}@harbour.test")],
            event: Event::Received,
            onward_referral_id: format!("r{n}"),
        };
        enqueue(&mut tx, &work, None, now).await?;
    }
    tx.commit().await?;
    let (a, b, c) = (
        worker(&app.db, &sink)?,
        worker(&app.db, &sink)?,
        worker(&app.db, &sink)?,
    );
    for _ in 0..10 {
        let (x, y, z) = tokio::join!(a.run_once(now), b.run_once(now), c.run_once(now));
        if x? + y? + z? == 0 {
            break;
        }
    }
    let got = sink.accepted();
    assert_eq!(got.len(), 60);
    let mut ids: Vec<String> = got.iter().filter_map(|m| m.header("Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "a message went twice");
    Ok(())
}

/// An administrator points an agency's webhook at its system from the agency page: a bad
/// address is refused beside the field; a good one gets a secret, shown once, that signs what
/// Harbour then sends.
#[tokio::test]
async fn an_administrator_sets_a_webhook_and_its_secret_signs_what_is_sent() -> R {
    // The receiver listens on this machine.
    let app = TestApp::spawn_with(|c| c.webhook_allow_loopback = true).await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let agency = harbour_testkit::inspect::agency_id(&app.db, "New Era").await?;
    let page = format!("/admin/agencies/{agency}");
    let action = format!("{page}/webhook");
    let r = admin
        .submit(
            &page,
            &action,
            &[("webhook_url", "http://cases.example.org/in")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    assert!(html.contains("id=\"webhook_url-error\""));
    assert!(html.contains("must start with https://"));
    assert!(
        html.contains("value=\"http://cases.example.org/in\""),
        "kept"
    );

    let (url, hooks) = receiver(0).await?;
    let html = admin
        .submit(&page, &action, &[("webhook_url", url.as_str())])
        .await?
        .text()
        .await?;
    let start = html.find("id=\"secret\">").map(|i| i + 12).unwrap_or(0);
    let secret = html[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(secret.len(), 64, "{secret}");
    let shown = admin.get_text(&page).await?.1;
    assert!(
        shown.contains(&url) && !shown.contains(&secret),
        "shown once"
    );

    let sink = SmtpSink::start().await?;
    refer_to_idva(&app.db, Case::default()).await?;
    worker(&app.db, &sink)?.run_once(Utc::now()).await?;
    let hooks = hooks.lock().map(|h| h.clone()).unwrap_or_default();
    assert_eq!(hooks.len(), 1);
    let (headers, body) = &hooks[0];
    assert!(verify(
        &secret,
        headers["harbour-signature"].to_str()?,
        body
    ));

    // Left empty, the webhook stops.
    admin.submit(&page, &action, &[("webhook_url", "")]).await?;
    let stored: Option<String> = sqlx::query("SELECT webhook_url FROM agencies WHERE id = $1")
        .bind(&agency)
        .fetch_one(app.db.pool())
        .await?
        .get("webhook_url");
    assert_eq!(stored, None);
    Ok(())
}
