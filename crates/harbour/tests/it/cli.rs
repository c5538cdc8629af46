//! The `harbour` binary's subcommands, run as a person would run them.

use harbour_testkit::TestDb;
use sqlx::Executor;
use std::io::Write;
use std::process::{Command, Output, Stdio};

type R = anyhow::Result<()>;

fn harbour(db_url: &str, args: &[&str], stdin: &str) -> anyhow::Result<Output> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HARBOUR_DATABASE_URL", db_url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes())?;
    }
    Ok(child.wait_with_output()?)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn migrate_demo_user_add_and_audit_verify() -> R {
    let db = TestDb::new().await?;
    let out = harbour(&db.url, &["migrate"], "")?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Database is up to date"));

    let out = harbour(&db.url, &["demo"], "")?;
    assert!(
        text(&out).contains("Loaded the demo partnership"),
        "{}",
        text(&out)
    );
    let out = harbour(&db.url, &["demo"], "")?;
    assert!(text(&out).contains("was not loaded again"));

    let add = |args: &[&str], password: &str| {
        let mut all = vec!["user", "add"];
        all.extend_from_slice(args);
        harbour(&db.url, &all, password)
    };
    let out = add(
        &[
            "--email",
            "kim.fairbrother@newera.example",
            "--name",
            "Kim Fairbrother",
            "--agency",
            "new era",
            "--role",
            "caseworker",
            "--role",
            "marac_coordinator",
        ],
        "a long enough password\n",
    )?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Added person"));
    assert!(!text(&out).contains("a long enough password"));

    let out = add(
        &[
            "--email",
            "x@newera.example",
            "--name",
            "X",
            "--agency",
            "Nowhere Trust",
            "--role",
            "caseworker",
        ],
        "a long enough password\n",
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--agency: no agency is called \"Nowhere Trust\""),
        "{}",
        text(&out)
    );
    let out = add(
        &[
            "--email",
            "x@newera.example",
            "--name",
            "X",
            "--agency",
            "New Era",
            "--role",
            "wizard",
        ],
        "a long enough password\n",
    )?;
    assert!(
        text(&out).contains("roles: Select roles from the list"),
        "{}",
        text(&out)
    );
    let out = add(
        &[
            "--email",
            "kim.fairbrother@newera.example",
            "--name",
            "Kim",
            "--agency",
            "New Era",
            "--role",
            "caseworker",
        ],
        "a long enough password\n",
    )?;
    assert!(
        text(&out).contains("already has an account"),
        "{}",
        text(&out)
    );
    let out = add(
        &[
            "--email",
            "y@newera.example",
            "--name",
            "Y",
            "--agency",
            "New Era",
            "--role",
            "caseworker",
        ],
        "short\n",
    )?;
    assert!(
        text(&out).contains("Password must be 12 characters or more"),
        "{}",
        text(&out)
    );

    let out = harbour(&db.url, &["audit", "verify"], "")?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Audit trail intact"));

    // Someone with database access edits entry 4.
    let opened = db.open().await?;
    let mut conn = opened.pool().acquire().await?;
    match opened.backend() {
        harbour_storage::Backend::Sqlite => {
            conn.execute("DROP TRIGGER audit_log_no_update").await?
        }
        harbour_storage::Backend::Postgres => {
            conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
                .await?
        }
    };
    conn.execute("UPDATE audit_log SET actor_user_id = 'someone-else' WHERE seq = 4")
        .await?;
    drop(conn);
    opened.close().await;
    let out = harbour(&db.url, &["audit", "verify"], "")?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("entry 4 has been altered"),
        "{}",
        text(&out)
    );
    Ok(())
}

#[test]
fn bad_configuration_names_the_setting() -> R {
    let cases: [(&str, &str, &str); 4] = [
        ("HARBOUR_LISTEN", "everywhere", "setting listen"),
        (
            "HARBOUR_DATABASE_URL",
            "mysql://db/harbour",
            "setting database_url",
        ),
        (
            "HARBOUR_SESSION_IDLE_MINUTES",
            "a while",
            "session_idle_minutes",
        ),
        (
            "HARBOUR_PUBLIC_URL",
            "harbour.example.org",
            "setting public_url",
        ),
    ];
    for (key, value, expected) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
            .arg("migrate")
            .env_clear()
            .env(
                "HARBOUR_DATABASE_URL",
                "sqlite:/nonexistent-dir-for-test/x.db",
            )
            .env(key, value)
            .output()?;
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{key}={value}: {err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["serve", "--config", "/no/such/harbour.toml"])
        .env_clear()
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("frobnicate")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
    Ok(())
}

