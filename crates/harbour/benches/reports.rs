//! Reports benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench reports     (SQLite; PostgreSQL too when
//!                                            HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! For each database: HARBOUR_BENCH_REPORT_REFERRALS referrals (default 1,000,000) over five
//! years with their history (triage, advice, referrals on with consent and deadlines, cases with
//! readings, contact), then p50/p95 over HTTP, signed in as the commissioner, of the quarterly
//! report pack (four quarters in turn), the five-year control chart, and the pack as a
//! spreadsheet.
//!
//! Loading a million referrals takes a quarter of an hour. To measure again without loading
//! again, set HARBOUR_BENCH_REPORT_DB to a database URL (an empty SQLite file's path as
//! `sqlite:/path/h.db`, or an empty PostgreSQL database): the first run loads it and keeps it,
//! later runs measure what it holds.

use harbour_domain::role::Role;
use harbour_storage::Db;
use harbour_storage::demo::history::load_report_history;
use harbour_storage::demo::{DEMO_PASSWORD, load_demo};
use harbour_testkit::TestDb;
use harbour_testkit::app::demo_email;
use std::time::Instant;

mod common;
use common::{env_number, line, say, serve, timed, wanted};

/// The server's own allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn bench(name: &str, test_db: Option<TestDb>, url: &str) -> anyhow::Result<()> {
    let db = Db::connect(url, 16).await?;
    harbour_storage::schema::prepare(&db).await?;
    let loaded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referrals")
        .fetch_one(db.pool())
        .await?;
    let started = Instant::now();
    let n = if loaded == 0 {
        load_demo(&db).await?;
        let n = env_number("HARBOUR_BENCH_REPORT_REFERRALS", 1_000_000);
        load_report_history(&db, n, 5).await?;
        n
    } else {
        u64::try_from(loaded)?
    };
    let onward: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM onward_referrals")
        .fetch_one(db.pool())
        .await?;
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(db.pool())
        .await?;
    say(&format!(
        "{name}: {n} referrals over five years, {onward} referrals on and {cases} cases loaded in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    let url = serve(&db).await?;
    let client = harbour_testkit::TestClient::new(&url);
    client
        .sign_in(&demo_email(Role::Commissioner), DEMO_PASSWORD)
        .await?;
    let quarter = harbour_domain::marac::dataset::Quarter::of(harbour_domain::calendar::uk_date(
        chrono::Utc::now(),
    ))
    .previous();
    let quarters: Vec<String> = (0..4)
        .scan(quarter, |q, _| {
            let this = *q;
            *q = q.previous();
            Some(this.slug())
        })
        .collect();
    let packs: Vec<String> = quarters
        .iter()
        .map(|q| format!("/reports?period={q}"))
        .collect();
    timed(&client, &packs, 4).await?;
    let charts: Vec<String> = quarters
        .iter()
        .map(|q| format!("/reports/months?period={q}&months=60"))
        .collect();
    let sheets: Vec<String> = quarters
        .iter()
        .map(|q| format!("/reports/pack.xlsx?period={q}"))
        .collect();
    // Interleaved rounds, so the machine's noise falls on each alike.
    let (mut p, mut c, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        p.extend(timed(&client, &packs, 4).await?);
        c.extend(timed(&client, &charts, 8).await?);
        s.extend(timed(&client, &sheets, 2).await?);
    }
    for v in [&mut p, &mut c, &mut s] {
        v.sort();
    }
    line(
        name,
        "a quarter's report pack (the page, every section)",
        &p,
    );
    line(name, "the five-year monthly control chart", &c);
    line(name, "the pack as a spreadsheet", &s);
    db.close().await;
    if let Some(t) = test_db {
        t.remove().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_REPORT_DB") {
        let name = if url.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        return bench(name, None, &url).await;
    }
    if wanted("sqlite") {
        let t = TestDb::sqlite()?;
        let url = t.url.clone();
        bench("SQLite", Some(t), &url).await?;
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        && wanted("postgres")
    {
        let t = TestDb::postgres(&url).await?;
        let url = t.url.clone();
        bench("PostgreSQL", Some(t), &url).await?;
    }
    Ok(())
}
