//! Caseload benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench cases      (SQLite; PostgreSQL too when
//!                                            HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! For each database: HARBOUR_BENCH_CASES open cases (default 100,000) at one service, spread
//! over a team of 2,000 caseworkers, then p50/p95 of the caseload pages over HTTP against a real
//! server on the same machine: a caseworker's own caseload with each filter, and the manager's
//! view of the whole service's (every case, the unallocated, the overdue), and one case's page.

use harbour_domain::role::Role;
use harbour_storage::Db;
use harbour_storage::demo::cases::load_demo_cases;
use harbour_storage::demo::{DEMO_PASSWORD, load_demo, load_demo_referrals};
use harbour_testkit::TestDb;
use harbour_testkit::app::demo_email;
use std::time::Instant;

mod common;
use common::{env_number, line, say, serve, timed, wanted};

/// The server's own allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn bench(name: &str, test_db: TestDb) -> anyhow::Result<()> {
    let db = Db::connect(&test_db.url, 16).await?;
    harbour_storage::schema::prepare(&db).await?;
    load_demo(&db).await?;
    let n = env_number("HARBOUR_BENCH_CASES", 100_000);
    let started = Instant::now();
    load_demo_referrals(&db, n).await?;
    let made = load_demo_cases(&db, n).await?;
    say(&format!(
        "{name}: {made} open cases loaded (with their referrals) in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    let url = serve(&db).await?;
    let caseworker = harbour_testkit::TestClient::new(&url);
    caseworker
        .sign_in(&demo_email(Role::Caseworker), DEMO_PASSWORD)
        .await?;
    let own: Vec<String> = [
        "/cases",
        "/cases?review=overdue",
        "/cases?review=soon",
        "/cases?risk=high",
        "/cases?status=paused",
    ]
    .map(str::to_owned)
    .to_vec();
    // Warm both servers' caches the same way before measuring.
    timed(&caseworker, &own, 20).await?;
    line(
        name,
        "a caseworker's own caseload (5 filters)",
        &timed(&caseworker, &own, 200).await?,
    );
    let manager = harbour_testkit::TestClient::new(&url);
    manager
        .sign_in(&demo_email(Role::ServiceManager), DEMO_PASSWORD)
        .await?;
    let team: Vec<String> = [
        "/cases?whose=everyone",
        "/cases?whose=everyone&review=overdue",
        "/cases?whose=everyone&risk=high",
        "/cases?whose=unallocated",
    ]
    .map(str::to_owned)
    .to_vec();
    timed(&manager, &team, 8).await?;
    line(
        name,
        &format!("the manager's whole service ({made} cases; 4 filters)"),
        &timed(&manager, &team, 100).await?,
    );
    let case: String = sqlx::query_scalar(
        "SELECT c.id FROM cases c JOIN users u ON u.id = c.caseworker_id WHERE u.email = $1 LIMIT 1",
    )
    .bind(demo_email(Role::Caseworker))
    .fetch_one(db.pool())
    .await?;
    line(
        name,
        "one case's page",
        &timed(&caseworker, &[format!("/cases/{case}")], 200).await?,
    );
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
    if wanted("sqlite") {
        bench("SQLite", TestDb::sqlite()?).await?;
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        && wanted("postgres")
    {
        bench("PostgreSQL", TestDb::postgres(&url).await?).await?;
    }
    Ok(())
}
