//! `harbour people link`: recognising the same person across CSV files from older systems.

use anyhow::{Context, Result, bail};
use harbour_domain::linkage::link::{Linked, link};
use harbour_domain::linkage::mapping::Mapping;
use harbour_domain::linkage::train::Settings;
use harbour_domain::linkage::{Prepared, Record, probability};
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub struct LinkFiles {
    pub files: Vec<PathBuf>,
    pub id: String,
    pub map: String,
    pub pairs: PathBuf,
    pub clusters: PathBuf,
    pub threshold: f64,
    pub floor: f64,
    /// The people already stored, by referral reference (`--against-database`): the files'
    /// records are linked to them, and to each other across files.
    pub stored: Option<Vec<(String, Record)>>,
}

/// Records read from files, with their ids and which file each came from.
pub struct Loaded {
    pub ids: Vec<String>,
    pub records: Vec<Record>,
    pub sources: Vec<u8>,
}

/// Reads the files' rows as records through the mapping.
pub fn load(files: &[PathBuf], id: &str, map: &str) -> Result<Loaded> {
    if files.len() > 255 {
        bail!("at most 255 files at once");
    }
    let mut loaded = Loaded {
        ids: Vec::new(),
        records: Vec::new(),
        sources: Vec::new(),
    };
    for (source, file) in files.iter().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_path(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let header: Vec<String> = reader
            .headers()
            .with_context(|| format!("{}: no header row", file.display()))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mapping = Mapping::parse(id, map, &header)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let column = |name: &str| header.iter().position(|h| h == name);
        for (line, row) in reader.records().enumerate() {
            let row = row.with_context(|| format!("{}: row {}", file.display(), line + 2))?;
            let (rid, record) =
                mapping.record(|c| column(c).and_then(|i| row.get(i)).unwrap_or(""));
            loaded.ids.push(rid);
            loaded.records.push(record);
            loaded.sources.push(u8::try_from(source).unwrap_or(u8::MAX));
        }
    }
    Ok(loaded)
}

/// The most memory the process has held, in MiB, where the system says (Linux).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn say(line: &str) {
    eprintln!("{line}");
}

pub fn link_files(args: &LinkFiles) -> Result<ExitCode> {
    for (name, p) in [("--threshold", args.threshold), ("--floor", args.floor)] {
        if !(p > 0.0 && p < 1.0) {
            bail!("{name} is a probability between 0 and 1 (not either)");
        }
    }
    let started = Instant::now();
    let mut loaded = load(&args.files, &args.id, &args.map)?;
    let mut sources = (args.files.len() > 1).then(|| loaded.sources.clone());
    if let Some(stored) = &args.stored {
        let database = u8::try_from(args.files.len()).unwrap_or(u8::MAX);
        for (reference, record) in stored {
            loaded.ids.push(reference.clone());
            loaded.records.push(record.clone());
            loaded.sources.push(database);
        }
        sources = Some(loaded.sources.clone());
    }
    let read_s = started.elapsed().as_secs_f64();
    let preparing = Instant::now();
    let prepared: Vec<Prepared> = loaded
        .records
        .par_iter()
        .map_init(Default::default, |names, r| Prepared::with_cache(r, names))
        .collect();
    let prepare_s = preparing.elapsed().as_secs_f64();
    let linking = Instant::now();
    let linked = link(
        &prepared,
        sources,
        &Settings::default(),
        args.threshold,
        args.floor,
    );
    let link_s = linking.elapsed().as_secs_f64();
    write_pairs(&args.pairs, &loaded.ids, &linked)?;
    write_clusters(&args.clusters, &loaded.ids, &linked.clusters)?;
    report(
        &loaded,
        &linked,
        args.threshold,
        [read_s, prepare_s, link_s],
    );
    Ok(ExitCode::SUCCESS)
}

fn write_pairs(path: &PathBuf, ids: &[String], linked: &Linked) -> Result<()> {
    let mut out =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    out.write_record(["id_l", "id_r", "score"])?;
    for p in &linked.pairs {
        out.write_record([
            ids[p.a as usize].as_str(),
            ids[p.b as usize].as_str(),
            &format!("{:.6}", probability(p.score)),
        ])?;
    }
    out.flush()?;
    Ok(())
}

fn write_clusters(path: &PathBuf, ids: &[String], clusters: &[u32]) -> Result<()> {
    let mut out =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    out.write_record(["id", "cluster"])?;
    for (i, c) in clusters.iter().enumerate() {
        out.write_record([ids[i].as_str(), ids[*c as usize].as_str()])?;
    }
    out.flush()?;
    Ok(())
}

fn report(loaded: &Loaded, linked: &Linked, threshold: f64, [read_s, prepare_s, link_s]: [f64; 3]) {
    let t = &linked.training;
    say(&format!("Records: {}", loaded.records.len()));
    say(&format!(
        "Training: u from {} random pairs; m by expectation–maximisation:",
        t.u_pairs
    ));
    for s in &t.sessions {
        say(&format!(
            "  blocked on {}: {} pairs, {} iterations, {:.2}% judged the same person",
            s.rule.label(),
            s.pairs,
            s.iterations,
            s.matching * 100.0
        ));
    }
    say(&format!(
        "  prior: {:.3e} (one pair in {:.0} is the same person)",
        linked.model.prior,
        1.0 / linked.model.prior
    ));
    say("Blocking (pairs each rule found first; the share of matches it finds):");
    for ((rule, recall), n) in linked.rule_recall.iter().zip(&linked.counts.pairs_by_rule) {
        say(&format!(
            "  {}: {n} pairs; {:.1}% of matches",
            rule.label(),
            recall * 100.0
        ));
    }
    if linked.counts.blocks_left_out > 0 {
        say(&format!(
            "  left out {} blocks too large to compare ({} records)",
            linked.counts.blocks_left_out, linked.counts.records_in_blocks_left_out
        ));
    }
    say(&format!(
        "  blocking recall, estimated from the matches found: {:.2}%",
        linked.estimated_recall() * 100.0
    ));
    let matches = linked.matches(threshold).count();
    let clusters: std::collections::HashSet<u32> = linked.clusters.iter().copied().collect();
    say(&format!(
        "Pairs compared: {}; written above the floor: {}; the same person at {threshold}: {matches}",
        linked.counts.pairs_by_rule.iter().sum::<u64>(),
        linked.pairs.len()
    ));
    say(&format!(
        "Clusters: {} (of {} records)",
        clusters.len(),
        loaded.records.len()
    ));
    say(&format!(
        "Time: reading {read_s:.2} s; preparing {prepare_s:.2} s; training and linking {link_s:.2} s; peak memory {}",
        peak_memory_mib().map_or("not known".to_owned(), |m| format!("{m:.0} MiB"))
    ));
}