#[test]
fn a_database_password_never_reaches_the_terminal() -> R {
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("migrate")
        .env_clear()
        .env(
            "HARBOUR_DATABASE_URL",
            "postgres://harbour:SeCrEt-pw@127.0.0.1:1/harbour",
        )
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::generate(),
        )
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("database_url"), "{all}");
    assert!(!all.contains("SeCrEt-pw"), "{all}");
    Ok(())
}

/// `harbour serve --demo` in a fresh folder, as the README's first command runs it.
#[tokio::test]
async fn serve_demo_prints_the_sign_ins_and_logs_no_personal_data() -> R {
    use std::io::{BufRead, BufReader};
    let db = TestDb::new().await?;
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env_clear()
        .env("HARBOUR_DATABASE_URL", &db.url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_LISTEN", "127.0.0.1:0")
        .env("HARBOUR_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let mut url = String::new();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("Harbour is running on ") {
            url = rest
                .split(" at ")
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned();
        }
        printed.push(line);
        if printed
            .iter()
            .any(|l| l.contains("auditor@demo.harbour.example"))
        {
            break;
        }
    }
    let printed = printed.join("\n");
    assert!(
        printed.contains("Demo sign-ins (every password is harbour-demo-only)"),
        "{printed}"
    );
    assert!(printed.contains("administrator@demo.harbour.example"));

    // Sign in wrongly and rightly, and read people: nothing personal may reach the log.
    let client = harbour_testkit::TestClient::new(&url);
    let _ = client
        .sign_in(
            "administrator@demo.harbour.example",
            "Wrong-Password-Canary",
        )
        .await;
    client
        .sign_in("administrator@demo.harbour.example", "harbour-demo-only")
        .await?;
    let (status, people) = client.get_text("/admin/people").await?;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(people.contains("Staffordshire Police"));
    let _ = client.get("/audit?entity_id=canary-in-a-query").await?;

    // The demo's caseworker has referrals waiting, some of them overdue.
    let caseworker = harbour_testkit::TestClient::new(&url);
    caseworker
        .sign_in("caseworker@demo.harbour.example", "harbour-demo-only")
        .await?;
    let (status, inbox) = caseworker.get_text("/inbox").await?;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(inbox.contains("href=\"/onward/"), "{inbox}");
    assert!(inbox.contains("Overdue"), "{inbox}");

    // The directory: a refuge's confidential entry read by a partner, postcodes searched for in
    // the open API and the public search, by address and in bodies.
    let (_, list) = client.get_text("/directory").await?;
    let end = list
        .find("\">New Era refuge</a>")
        .expect("the refuge is listed");
    let start = list[..end].rfind("href=\"").expect("with a link") + 6;
    let (status, refuge) = client.get_text(&list[start..end]).await?;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(refuge.contains("Larkspur"), "the partner sees the address");
    let _ = client
        .get("/oruk/v3/services?postcode=ST16%202AB&proximity=900")
        .await?;
    let _ = client
        .http
        .post(client.url("/oruk/v3/services"))
        .json(&serde_json::json!({"postcode": "ST17 4AA"}))
        .send()
        .await?;
    let public = harbour_testkit::TestClient::new(&url);
    let _ = public
        .post_form(
            "/find-support",
            &[("need", "accommodation"), ("postcode", "ST5 1AB")],
        )
        .await?;

    // Someone subscribes to community alerts (the form wants three seconds to pass), and the
    // police's sender counts the reach around the same postcode.
    let (_, form) = public.get_text("/alerts/subscribe").await?;
    let at = form
        .find("name=\"form_token\" value=\"")
        .expect("a form token")
        + 25;
    let token = form[at..at + form[at..].find('"').expect("closed")].to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let r = public
        .post_form(
            "/alerts/subscribe",
            &[
                ("form_token", token.as_str()),
                ("email", "alerts-canary@example.org"),
                ("kind", "resident"),
                ("age_group", "18_plus"),
                ("postcode", "ST16 3AA"),
                ("topics", "burglary"),
                ("priority", "everything"),
            ],
        )
        .await?;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert!(r.text().await?.contains("Check your email"));
    let sender = harbour_testkit::TestClient::new(&url);
    sender
        .sign_in("alert.author@demo.harbour.example", "harbour-demo-only")
        .await?;
    let r = sender
        .submit(
            "/community-alerts/new",
            "/community-alerts/new",
            &[
                ("headline", "Sheds broken into"),
                ("description", "d"),
                ("instruction", "i"),
                ("contact", "Call 101"),
                ("topics", "burglary"),
                ("urgency", "Expected"),
                ("severity", "Moderate"),
                ("certainty", "Observed"),
                ("expires_hours", "72"),
                ("area_kind", "circle"),
                ("postcode", "ST16 3AA"),
                ("radius_m", "3000"),
                ("go", "reach"),
            ],
        )
        .await?;
    assert!(r.text().await?.contains("subscribers"));

    // SIGTERM: a clean shutdown.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let status = child.wait()?;
    assert!(status.success(), "{status:?}");
    let log = log.join().unwrap_or_default();
    assert!(log.contains("request"), "requests are logged: {log}");
    for secret in [
        "@demo.harbour.example",
        "Wrong-Password-Canary",
        "harbour-demo-only",
        "canary-in-a-query",
        "harbour_session=",
        "Larkspur",
        "ST16 9ZZ",
        "01785 990 417",
        "ST16%202AB",
        "ST16 2AB",
        "ST17 4AA",
        "ST5 1AB",
        "alerts-canary",
        "ST16 3AA",
        "resident0",
    ] {
        assert!(!log.contains(secret), "{secret} appeared in the log");
    }
    Ok(())
}

