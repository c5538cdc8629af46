//! Intake and queue benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench intake            (SQLite; PostgreSQL too when
//!                                                   HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! For each database: the raw durable insert rate (one row per committed transaction, the
//! ceiling for one-at-a-time writes), then referrals posted to a real Harbour server over HTTP at
//! several concurrencies (throughput, p50, p99) after a warm-up (printed, not a level) of
//! HARBOUR_BENCH_WARMUP referrals (default: as many as a level), then the hub queue page's p95 with
//! HARBOUR_BENCH_QUEUE_ROWS referrals stored (default 1,000,000). Client and server share the
//! machine, so the figures include the client's own work.

use harbour_domain::role::Role;
use harbour_storage::demo::{DEMO_PASSWORD, load_demo, load_demo_referrals};
use harbour_storage::{Backend, Db};
use harbour_testkit::TestDb;
use harbour_testkit::app::{demo_email, issue_token};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::{cpu_between, env_number, machine_cpu, percentile, say, serve, wanted};

/// The server's own allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rows a second, each INSERT in its own committed transaction, `clients` at a time.
async fn raw_insert_rate(db: &Db, clients: usize, rows: usize) -> anyhow::Result<f64> {
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(db.pool())
        .await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..rows / clients {
                let mut tx = db.begin_write().await?;
                sqlx::query("INSERT INTO bench_raw (id, body) VALUES ($1, $2)")
                    .bind(format!("{c}-{i}-{}", uuid_like(i)))
                    .bind("x".repeat(400))
                    .execute(tx.conn())
                    .await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

fn uuid_like(i: usize) -> String {
    format!("{:016x}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Referral `n`, as a police system would send it: with the person's date of birth, and one in
/// five for a person referred before (repeat victimisation is common in domestic abuse), so the
/// writer looks people up by name and date of birth and updates the ones it finds, as in use.
///
/// People are told apart as in life, by names from common lists, a date of birth, a postcode and
/// a phone number of their own, so recognition, once trained, meets realistic candidates.
fn referral(n: u64) -> serde_json::Value {
    const GIVEN: [&str; 24] = [
        "Amy", "Bethan", "Carla", "Dana", "Erin", "Faye", "Gemma", "Holly", "Imogen", "Jade",
        "Kayleigh", "Laura", "Megan", "Naomi", "Olivia", "Paige", "Rachel", "Sophie", "Tanya",
        "Vicky", "Wendy", "Yasmin", "Zara", "Ruth",
    ];
    const FAMILY: [&str; 24] = [
        "Marlow",
        "Beech",
        "Corbett",
        "Dale",
        "Everett",
        "Fairley",
        "Goodwin",
        "Hartley",
        "Ibbotson",
        "Jukes",
        "Kettle",
        "Lomas",
        "Mellor",
        "Nuttall",
        "Orme",
        "Platt",
        "Rowley",
        "Salt",
        "Tranter",
        "Udall",
        "Vernon",
        "Whitehurst",
        "Yates",
        "Alcock",
    ];
    const AREAS: [&str; 6] = ["ST16", "ST17", "WS11", "DE13", "ST5", "B79"];
    let person = if n % 5 == 4 && n > 1_000 { n - 997 } else { n };
    let h = person.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
        + chrono::Days::new(person.wrapping_mul(7_919) % 16_000);
    let given = GIVEN[((h >> 8) % 24) as usize];
    let family = FAMILY[((h >> 24) % 24) as usize];
    // About fifteen people to a postcode, as in life: a few thousand postcodes, not a few.
    let unit = (h >> 40) % 4_000;
    let postcode = format!(
        "{} {}{}{}",
        AREAS[(unit % 6) as usize],
        unit % 9 + 1,
        char::from(b'A' + (unit / 9 % 26) as u8),
        char::from(b'A' + (unit / 234 % 26) as u8)
    );
    let phone = format!("07{:09}", person % 1_000_000_000);
    json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": format!("SP/26/B{n:07}"),
        "incident_date": "2026-11-01",
        "incident_area": "E07000197",
        "person": {
            "given_name": given, "family_name": family,
            "date_of_birth": born.to_string(), "postcode": postcode, "area": "E07000197"
        },
        "perpetrators": [ { "relationship": "ex-partner" } ],
        "consent_to_referral": "given",
        "safe_contact": { "channels": [ { "channel": "phone_call", "value": phone } ] },
        "risk_level": "medium"
    })
}

/// What one run of `post_at` measured.
struct Run {
    /// Referrals a second.
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// How busy the machine was and its CPU time per referral.
    cpu: String,
}

/// Posts `total` referrals from `concurrency` clients at once and measures them.
async fn post_at(
    url: &str,
    token: &str,
    concurrency: usize,
    total: u64,
    offset: u64,
) -> anyhow::Result<Run> {
    let cpu_before = machine_cpu();
    // The load generator does as little as it can while the clock runs: the address is parsed
    // and every body serialised beforehand, and no redirects or cookies are followed.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let endpoint = reqwest::Url::parse(&format!("{url}/api/v1/referrals"))?;
    let authorization = format!("Bearer {token}");
    let requests: Arc<Vec<(String, Vec<u8>)>> = Arc::new(
        (0..total)
            .map(|n| {
                let body = serde_json::to_vec(&referral(offset + n))?;
                anyhow::Ok((format!("bench-{}", offset + n), body))
            })
            .collect::<anyhow::Result<_>>()?,
    );
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, next, endpoint, authorization, requests) = (
            http.clone(),
            next.clone(),
            endpoint.clone(),
            authorization.clone(),
            requests.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((key, body)) = requests.get(n as usize) else {
                    break;
                };
                let t = Instant::now();
                let r = http
                    .post(endpoint.clone())
                    .header(reqwest::header::AUTHORIZATION, &authorization)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("Idempotency-Key", key)
                    .body(body.clone())
                    .send()
                    .await?;
                anyhow::ensure!(r.status().as_u16() == 201, "status {}", r.status());
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    all.sort();
    Ok(Run {
        rate,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        cpu: cpu_between(cpu_before, machine_cpu(), total),
    })
}

async fn bench(name: &str, test_db: TestDb) -> anyhow::Result<()> {
    let db = Db::connect(&test_db.url, 40).await?;
    harbour_storage::schema::prepare(&db).await?;
    load_demo(&db).await?;
    let raw_clients = if db.backend() == Backend::Sqlite {
        1
    } else {
        32
    };
    let raw = raw_insert_rate(
        &db,
        raw_clients,
        env_number("HARBOUR_BENCH_RAW_ROWS", 3000) as usize,
    )
    .await?;
    say(&format!(
        "{name}: raw durable inserts, one row per commit, {raw_clients} client(s): {raw:.0} rows/s"
    ));

    let url = serve(&db).await?;
    let token = issue_token(&db, "Staffordshire Police").await?;
    let per_level = env_number("HARBOUR_BENCH_REFERRALS", 3000);
    let mut offset = 0;
    // HARBOUR_BENCH_CLIENTS=32 (or a list, 16,32) measures those concurrencies only.
    let levels: Vec<usize> = std::env::var("HARBOUR_BENCH_CLIENTS")
        .unwrap_or_else(|_| "1,4,16,32,64".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    // A fresh database is slower for its first few thousand referrals (new tables growing, the
    // first autovacuum and ANALYZE runs, empty caches), which no running service sees. The
    // warm-up pays that before the levels are timed; its figure is printed too.
    let warm_up = env_number("HARBOUR_BENCH_WARMUP", per_level);
    if warm_up > 0 {
        let Run {
            rate,
            p50_ms,
            p99_ms,
            cpu,
        } = post_at(&url, &token, 32, warm_up, offset).await?;
        offset += warm_up;
        say(&format!(
            "{name}: warm-up, 32 clients, not one of the levels: {rate:.0} referrals/s  p50 {p50_ms:.1} ms  p99 {p99_ms:.1} ms  ({warm_up} referrals; {cpu})"
        ));
    }
    for concurrency in levels {
        let total = if concurrency == 1 {
            per_level / 3
        } else {
            per_level
        };
        let Run {
            rate,
            p50_ms,
            p99_ms,
            cpu,
        } = post_at(&url, &token, concurrency, total, offset).await?;
        offset += total;
        say(&format!(
            "{name}: POST /api/v1/referrals, {concurrency:>2} clients: {rate:>6.0} referrals/s  p50 {p50_ms:>5.1} ms  p99 {p99_ms:>5.1} ms  ({total} referrals, each durable before its 201; {cpu})"
        ));
    }

    let rows = env_number("HARBOUR_BENCH_QUEUE_ROWS", 1_000_000);
    let started = Instant::now();
    load_demo_referrals(&db, rows).await?;
    say(&format!(
        "{name}: loaded {rows} synthetic referrals in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    let hub = harbour_testkit::TestClient::new(&url);
    hub.sign_in(&demo_email(Role::TriageOfficer), DEMO_PASSWORD)
        .await?;
    let pages = [
        "/referrals/queue",
        "/referrals/queue?area=E07000197",
        "/referrals/queue?source=police&risk=high",
        "/referrals/queue?crime=domestic_abuse",
        "/referrals/queue?overdue=yes",
    ];
    let mut times = Vec::new();
    for i in 0..200 {
        let page = pages[i % pages.len()];
        let t = Instant::now();
        let r = hub.get(page).await?;
        anyhow::ensure!(r.status().is_success(), "{page}: {}", r.status());
        r.text().await?;
        times.push(t.elapsed());
    }
    times.sort();
    say(&format!(
        "{name}: hub queue page with {rows} referrals stored: p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms (200 requests over 5 filters)",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    ));

    // Person recognition with those referrals' people stored: intake first without a model
    // (exact names and date of birth only), then with one, at one client and at 32.
    let recognition_posts = env_number("HARBOUR_BENCH_RECOGNITION_REFERRALS", 2000);
    let mut without = Vec::new();
    for clients in [1, 32] {
        let run = post_at(&url, &token, clients, recognition_posts, offset).await?;
        offset += recognition_posts;
        say(&format!(
            "{name}: {rows} stored, no model, {clients:>2} clients: {:>6.0} referrals/s  p50 {:>5.1} ms  p99 {:>5.1} ms",
            run.rate, run.p50_ms, run.p99_ms
        ));
        without.push(run);
    }
    let started = Instant::now();
    let trained = harbour_storage::recognition::ready(&db).await?;
    say(&format!(
        "{name}: blocking keys for {rows} referrals and a model trained on them in {:.0} s (model {})",
        started.elapsed().as_secs_f64(),
        trained.map_or("already there".into(), |t| format!(
            "version {}, training {:.1} s",
            t.version, t.summary.seconds
        ))
    ));
    for (clients, before) in [1, 32].into_iter().zip(&without) {
        let run = post_at(&url, &token, clients, recognition_posts, offset).await?;
        offset += recognition_posts;
        say(&format!(
            "{name}: {rows} stored, recognising, {clients:>2} clients: {:>6.0} referrals/s ({:+.1}%)  p50 {:>5.1} ms ({:+.2})  p99 {:>5.1} ms ({:+.2})",
            run.rate,
            (run.rate / before.rate - 1.0) * 100.0,
            run.p50_ms,
            run.p50_ms - before.p50_ms,
            run.p99_ms,
            run.p99_ms - before.p99_ms
        ));
    }
    db.close().await;
    test_db.remove().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    // HARBOUR_BENCH_DATABASES=postgres (or sqlite) measures one database only.
    let only =
        std::env::var("HARBOUR_BENCH_DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        bench("SQLite", TestDb::sqlite()?).await?;
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        && wanted("postgres")
    {
        bench("PostgreSQL", TestDb::postgres(&url).await?).await?;
    }
    Ok(())
}
