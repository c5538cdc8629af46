//! Bulk files of referrals: the command and the upload page, bad rows, reruns.

use harbour_domain::role::Role;
use harbour_storage::bulk::COLUMNS;
use harbour_testkit::{TestApp, TestDb, csrf_token};
use reqwest::StatusCode;
use sqlx::Row;
use std::process::Command;

type R = anyhow::Result<()>;

fn row(values: &[(&str, &str)]) -> String {
    COLUMNS
        .iter()
        .map(|c| {
            let v = values.iter().find(|(k, _)| k == c).map_or("", |(_, v)| *v);
            if v.contains(',') || v.contains('"') {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn good(id: &str, given: &str) -> String {
    row(&[
        ("record_id", id),
        ("police_reference", &format!("SP/26/{id}")),
        ("crime_category", "domestic_abuse"),
        ("incident_date", "2026-11-19"),
        ("incident_area", "E07000197"),
        ("given_name", given),
        ("family_name", "Kershaw"),
        ("postcode", "ST17 4AB"),
        ("area", "E07000197"),
        ("perpetrator_relationship", "ex-partner"),
        ("children_ages", "2;6"),
        ("consent_to_referral", "given"),
        (
            "safe_channels",
            "phone_call:07700 900777;email:safe@example.org",
        ),
        ("safe_days", "mon;tue"),
        ("safe_from", "09:00"),
        ("safe_to", "11:00"),
        ("abuser_sees_post", "yes"),
        ("risk_level", "high"),
    ])
}

fn file() -> String {
    let mut lines = vec![COLUMNS.join(",")];
    lines.push(good("1001", "Nia"));
    lines.push(row(&[
        ("record_id", "1002"),
        ("crime_category", "domestic_abuse"),
        ("given_name", "Owen"),
        ("consent_to_referral", "given"),
        ("safe_channels", "phone_call:07700 900778"),
    ]));
    lines.push(good("1003", "Priya").replace("phone_call:07700 900777", "phone_call:not a number"));
    lines.push(good("1001", "Nia"));
    lines.push(row(&[("given_name", "No Id")]));
    lines.push(good("1006", "Rosa"));
    lines.join("\n") + "\n"
}

#[tokio::test]
async fn the_command_imports_reports_every_line_and_a_rerun_creates_nothing() -> R {
    let db = TestDb::new().await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("nightly.csv");
    std::fs::write(&path, file())?;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_harbour"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("HARBOUR_DATABASE_URL", &db.url)
            .env(
                "HARBOUR_ENCRYPTION_KEY",
                harbour_storage::sealed::KeyEncryptionKey::development_base64(),
            )
            .env("HARBOUR_LOG", "warn")
            .output()
    };
    run(&["demo"])?;
    let out = run(&[
        "import",
        "referrals",
        path.to_str().unwrap(),
        "--agency",
        "staffordshire police",
    ])?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejections make the command fail: {text}"
    );
    assert!(
        text.contains("line 2 (record 1001): created HBR-"),
        "{text}"
    );
    assert!(text.contains("line 3 (record 1002): REJECTED: police_reference: Enter the police crime or occurrence reference; incident_date: Enter the date of the incident"), "{text}");
    assert!(
        text.contains("line 4 (record 1003): REJECTED: safe_channels: Enter a phone number"),
        "{text}"
    );
    assert!(
        text.contains("line 5 (record 1001): REJECTED: record_id: the same as line 2"),
        "{text}"
    );
    assert!(
        text.contains("line 6 (record ): REJECTED: record_id: every row needs"),
        "{text}"
    );
    assert!(text.contains("line 7 (record 1006): created"), "{text}");
    assert!(
        text.contains("2 created, 0 already imported, 4 rejected."),
        "{text}"
    );

    let again = run(&[
        "import",
        "referrals",
        path.to_str().unwrap(),
        "--agency",
        "Staffordshire Police",
    ])?;
    let text = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(
        text.contains("0 created, 2 already imported, 4 rejected."),
        "{text}"
    );

    let opened = db.open().await?;
    let n = harbour_testkit::inspect::rows(&opened, "referrals").await?;
    assert_eq!(n, 2);
    let safe: String =
        sqlx::query("SELECT p.safe_contact FROM persons p WHERE p.given_name = 'Nia'")
            .fetch_one(opened.pool())
            .await?
            .get("safe_contact");
    assert!(!safe.contains("safe@example.org"), "sealed as stored");
    let safe: serde_json::Value = serde_json::from_str(&harbour_testkit::inspect::opened(&safe)?)?;
    assert_eq!(safe["channels"][1]["value"], "safe@example.org");

    let missing = dir.path().join("bad.csv");
    std::fs::write(&missing, "record_id,given_name\n1,A\n")?;
    let out = run(&[
        "import",
        "referrals",
        missing.to_str().unwrap(),
        "--agency",
        "Staffordshire Police",
    ])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column police_reference"));
    let out = run(&[
        "import",
        "referrals",
        path.to_str().unwrap(),
        "--agency",
        "Nowhere",
    ])?;
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agency: no agency is called"));
    Ok(())
}

#[tokio::test]
async fn a_file_uploaded_on_the_page_is_reported_line_by_line() -> R {
    let app = TestApp::spawn().await?;
    let officer = app.signed_in(Role::Referrer).await?;
    let (_, page) = officer.get_text("/referrals/import").await?;
    let token = csrf_token(&page).unwrap_or_default();
    let upload = |body: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(body.into_bytes())
                    .file_name("nightly.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        officer
            .http
            .post(officer.url("/referrals/import"))
            .multipart(form)
            .send()
    };
    let r = upload(file()).await?;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await?;
    assert!(body.contains("2 created, 0 already imported, 4 rejected."));
    assert!(body.contains("Rejected</strong> safe_channels: Enter a phone number"));
    let r = upload(file()).await?;
    assert!(r.text().await?.contains("0 created, 2 already imported"));
    let r = upload(String::new()).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Select a CSV file"));
    // A caseworker may not import.
    let caseworker = app.signed_in(Role::Caseworker).await?;
    assert_eq!(
        caseworker.get("/referrals/import").await?.status(),
        StatusCode::FORBIDDEN
    );
    Ok(())
}
