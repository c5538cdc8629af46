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
#[allow(dead_code)] // the HTTP benchmarks'
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

/// Busy and total CPU time of the whole machine so far, in clock ticks, from /proc/stat (Linux);
/// `None` elsewhere. Two readings give how much of the machine a stretch of work used.
#[allow(dead_code)] // not every benchmark reports it
pub fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let idle = ticks.get(3)? + ticks.get(4)?;
    let total: u64 = ticks.iter().take(8).sum();
    Some((total - idle, total))
}

/// What share of the machine was busy between two readings of [`machine_cpu`], and the busy
/// CPU time in microseconds divided over `items`.
#[allow(dead_code)]
pub fn cpu_between(before: Option<(u64, u64)>, after: Option<(u64, u64)>, items: u64) -> String {
    match (before, after) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 && items > 0 => {
            // /proc/stat counts in USER_HZ, 100 a second on Linux.
            let busy_us = (b1 - b0) as f64 * 10_000.0;
            format!(
                "machine {:.0}% busy, {:.0} µs CPU each",
                100.0 * (b1 - b0) as f64 / (t1 - t0) as f64,
                busy_us / items as f64
            )
        }
        _ => "machine CPU not measured".to_owned(),
    }
}

/// Times `requests` GETs of `pages` in turn with a signed-in client; sorted, for percentiles.
#[allow(dead_code)] // the page benchmarks' (cases, MARAC)
pub async fn timed(
    client: &harbour_testkit::TestClient,
    pages: &[String],
    requests: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    for i in 0..requests {
        let page = &pages[i % pages.len()];
        let t = std::time::Instant::now();
        let r = client.get(page).await?;
        anyhow::ensure!(r.status().is_success(), "{page}: {}", r.status());
        r.text().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times)
}

/// One line of figures: p50, p95 and the slowest of sorted timings.
#[allow(dead_code)] // the page benchmarks' (cases, MARAC)
pub fn line(name: &str, what: &str, times: &[Duration]) {
    say(&format!(
        "{name}: {what}: p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms ({} requests)",
        percentile(times, 0.50),
        percentile(times, 0.95),
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        times.len()
    ));
}
