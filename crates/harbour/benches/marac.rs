//! MARAC benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench marac      (SQLite; PostgreSQL too when
//!                                            HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! For each database: the north MARAC with HARBOUR_BENCH_MARAC_MEETINGS fortnightly meetings
//! (default 130: five years) of 16 cases each (about 2,000 cases and 6,000 actions), then p50/p95
//! over HTTP against a real server on the same machine of the coming meeting's agenda, an
//! agency's actions, every agency's actions (the coordinator), and the quarterly return.

use harbour_domain::role::Role;
use harbour_storage::Db;
use harbour_storage::demo::marac::load_marac_history;
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
    let meetings = usize::try_from(env_number("HARBOUR_BENCH_MARAC_MEETINGS", 130)).unwrap_or(130);
    let started = Instant::now();
    load_demo_referrals(&db, 5_000).await?;
    let made = load_marac_history(&db, meetings, 16).await?;
    say(&format!(
        "{name}: {meetings} meetings and {made} MARAC cases loaded in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    let url = serve(&db).await?;
    let coordinator = harbour_testkit::TestClient::new(&url);
    coordinator
        .sign_in(&demo_email(Role::MaracCoordinator), DEMO_PASSWORD)
        .await?;
    let coming: String = sqlx::query_scalar(
        "SELECT id FROM marac_meetings WHERE status = 'scheduled' ORDER BY held_on LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let north: String =
        sqlx::query_scalar("SELECT id FROM maracs WHERE name = 'Staffordshire North MARAC'")
            .fetch_one(db.pool())
            .await?;
    let agenda = vec![format!("/marac/meetings/{coming}")];
    timed(&coordinator, &agenda, 20).await?;
    line(
        name,
        "the coming meeting's agenda",
        &timed(&coordinator, &agenda, 200).await?,
    );
    let all = vec!["/marac/actions".to_owned()];
    line(
        name,
        "every agency's actions (the coordinator)",
        &timed(&coordinator, &all, 100).await?,
    );
    let quarter = harbour_domain::marac::dataset::Quarter::of(harbour_domain::calendar::uk_date(
        chrono::Utc::now(),
    ))
    .previous();
    let returns: Vec<String> = (0..4)
        .scan(quarter, |q, _| {
            let this = *q;
            *q = q.previous();
            Some(format!("/marac/{north}/return?quarter={}", this.slug()))
        })
        .collect();
    line(
        name,
        "the quarterly return (4 quarters)",
        &timed(&coordinator, &returns, 100).await?,
    );
    line(
        name,
        "the MARAC page",
        &timed(&coordinator, &["/marac".to_owned()], 100).await?,
    );
    let caseworker = harbour_testkit::TestClient::new(&url);
    caseworker
        .sign_in(&demo_email(Role::Caseworker), DEMO_PASSWORD)
        .await?;
    line(
        name,
        "an agency's actions",
        &timed(&caseworker, &all, 100).await?,
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
