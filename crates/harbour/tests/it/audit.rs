//! The audit trail beyond its hash chain, on both databases: signed checkpoints find a log cut
//! back behind them; the append-only triggers come back at every start; a broken chain found at
//! start-up is logged and shown to administrators and auditors.

use harbour_domain::audit_checkpoint::{new_key, signing_key, verifying_key};
use harbour_domain::role::Role;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::audit_guard::{AgainstCheckpoint, check_tail, checkpoint, verify_against};
use harbour_storage::demo::{DEMO_PASSWORD, load_demo};
use harbour_storage::{Backend, Db};
use harbour_testkit::app::demo_email;
use harbour_testkit::{TestClient, TestDb};
use sqlx::Row;

type R = anyhow::Result<()>;

/// What someone with the database's password does to hide their tracks: drops the triggers,
/// deletes the newest `n` entries and moves the head back to the entry before them.
async fn cut_back(db: &Db, n: i64) -> R {
    let drop = match db.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_delete",
        Backend::Postgres => "DROP TRIGGER audit_log_no_delete ON audit_log",
    };
    sqlx::query(drop).execute(db.pool()).await?;
    let head: i64 = sqlx::query("SELECT seq FROM audit_head")
        .fetch_one(db.pool())
        .await?
        .get(0);
    let keep = head - n;
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(keep)
        .execute(db.pool())
        .await?;
    let hash: String = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(keep)
        .fetch_one(db.pool())
        .await?
        .get(0);
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
        .bind(keep)
        .bind(hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_signed_checkpoint_finds_a_log_cut_back_behind_it() -> R {
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    let (secret, public) = new_key([3; 32]);
    let key = signing_key(&secret)?;
    let cp = checkpoint(&db, &key).await?;
    assert!(cp.seq > 5);
    cut_back(&db, 3).await?;
    // The chain and the moved head agree: without a checkpoint nothing shows.
    assert!(matches!(
        verify_log(&db).await?,
        Verification::Intact { .. }
    ));
    // Harbour's own copy of the checkpoint catches it at start-up...
    assert!(matches!(check_tail(&db).await?, Verification::Broken(_)));
    // ...and if that copy is removed too, the auditor's file still does.
    sqlx::query("DELETE FROM audit_checkpoints")
        .execute(db.pool())
        .await?;
    assert!(matches!(
        check_tail(&db).await?,
        Verification::Intact { .. }
    ));
    let found = verify_against(&db, &cp, &verifying_key(&public)?).await?;
    match found {
        AgainstCheckpoint::Checked(Verification::Broken(b)) => {
            assert!(
                b.to_string().contains("cut back behind the checkpoint"),
                "{b}"
            );
        }
        other => panic!("not found: {other:?}"),
    }
    // A checkpoint signed with another key is not trusted.
    let (_, other_public) = new_key([4; 32]);
    assert!(matches!(
        verify_against(&db, &cp, &verifying_key(&other_public)?).await?,
        AgainstCheckpoint::Untrusted(_)
    ));
    // The next start puts the triggers back.
    harbour_storage::schema::prepare(&db).await?;
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 1")
            .execute(db.pool())
            .await
            .is_err(),
        "append-only again"
    );
    Ok(())
}

#[tokio::test]
async fn a_broken_trail_at_start_up_is_shown_to_administrators_and_auditors_only() -> R {
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    let (secret, _) = new_key([5; 32]);
    checkpoint(&db, &signing_key(&secret)?).await?;
    cut_back(&db, 2).await?;
    harbour_storage::schema::prepare(&db).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_db = db.clone();
    tokio::spawn(async move {
        let _ = harbour_web::serve(
            listener,
            server_db,
            harbour_web::WebConfig::default(),
            async {
                let _ = stopped.await;
            },
        )
        .await;
    });
    for (role, shown) in [
        (Role::Administrator, true),
        (Role::Auditor, true),
        (Role::Caseworker, false),
    ] {
        let c = TestClient::new(&url);
        c.sign_in(&demo_email(role), DEMO_PASSWORD).await?;
        let (_, home) = c.get_text("/home").await?;
        assert_eq!(
            home.contains("The audit trail failed its check when Harbour started"),
            shown,
            "{role:?}"
        );
    }
    let _ = stop.send(());
    Ok(())
}

#[tokio::test]
async fn the_commands_make_a_key_sign_a_checkpoint_and_check_against_it() -> R {
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    let dir = tempfile::tempdir()?;
    let harbour = |args: &[&str], key: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_harbour"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HARBOUR_DATABASE_URL", &test_db.url)
            .env(
                "HARBOUR_ENCRYPTION_KEY",
                harbour_storage::sealed::KeyEncryptionKey::development_base64(),
            )
            .env("HARBOUR_AUDIT_SIGNING_KEY", key)
            .env("HARBOUR_LOG", "warn")
            .output()
    };
    let made = harbour(&["audit", "new-key"], "")?;
    let text = String::from_utf8_lossy(&made.stdout).to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let secret = lines[1];
    let public = lines[3];
    let file = dir.path().join("checkpoint.json");
    let file = file.to_str().unwrap_or_default();
    let out = harbour(&["audit", "checkpoint", "--output", file], secret)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = harbour(
        &[
            "audit",
            "verify",
            "--checkpoint",
            file,
            "--public-key",
            public,
        ],
        "",
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    cut_back(&db, 1).await?;
    let out = harbour(
        &[
            "audit",
            "verify",
            "--checkpoint",
            file,
            "--public-key",
            public,
        ],
        "",
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("AUDIT TRAIL BROKEN"));
    let out = harbour(&["audit", "checkpoint"], "")?;
    assert!(!out.status.success(), "no key, no checkpoint");
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit_signing_key"));
    Ok(())
}

