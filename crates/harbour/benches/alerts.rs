//! Community alerts benchmark. Prints figures; asserts only that delivery was exactly once.
//!
//!   cargo bench -p harbour --bench alerts   (SQLite; PostgreSQL too when
//!                                            HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! Targeting: HARBOUR_BENCH_SUBSCRIBERS (default 1,000,000) confirmed subscribers over the county,
//! half around its towns and half spread out, 15% with a second place; then p50/p95 of the
//! reach count and of the recipient set for 3 km circles around 40 places, and recipients/s.
//!
//! Delivery: HARBOUR_BENCH_DELIVERIES (default 100,000) subscribers inside one alert's circle,
//! on SQLite; the `harbour serve` binary sends them to a loopback SMTP server, is killed with
//! SIGKILL once a third have gone, and is started again. Prints the rate, and checks each
//! subscriber received exactly one message (by Message-ID; a message in flight at the kill is
//! sent again with the same Message-ID, and how many were is printed).

use harbour_domain::alerts::area::AlertArea;
use harbour_domain::alerts::message::AlertInput;
use harbour_domain::place::Point;
use harbour_storage::Db;
use harbour_storage::alerts::load::{NewSubscriber, load_subscribers};
use harbour_storage::alerts::reach::{Wanted, count, recipients};
use harbour_storage::alerts::topics::topics;
use harbour_storage::demo::alerts::demo_postcodes;
use harbour_storage::demo::load_demo;
use harbour_testkit::TestDb;
use harbour_testkit::smtp::SmtpSink;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{env_number, percentile, say, wanted};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A county: Staffordshire's box.
const SOUTH: f64 = 52.42;
const NORTH: f64 = 53.23;
const WEST: f64 = -2.47;
const EAST: f64 = -1.58;

fn gaussian(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen_range(0.0..1.0));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn subscribers(n: usize, towns: &[Point], bits: &[i64], seed: u64) -> Vec<NewSubscriber> {
    let mut rng = StdRng::seed_from_u64(seed);
    let place = |rng: &mut StdRng| -> Point {
        if rng.gen_bool(0.5) {
            let t = towns[rng.gen_range(0..towns.len())];
            // About 3 km either way around a town.
            Point::new(
                t.latitude + gaussian(rng) * 0.027,
                t.longitude + gaussian(rng) * 0.04,
            )
            .unwrap_or(t)
        } else {
            Point::new(rng.gen_range(SOUTH..NORTH), rng.gen_range(WEST..EAST)).unwrap_or(towns[0])
        }
    };
    (0..n)
        .map(|i| {
            let mut mask = 0i64;
            for b in bits {
                if rng.gen_bool(0.3) {
                    mask |= 1 << b;
                }
            }
            if mask == 0 {
                mask = 1 << bits[0];
            }
            let home = place(&mut rng);
            let second = rng.gen_bool(0.15).then(|| (place(&mut rng), None));
            NewSubscriber {
                email: format!("s{i:07}@bench.test"),
                business_sector: None,
                home,
                home_area: None,
                second,
                topics_mask: mask,
                min_level: rng.gen_range(1..=3),
                quiet: rng.gen_bool(0.2).then(|| ("22:00".into(), "07:00".into())),
            }
        })
        .collect()
}

async fn targeting(name: &str, db: &Db) -> anyhow::Result<()> {
    let n = env_number("HARBOUR_BENCH_SUBSCRIBERS", 1_000_000) as usize;
    load_demo(db).await?;
    let towns: Vec<Point> = demo_postcodes().iter().map(|p| p.1).collect();
    let all = topics(db).await?;
    let bits: Vec<i64> = all
        .iter()
        .filter(|t| t.sector.is_none())
        .map(|t| t.bit)
        .collect();
    let t = Instant::now();
    load_subscribers(db, &subscribers(n, &towns, &bits, 11)).await?;
    say(&format!(
        "{name}: {n} subscribers loaded in {:.0} s",
        t.elapsed().as_secs_f64()
    ));
    // What the databases' own upkeep does after a bulk load (PostgreSQL's autovacuum: the
    // statistics, and the visibility map an index-only scan needs).
    let upkeep = match db.backend() {
        harbour_storage::db::Backend::Sqlite => "ANALYZE",
        harbour_storage::db::Backend::Postgres => "VACUUM ANALYZE alert_places",
    };
    sqlx::query(upkeep).execute(db.pool()).await?;
    let burglary = all.iter().find(|t| t.id == "burglary").map_or(0, |t| t.bit);
    let wanted = Wanted {
        topics_mask: 1 << burglary,
        level: 2,
    };
    let mut rng = StdRng::seed_from_u64(5);
    let centres: Vec<Point> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                towns[rng.gen_range(0..towns.len())]
            } else {
                Point::new(rng.gen_range(SOUTH..NORTH), rng.gen_range(WEST..EAST))
                    .unwrap_or(towns[0])
            }
        })
        .collect();
    // Warm both paths once.
    for c in centres.iter().take(3) {
        let area = AlertArea::circle(*c, 3_000.0)?;
        count(db, &area, wanted).await?;
        recipients(db, &area, wanted).await?;
    }
    let (mut counts, mut sets) = (Vec::new(), Vec::new());
    let (mut listed, mut listing) = (0usize, Duration::ZERO);
    let mut reached = Vec::new();
    for _ in 0..3 {
        for c in &centres {
            let area = AlertArea::circle(*c, 3_000.0)?;
            let t = Instant::now();
            let n = count(db, &area, wanted).await?;
            counts.push(t.elapsed());
            let t = Instant::now();
            let r = recipients(db, &area, wanted).await?;
            let took = t.elapsed();
            sets.push(took);
            listed += r.len();
            listing += took;
            reached.push(n);
        }
    }
    counts.sort();
    sets.sort();
    reached.sort_unstable();
    say(&format!(
        "{name}: reach count, 3 km circle: p50 {:.1} ms  p95 {:.1} ms (target 50)  [subscribers reached: median {}, most {}]",
        percentile(&counts, 0.5),
        percentile(&counts, 0.95),
        reached[reached.len() / 2],
        reached.last().copied().unwrap_or(0)
    ));
    say(&format!(
        "{name}: recipient set, 3 km circle: p50 {:.1} ms  p95 {:.1} ms (target 50); {:.0} recipients/s",
        percentile(&sets, 0.5),
        percentile(&sets, 0.95),
        listed as f64 / listing.as_secs_f64()
    ));
    Ok(())
}

