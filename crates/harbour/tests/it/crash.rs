//! Nothing acknowledged is lost: referrals are posted to a real `harbour serve` process while
//! it is killed with SIGKILL and restarted; every referral that got a success response is there
//! afterwards, and retries with the same idempotency keys create no duplicates.

use harbour_storage::demo::load_demo;
use harbour_testkit::TestDb;
use harbour_testkit::app::issue_token;
use serde_json::json;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type R = anyhow::Result<()>;

fn start(db_url: &str, port: u16, dir: &std::path::Path) -> anyhow::Result<Child> {
    Ok(Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("HARBOUR_DATABASE_URL", db_url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_LISTEN", format!("127.0.0.1:{port}"))
        .env("HARBOUR_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

async fn wait_up(base: &str) -> R {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the server did not come up")
}

fn body(n: usize) -> serde_json::Value {
    json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": format!("SP/26/C{n:05}"),
        "incident_date": "2026-11-01",
        "person": { "given_name": format!("Crash{n}"), "family_name": "Test" },
        "safe_contact": { "channels": [ { "channel": "phone_call", "value": "07700 900001" } ] }
    })
}

#[tokio::test]
async fn every_acknowledged_referral_survives_a_kill() -> R {
    let db = TestDb::new().await?;
    let setup = db.open().await?;
    load_demo(&setup).await?;
    let token = issue_token(&setup, "Staffordshire Police").await?;
    setup.close().await;

    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&db.url, port, dir.path())?;
    wait_up(&base).await?;

    // key -> referral id, for every 201 or replayed 200.
    let acknowledged: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let unanswered: Arc<Mutex<BTreeSet<usize>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut clients = Vec::new();
    for c in 0..8 {
        let (http, token, base, ack, lost, stop) = (
            http.clone(),
            token.clone(),
            base.clone(),
            acknowledged.clone(),
            unanswered.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = c;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 100_000 {
                let key = format!("crash-{n}");
                let sent = http
                    .post(format!("{base}/api/v1/referrals"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&body(n))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        ack.lock()
                            .unwrap()
                            .insert(key, v["id"].as_str().unwrap_or_default().to_owned());
                    }
                    _ => {
                        lost.lock().unwrap().insert(n);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                n += 8;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = acknowledged.lock().unwrap().len();
    server.kill()?; // SIGKILL: no shutdown, no flush
    server.wait()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut server = start(&db.url, port, dir.path())?;
    wait_up(&base).await?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.await?;
    }
    assert!(
        before_kill > 0,
        "referrals were acknowledged before the kill"
    );

    // Clients retry what got no answer, with the same keys.
    let retry: Vec<usize> = unanswered.lock().unwrap().iter().copied().collect();
    for n in &retry {
        let key = format!("crash-{n}");
        let r = http
            .post(format!("{base}/api/v1/referrals"))
            .bearer_auth(&token)
            .header("Idempotency-Key", &key)
            .json(&body(*n))
            .send()
            .await?;
        assert!(r.status().is_success(), "retry of {key}: {}", r.status());
        let v: serde_json::Value = r.json().await?;
        acknowledged
            .lock()
            .unwrap()
            .insert(key, v["id"].as_str().unwrap_or_default().to_owned());
    }
    server.kill()?;
    server.wait()?;

    let check = db.open().await?;
    let stored: BTreeSet<String> = sqlx::query("SELECT id FROM referrals")
        .fetch_all(check.pool())
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect();
    let acked = acknowledged.lock().unwrap().clone();
    for (key, id) in &acked {
        assert!(
            stored.contains(id),
            "{key} was acknowledged as {id} but is not stored"
        );
    }
    assert_eq!(
        stored.len(),
        acked.len(),
        "one referral per key, however often it was sent"
    );
    let verified = harbour_storage::audit::verify_log(&check).await?;
    assert!(
        matches!(
            verified,
            harbour_storage::audit::Verification::Intact { .. }
        ),
        "{verified:?}"
    );
    eprintln!(
        "acknowledged {} ({} before the kill), {} retried after it",
        acked.len(),
        before_kill,
        retry.len()
    );
    Ok(())
}
