//! Encryption at rest: what a copy of the database shows (the SQLite file itself, or
//! `pg_dump`'s), the data keys re-wrapped while Harbour runs, and a wrong or lost key at start.

use harbour_storage::cases::NoteInput;
use harbour_storage::sealed::{self, KeyEncryptionKey, SEALED};
use harbour_storage::{Backend, Db};
use harbour_testkit::cases::store_as;
use harbour_testkit::journey::{canaries, journey};
use harbour_testkit::{TestApp, inspect};
use std::collections::BTreeSet;
use std::process::Command;

type R = anyhow::Result<()>;

/// The whole database as someone holding a copy has it: the SQLite file and its write-ahead
/// log, byte for byte, or PostgreSQL's `pg_dump`.
fn raw_copy(app: &TestApp) -> anyhow::Result<String> {
    let url = &app.test_db.url;
    match app.test_db.backend {
        Backend::Sqlite => inspect::sqlite_file_text(url),
        Backend::Postgres => {
            let out = Command::new(pg_dump()?).arg("--dbname").arg(url).output()?;
            anyhow::ensure!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        }
    }
}

/// Debian's `pg_dump`, beside the server the test command started.
fn pg_dump() -> anyhow::Result<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")?
        .filter_map(|d| d.ok().map(|d| d.path().join("bin/pg_dump")))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no pg_dump under /usr/lib/postgresql"))
}

/// What a sealed JSON record repeats from the plain columns beside it.
const PLAIN_BESIDE: [&str; 8] = [
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "area",
    "gender",
    "language",
    "channel",
];

/// Every value the sealed fields hold, opened, as a copy of the database must not show it:
/// for JSON, every string but those [`PLAIN_BESIDE`]; for text, the whole text.
/// Short values (a yes, a level) would be found anywhere, so they are left out.
async fn sealed_values(db: &Db) -> anyhow::Result<BTreeSet<String>> {
    fn leaves(v: &serde_json::Value, key: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| leaves(v, k, out)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| leaves(v, key, out)),
            // Names, dates of birth, postcodes and the like are plain beside the sealed record
            // by design (see `sealed`), so they are found in a copy; everything else is not.
            serde_json::Value::String(s) if !PLAIN_BESIDE.contains(&key) => {
                out.insert(s.clone());
            }
            _ => {}
        }
    }
    let mut values = BTreeSet::new();
    for field in SEALED {
        let stored: Vec<Option<String>> =
            sqlx::query_scalar(&format!("SELECT {} FROM {}", field.column, field.table))
                .fetch_all(db.pool())
                .await?;
        for s in stored
            .into_iter()
            .flatten()
            .filter(|s| !sealed::EMPTY.contains(&s.as_str()))
        {
            assert!(
                sealed::is_sealed(&s),
                "{}.{} holds a value not sealed",
                field.table,
                field.column
            );
            let text = inspect::opened(&s)?;
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    leaves(&v, "", &mut values);
                }
                _ => {
                    values.insert(text);
                }
            }
        }
    }
    values.retain(|v| v.len() >= 8);
    Ok(values)
}

#[tokio::test]
async fn a_copy_of_the_database_shows_none_of_the_sealed_values() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    // The demonstration, as `harbour serve --demo` loads it, and a whole journey whose every
    // record carries a canary.
    harbour_storage::demo::load_demo_referrals(db, 300).await?;
    harbour_storage::demo::load_demo_onward(db).await?;
    harbour_storage::demo::marac::load_demo_marac_work(db).await?;
    journey(db, "e4w").await?;
    let mut planted = canaries("e4w");
    // A safety plan on an open case, written twice (the plan and its versions).
    let new_era = store_as(db, "New Era", harbour_domain::role::Role::Caseworker).await?;
    let open: String = sqlx::query_scalar(
        "SELECT c.id FROM cases c JOIN agencies a ON a.id = c.agency_id \
         WHERE a.name = 'New Era' AND c.status = 'open' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let open = harbour_domain::ids::CaseId::from(open);
    for (version, text) in [
        (0, "safeplacee4w her aunt's flat"),
        (1, "safeplacee4w the library"),
    ] {
        let typed = std::collections::BTreeMap::from([("safe_places".to_owned(), text.to_owned())]);
        new_era.save_safety_plan(&open, version, &typed).await?;
    }
    planted.push("safeplacee4w".to_owned());
    // The victim's names and the police reference stay plain (people are found by them); the
    // rest, the perpetrator's name among it, is sealed.
    let sealed_canaries: Vec<&String> = planted
        .iter()
        .filter(|c| {
            !["Zephyrine", "Quillfeather", "SP/26/"]
                .iter()
                .any(|p| c.starts_with(p))
        })
        .collect();
    let everything = sealed_values(db).await?;
    for canary in &sealed_canaries {
        assert!(
            everything.iter().any(|v| v.contains(canary.as_str())),
            "{canary} is held, sealed"
        );
    }
    assert!(
        everything.len() > 500,
        "the demo's values: {}",
        everything.len()
    );

    let copy = raw_copy(&app)?;
    let shown: Vec<&String> = everything
        .iter()
        .filter(|v| copy.contains(v.as_str()))
        .collect();
    assert!(
        shown.is_empty(),
        "a copy shows {} values: {shown:?}",
        shown.len()
    );
    for canary in sealed_canaries {
        assert!(!copy.contains(canary.as_str()), "a copy shows {canary}");
    }
    // The test can fail: the plain names are there to be found.
    assert!(copy.contains("Zephyrinee4w"));
    // The data protection officer is told this database's key is the public one.
    let dpo = app
        .signed_in(harbour_domain::role::Role::DataProtectionOfficer)
        .await?;
    let (_, page) = dpo.get_text("/retention").await?;
    assert!(page.contains("Protection at rest") && page.contains("the development key"));
    assert!(page.contains("Not changed since the keys were made"));
    Ok(())
}