fn serve(url: &str, smtp: &str) -> anyhow::Result<Child> {
    Ok(Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("serve")
        .env("HARBOUR_DATABASE_URL", url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_LISTEN", "127.0.0.1:0")
        .env("HARBOUR_SMTP_URL", smtp)
        .env("HARBOUR_JOB_LEASE_SECONDS", "5")
        .env("HARBOUR_JOB_POLL_MILLIS", "50")
        .env("HARBOUR_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

async fn delivery() -> anyhow::Result<()> {
    let n = env_number("HARBOUR_BENCH_DELIVERIES", 100_000) as usize;
    let test_db = TestDb::sqlite()?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    let all = topics(&db).await?;
    let burglary = all.iter().find(|t| t.id == "burglary").map_or(0, |t| t.bit);
    let centre = Point::new(52.8066, -2.117).expect("a point");
    let mut rng = StdRng::seed_from_u64(3);
    let inside: Vec<NewSubscriber> = (0..n)
        .map(|i| NewSubscriber {
            email: format!("r{i:07}@bench.test"),
            business_sector: None,
            home: harbour_domain::alerts::area::destination(
                centre,
                rng.gen_range(0.0..2_900.0),
                rng.gen_range(0.0..360.0),
            ),
            home_area: None,
            second: None,
            topics_mask: 1 << burglary,
            min_level: 1,
            quiet: None,
        })
        .collect();
    load_subscribers(&db, &inside).await?;
    let police = harbour_testkit::cases::store_as(
        &db,
        "Staffordshire Police",
        harbour_domain::role::Role::AlertAuthor,
    )
    .await?;
    police
        .send_alert(
            &AlertInput {
                headline: "Sheds broken into".into(),
                description: "Three sheds were forced overnight.".into(),
                instruction: "Lock sheds.".into(),
                contact: "Call 101".into(),
                topics: vec!["burglary".into()],
                urgency: "Expected".into(),
                severity: "Moderate".into(),
                certainty: "Observed".into(),
                expires_hours: "72".into(),
                area_kind: "circle".into(),
                postcode: "ST16 2AB".into(),
                radius_m: "3000".into(),
                ..Default::default()
            },
            None,
        )
        .await?;
    db.close().await;
    let sink = SmtpSink::start().await?;
    let started = Instant::now();
    let mut server = serve(&test_db.url, &sink.url())?;
    while sink.count() < n / 3 + 1 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(1_200), "too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill()?; // SIGKILL: no shutdown
    server.wait()?;
    let at_kill = sink.count();
    let first_run = started.elapsed();
    let restarted = Instant::now();
    let mut server = serve(&test_db.url, &sink.url())?;
    let db = test_db.open().await?;
    loop {
        let (waiting,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM alert_deliveries WHERE state = 'waiting'")
                .fetch_one(db.pool())
                .await?;
        if waiting == 0 && sink.count() > n {
            break;
        }
        anyhow::ensure!(restarted.elapsed() < Duration::from_secs(1_200), "too slow");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second_run = restarted.elapsed();
    server.kill()?;
    server.wait()?;
    // Only the alert's messages: the server also sends its own (the quarter's report to the
    // commissioner's office).
    let got: Vec<_> = sink
        .accepted()
        .into_iter()
        .filter(|m| m.header("Subject").as_deref() == Some("Sheds broken into"))
        .collect();
    let mut per: HashMap<String, Vec<String>> = HashMap::new();
    for m in &got {
        let id = m.header("Message-ID").unwrap_or_default();
        for to in &m.to {
            per.entry(to.clone()).or_default().push(id.clone());
        }
    }
    let mut repeats = 0;
    for ids in per.values_mut() {
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1, "a subscriber got two different messages");
        repeats += all - 1;
    }
    assert_eq!(per.len(), n, "every subscriber got the alert");
    say(&format!(
        "SQLite: delivery of {n} e-mails to a loopback SMTP server: {:.0} e-mails/s before the kill ({at_kill} in {:.1} s), {:.0}/s after the restart ({:.1} s, of which up to 5 s waiting for the dead worker's leases); {n} subscribers each received exactly one message; {repeats} sent again after the kill with the same Message-ID",
        at_kill as f64 / first_run.as_secs_f64(),
        first_run.as_secs_f64(),
        (got.len() - at_kill) as f64 / second_run.as_secs_f64(),
        second_run.as_secs_f64(),
    ));
    db.close().await;
    test_db.remove().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    if wanted("sqlite") {
        let t = TestDb::sqlite()?;
        let db = t.open().await?;
        targeting("SQLite", &db).await?;
        db.close().await;
        t.remove().await?;
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        && wanted("postgres")
    {
        let t = TestDb::postgres(&url).await?;
        let db = t.open().await?;
        targeting("PostgreSQL", &db).await?;
        db.close().await;
        t.remove().await?;
    }
    if env_number("HARBOUR_BENCH_DELIVERIES", 100_000) > 0 {
        delivery().await?;
    }
    Ok(())
}
