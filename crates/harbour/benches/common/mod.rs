//! What the benchmarks share: settings from the environment, percentiles, printing, a server.

use std::time::Duration;

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[allow(clippy::print_stdout)]
pub fn say(line: &str) {
    println!("{line}");
}

/// A Harbour server on `db` with the per-address limits lifted.
pub async fn serve(db: &harbour_storage::Db) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let config = harbour_web::WebConfig {
        sign_in_attempts_per_minute: 100_000,
        open_data_requests_per_minute: 1_000_000,
        ..Default::default()
    };
    let db = db.clone();
    tokio::spawn(async move {
        let _ = harbour_web::serve(listener, db, config, std::future::pending()).await;
    });
    Ok(url)
}

/// Which databases to measure: HARBOUR_BENCH_DATABASES=sqlite or =postgres for one.
pub fn wanted(name: &str) -> bool {
    std::env::var("HARBOUR_BENCH_DATABASES")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .contains(name)
}