#[tokio::test]
async fn directory_export_and_import_and_postcode_import() -> R {
    let db = TestDb::new().await?;
    let out = harbour(&db.url, &["demo"], "")?;
    assert!(out.status.success(), "{}", text(&out));
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("directory.json");
    let file_arg = file.to_string_lossy().into_owned();
    let out = harbour(&db.url, &["directory", "export", "--output", &file_arg], "")?;
    assert!(text(&out).contains("Wrote 18 services"), "{}", text(&out));
    let out = harbour(&db.url, &["directory", "import", &file_arg], "")?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("0 services created, 18 updated, 0 rejected"),
        "{}",
        text(&out)
    );

    let out = harbour(&db.url, &["directory", "export", "--public"], "")?;
    assert!(out.status.success());
    assert!(
        !text(&out).contains("Larkspur"),
        "the public export withholds the refuge"
    );

    std::fs::write(
        &file,
        r#"[{"id": "x", "name": "Nameless", "status": "open"}]"#,
    )?;
    let out = harbour(&db.url, &["directory", "import", &file_arg], "")?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("services/0 (Nameless): id must be a UUID"),
        "{}",
        text(&out)
    );
    std::fs::write(&file, "not json")?;
    let out = harbour(&db.url, &["directory", "import", &file_arg], "")?;
    assert!(!out.status.success());
    assert!(text(&out).contains("not JSON"), "{}", text(&out));

    let csv = dir.path().join("postcodes.csv");
    let csv_arg = csv.to_string_lossy().into_owned();
    std::fs::write(
        &csv,
        "pcds,oslaua,lat,long,doterm\nST16 2ZZ,E07000197,52.8,-2.1,\nBAD,E07000197,52.8,-2.1,\n",
    )?;
    let out = harbour(&db.url, &["postcodes", "import", &csv_arg], "")?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("Loaded 1 postcodes"), "{}", text(&out));
    assert!(
        text(&out).contains("line 3: not a postcode"),
        "{}",
        text(&out)
    );
    Ok(())
}

/// The shell that ran the tests or a benchmark has the project's own `HARBOUR_*` tooling
/// variables; Harbour still starts there, and names what it ignores.
#[tokio::test]
async fn tooling_variables_are_ignored_with_a_warning_that_names_them() -> R {
    let db = TestDb::new().await?;
    let dir = tempfile::tempdir()?;
    let out = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HARBOUR_DATABASE_URL", &db.url)
        .env(
            "HARBOUR_ENCRYPTION_KEY",
            harbour_storage::sealed::KeyEncryptionKey::development_base64(),
        )
        .env("HARBOUR_PG_URL", "postgres://harbour@127.0.0.1:1/postgres")
        .env("HARBOUR_LOG_FORMT", "json")
        .output()?;
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("HARBOUR_PG_URL"), "{said}");
    assert!(said.contains("did_you_mean=HARBOUR_LOG_FORMAT"), "{said}");
    Ok(())
}

#[tokio::test]
async fn demo_code_gives_a_demo_accounts_code_and_no_one_elses() -> R {
    let email = "administrator@demo.harbour.example";
    let out = harbour("sqlite::memory:", &["demo-code", email], "")?;
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let code = printed.split_whitespace().next().unwrap_or_default();
    let step = u64::try_from(chrono::Utc::now().timestamp())? / harbour_domain::two_factor::STEP;
    // The code for now (or the step just before, had it turned while the command ran).
    assert!(
        [step, step - 1]
            .iter()
            .any(|s| harbour_storage::demo::demo_code(email, *s) == code),
        "{printed}"
    );
    let out = harbour("sqlite::memory:", &["demo-code", "sam@police.example"], "")?;
    assert!(!out.status.success());
    assert!(text(&out).contains("not a demo account"));
    Ok(())
}