/// The trail's page names staff, agencies and referrals rather than showing identifiers, and
/// its kinds of record include referrals and messages.
#[tokio::test]
async fn the_trail_names_what_it_can_and_filters_every_kind_of_record() -> R {
    let app = harbour_testkit::TestApp::spawn().await?;
    let referral =
        harbour_testkit::cases::triaged_referral(&app.db, harbour_testkit::cases::Case::default())
            .await?;
    let reference: String = sqlx::query("SELECT reference FROM referrals WHERE id = $1")
        .bind(&referral)
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    let auditor = app.signed_in(Role::Auditor).await?;
    let (status, page) = auditor.get_text("/audit?entity_kind=referral").await?;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(
        page.contains(&format!("Referral: {reference}")),
        "named by reference"
    );
    assert!(!page.contains(referral.as_str()), "not by its identifier");
    assert!(page.contains(">Message to a person<"));
    assert!(page.contains(">Referral on to a service<"));
    Ok(())
}

/// A worker that e-mails the day's checkpoint to the auditors through `sink`.
fn checkpoint_worker(
    db: &Db,
    sink: &harbour_testkit::smtp::SmtpSink,
    secret: &str,
) -> anyhow::Result<harbour_jobs::Worker> {
    harbour_jobs::Worker::new(
        db.clone(),
        harbour_jobs::WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: sink.url(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: chrono::Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: false,
            audit_checkpoints: Some(harbour_jobs::AuditCheckpoints {
                key: signing_key(secret)?,
                to: vec!["auditors@partnership.test".into()],
            }),
            quarterly_reports: false,
        },
    )
}

#[tokio::test]
async fn the_days_checkpoint_is_emailed_to_the_auditors_once_and_a_broken_trail_raises_the_alarm()
-> R {
    use harbour_domain::audit_checkpoint::Checkpoint;
    use mail_parser::MimeHeaders;
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    let sink = harbour_testkit::smtp::SmtpSink::start().await?;
    let (secret, public) = new_key([5; 32]);
    let worker = checkpoint_worker(&db, &sink, &secret)?;
    // 8am UK time today, so that the looks below stay within one UK day whenever the test runs.
    let morning = harbour_domain::contact_gate::uk_time(
        harbour_domain::calendar::uk_date(chrono::Utc::now()),
        chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("a time"),
    );
    worker.run_once(morning).await?;
    let wait = std::time::Duration::from_secs(10);
    let mail = sink.wait_for(1, wait).await?;
    assert_eq!(mail[0].to, vec!["auditors@partnership.test".to_owned()]);
    let message = mail_parser::MessageParser::default()
        .parse(mail[0].data.as_bytes())
        .expect("a message");
    assert!(
        message
            .subject()
            .unwrap_or_default()
            .contains("audit checkpoint")
    );
    let body = message.body_text(0).expect("a text part").into_owned();
    assert!(body.contains("harbour audit verify --checkpoint"), "{body}");
    assert!(body.contains(&public), "the body names the public key");
    // The attached file is a checkpoint the auditors' key verifies, of the trail as it stands.
    let file = message.attachment(0).expect("the checkpoint attached");
    let cp: Checkpoint = serde_json::from_slice(file.contents())?;
    assert!(
        file.attachment_name()
            .unwrap_or_default()
            .ends_with(".json")
    );
    assert_eq!(
        verify_against(&db, &cp, &verifying_key(&public)?).await?,
        AgainstCheckpoint::Checked(verify_log(&db).await?)
    );

    // Once a day, however often the worker looks.
    for minutes in [2, 30, 600] {
        worker
            .run_once(morning + chrono::Duration::minutes(minutes))
            .await?;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.accepted().len(), 1, "one checkpoint a day");

    // Someone cuts the trail back behind the checkpoint: the next day's e-mail is the alarm.
    cut_back(&db, 2).await?;
    worker.run_once(morning + chrono::Duration::days(1)).await?;
    let mail = sink.wait_for(2, wait).await?;
    let alarm = mail_parser::MessageParser::default()
        .parse(mail[1].data.as_bytes())
        .expect("a message");
    assert_eq!(
        alarm.subject(),
        Some("Harbour's audit trail failed its check")
    );
    assert!(
        alarm.attachment(0).is_none(),
        "no checkpoint vouches for a broken trail"
    );
    Ok(())
}