#[tokio::test]
async fn the_keys_are_rewrapped_while_harbour_runs_and_a_wrong_key_stops_it_at_start() -> R {
    // The new key as an administrator would make it: `harbour keys new`.
    let made = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["keys", "new"])
        .env_clear()
        .output()?;
    assert!(made.status.success());
    let new = String::from_utf8(made.stdout)?
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    KeyEncryptionKey::from_base64(&new)?;
    let old = KeyEncryptionKey::generate();
    let app = TestApp::spawn_keyed(KeyEncryptionKey::from_base64(&old)?, |_| {}).await?;
    let j = journey(&app.db, "r8k").await?;
    let dir = tempfile::tempdir()?;
    let new_file = dir.path().join("new.key");
    std::fs::write(&new_file, &new)?;
    let harbour = |key: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_harbour"))
            .args(args)
            .env_clear()
            .env("HARBOUR_DATABASE_URL", &app.test_db.url)
            .env("HARBOUR_ENCRYPTION_KEY", key)
            .output()
    };

    let out = harbour(
        &old,
        &[
            "keys",
            "rotate",
            "--new-key-file",
            &new_file.to_string_lossy(),
        ],
    )?;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_id = KeyEncryptionKey::from_base64(&new)?.id().to_owned();
    assert!(said.contains(&format!("under key {new_id}")), "{said}");

    // The running Harbour carries on: it reads what was sealed before and seals anew.
    let new_era = store_as(&app.db, "New Era", harbour_domain::role::Role::Caseworker).await?;
    let case = new_era.case(&j.case).await?;
    assert!(case.notes.iter().any(|n| n.body.contains("casenoter8k")));
    // The data protection officer sees the key changed, and no warning of the public one.
    let dpo = app
        .signed_in(harbour_domain::role::Role::DataProtectionOfficer)
        .await?;
    let (_, page) = dpo.get_text("/retention").await?;
    assert!(page.contains("Key last changed") && !page.contains("Not changed since"));
    assert!(!page.contains("the development key"));

    // Next start: the new key opens the database; the old one, or none, is a plain error.
    let out = harbour(&new, &["migrate"])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for key in [old.as_str(), &KeyEncryptionKey::generate()] {
        let out = harbour(key, &["migrate"])?;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("is not the one this database's data keys are wrapped with")
                && err.contains(&format!("(id {new_id})")),
            "{err}"
        );
        assert!(!err.contains(key), "the key itself is never printed");
    }
    let wrong = Db::connect(&app.test_db.url, 2)
        .await?
        .with_key_encryption_key(KeyEncryptionKey::from_base64(&old)?);
    let err = harbour_storage::schema::prepare(&wrong).await.unwrap_err();
    assert!(
        err.to_string().contains("start Harbour with that key"),
        "{err}"
    );

    // A note written after the rotation reads back, in this process and in a new one.
    new_era
        .add_case_note(
            &j.case,
            &NoteInput {
                kind: "contact".into(),
                body: "afterrotationr8k".into(),
                restricted: false,
                happened_on: harbour_domain::calendar::uk_date(chrono::Utc::now()).to_string(),
            },
        )
        .await?;
    let reopened = Db::connect(&app.test_db.url, 2)
        .await?
        .with_key_encryption_key(KeyEncryptionKey::from_base64(&new)?);
    harbour_storage::schema::prepare(&reopened).await?;
    assert!(
        !inspect::where_text_appears(&reopened, &["afterrotationr8k"])
            .await?
            .is_empty()
    );
    Ok(())
}
