//! Schemathesis (from PyPI, in a virtual environment this test makes under `target/tools`) runs
//! every check it has over both API documents against a server with the demo partnership, on
//! both databases: no server error, every status, header, content type and body as documented,
//! data the document allows accepted and data it forbids refused.

use harbour_testkit::TestApp;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

type R = anyhow::Result<()>;

const VERSION: &str = "4.32.5";

/// The schemathesis command, installed once per machine into a folder the test suite owns.
fn schemathesis() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/schemathesis");
        let stamp = venv.join(format!("installed-{VERSION}"));
        let bin = venv.join("bin/schemathesis");
        if !stamp.exists() {
            let made = Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv)
                .status()
                .expect("python3 runs");
            assert!(made.success(), "python3 -m venv failed");
            let pip = Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("schemathesis=={VERSION}"))
                .status()
                .expect("pip runs");
            assert!(pip.success(), "installing schemathesis from PyPI failed");
            std::fs::write(&stamp, VERSION).expect("stamp written");
        }
        bin
    })
}

/// Runs schemathesis over the document of the API at `base`, with `token` for its bearer
/// authentication if it has one, and fails with its report if any check fails.
async fn run(app: &TestApp, base: &str, token: Option<&str>) -> R {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/schemathesis");
    // A fresh folder for each run, so that no failure cached by an earlier run is replayed.
    let work = tempfile::tempdir()?;
    let mut cmd = Command::new(schemathesis());
    if token.is_some() {
        cmd.arg("--config-file").arg(here.join("schemathesis.toml"));
    }
    cmd.arg("run")
        .arg(format!("{}{base}/openapi.json", app.url))
        .args(["--url", &format!("{}{base}", app.url)])
        .args(["--checks", "all"])
        .args(["--max-examples", "25"])
        .arg("--generation-deterministic")
        .args(["--suppress-health-check", "all"])
        .arg("--no-color")
        .current_dir(work.path())
        .env("SCHEMATHESIS_HOOKS", here.join("hooks.py"))
        .env("HARBOUR_API_TOKEN", token.unwrap_or_default());
    let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures in {base}:\n{report}"
    );
    // The summary (operations, phases, cases generated) for the log of a passing run.
    eprintln!("{report}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_referral_api_does_what_its_document_says() -> R {
    let app = TestApp::spawn().await?;
    for agency in ["Staffordshire Police", "New Era"] {
        let token = app.api_token(agency).await?;
        run(&app, "/api/v1", Some(&token)).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_open_directory_api_does_what_its_document_says() -> R {
    let app = TestApp::spawn().await?;
    run(&app, "/oruk/v3", None).await
}
