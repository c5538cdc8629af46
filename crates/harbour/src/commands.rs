//! What each subcommand does.

use crate::cli::{
    AreasCommand, AuditCommand, Cli, Command, DirectoryCommand, ImportCommand, InstrumentCommand,
    KeysCommand, PeopleCommand, PostcodesCommand, UserCommand,
};
use crate::config::Config;
use anyhow::{Context, Result, bail};
use harbour_domain::user::UserInput;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::demo::{DEMO_PASSWORD, demo_sign_ins, load_demo};
use harbour_storage::sealed::KeyEncryptionKey;
use harbour_storage::{Db, StorageError, agencies, areas, users};
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    init_logging(&config);
    // Not an error: the project's own scripts export HARBOUR_PG_URL and HARBOUR_BENCH_*, and
    // Harbour must still start in the shell that ran them. A likely misspelling is named.
    for (variable, near) in &config.ignored_variables {
        match near {
            Some(setting) => tracing::warn!(
                %variable, did_you_mean = %setting,
                "an environment variable that is not a Harbour setting is ignored"
            ),
            None => tracing::warn!(
                %variable,
                "an environment variable that is not a Harbour setting is ignored"
            ),
        }
    }
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::DemoCode { email } => {
            let email = email.trim().to_lowercase();
            if !harbour_storage::demo::is_demo_address(&email) {
                anyhow::bail!(
                    "demo-code: {email:?} is not a demo account; real accounts' codes come only from their owner's authenticator app"
                );
            }
            let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
            let step = harbour_domain::two_factor::STEP;
            say(&format!(
                "{} (good for {} more seconds; each code works once)",
                harbour_storage::demo::demo_code(&email, now / step),
                step - now % step
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = open(&config).await?;
            say(&format!(
                "Database is up to date ({}).",
                db.backend().name()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { referrals } => {
            let db = open(&config).await?;
            demo_command(&db).await?;
            if referrals > 0 {
                let made = harbour_storage::demo::load_demo_referrals(&db, referrals).await?;
                say(&format!("Added {made} synthetic referrals."));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command: ImportCommand::Referrals { file, agency },
        } => {
            let db = open(&config).await?;
            import_referrals(&db, &file, &agency).await
        }
        Command::Instrument {
            command: InstrumentCommand::Import { file },
        } => {
            let db = open(&config).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            // An outcome tool's file says so (kind = "outcome"); anything else is a risk
            // instrument.
            if harbour_domain::outcome::is_outcome_tool(&text) {
                let tool = harbour_storage::cases::import_outcome_tool(&db, &text)
                    .await
                    .map_err(explain)?;
                say(&format!(
                    "Loaded {} version {} ({} areas); new outcome readings use it.",
                    tool.title,
                    tool.version,
                    tool.areas.len()
                ));
                return Ok(ExitCode::SUCCESS);
            }
            let instrument = harbour_storage::triage::import_instrument(&db, &text)
                .await
                .map_err(explain)?;
            say(&format!(
                "Loaded {} version {} ({} items); triage now uses it.",
                instrument.title,
                instrument.version,
                instrument.items.len()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    agency,
                    roles,
                },
        } => {
            let db = open(&config).await?;
            user_add(&db, email, name, agency, roles).await
        }
        Command::Audit { command } => audit_command(&config, command).await,
        Command::Keys { command } => keys_command(&config, command).await,
        Command::Areas {
            command: AreasCommand::Import { file },
        } => {
            let db = open(&config).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = areas::parse_areas_csv(&text).map_err(explain)?;
            let n = areas::import_areas(&db, parsed).await?;
            say(&format!("Imported {n} areas."));
            Ok(ExitCode::SUCCESS)
        }
        Command::Directory { command } => {
            let db = open(&config).await?;
            directory_command(&db, command).await
        }
        Command::Postcodes {
            command: PostcodesCommand::Import { file },
        } => {
            let db = open(&config).await?;
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let started = std::time::Instant::now();
            let (layout, report) =
                harbour_storage::postcodes::import_postcodes(&db, std::io::BufReader::new(reader))
                    .await
                    .map_err(explain)?;
            let seconds = started.elapsed().as_secs_f64();
            say(&format!(
                "Loaded {} postcodes ({layout:?} layout) in {seconds:.1} s ({:.0} a second); left out {} terminated or without a point; rejected {}.",
                report.loaded,
                report.loaded as f64 / seconds.max(0.001),
                report.skipped,
                report.rejected_count
            ));
            for (line, why) in &report.rejected {
                say(&format!("  line {line}: {why}"));
            }
            Ok(if report.rejected_count == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::People {
            command:
                PeopleCommand::Link {
                    files,
                    id,
                    map,
                    pairs,
                    clusters,
                    threshold,
                    floor,
                    against_database,
                },
        } => {
            let stored = if against_database {
                let db = open(&config).await?;
                Some(harbour_storage::recognition::model::stored_records(&db).await?)
            } else {
                None
            };
            crate::people::link_files(&crate::people::LinkFiles {
                files,
                id,
                map,
                pairs,
                clusters,
                threshold,
                floor,
                stored,
            })
        }
        Command::People {
            command: PeopleCommand::Train,
        } => {
            let db = open(&config).await?;
            let trained = harbour_storage::recognition::train(&db, None)
                .await
                .map_err(explain)?;
            let s = &trained.summary;
            say(&format!(
                "Trained model version {} on {} referrals in {:.1} s ({} pairs blocked, {} random pairs for u; one pair in {:.0} is the same person).",
                trained.version,
                s.records,
                s.seconds,
                s.blocked_pairs,
                s.u_pairs,
                1.0 / s.prior
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::People {
            command: PeopleCommand::Dedupe { dry_run },
        } => {
            let db = open(&config).await?;
            let r = harbour_storage::recognition::dedupe::dedupe(&db, dry_run)
                .await
                .map_err(explain)?;
            say(&format!(
                "Compared {} pairs of the {} referrals' records ({} people) in {:.1} s.",
                r.compared, r.referrals, r.people, r.seconds
            ));
            say(&format!(
                "Pairs of people likely the same: {}; possibly the same: {}; already proposed or judged different: {}.",
                r.likely_same, r.possible, r.already_known
            ));
            say(&if dry_run {
                format!(
                    "Dry run: nothing proposed ({} would go to the hub's possible matches).",
                    r.likely_same + r.possible - r.already_known
                )
            } else {
                format!("Proposed {} possible matches to the hub.", r.proposed)
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::People {
            command: PeopleCommand::Settings { link, possible },
        } => {
            let db = open(&config).await?;
            if let (Some(link), Some(possible)) = (link, possible) {
                harbour_storage::recognition::model::set_thresholds(
                    &db,
                    harbour_domain::linkage::known::Thresholds { link, possible },
                    None,
                )
                .await
                .map_err(explain)?;
            }
            let t = harbour_storage::recognition::model::thresholds(&db).await?;
            say(&format!(
                "Link at a match probability of {} or more; a possible match for the hub from {}.",
                t.link, t.possible
            ));
            for m in harbour_storage::recognition::model::models(&db).await? {
                say(&format!(
                    "Model version {}: trained {} on {} referrals.",
                    m.version,
                    m.trained_at.format("%-d %B %Y %H:%M UTC"),
                    m.summary.records
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn system_loader(label: String) -> harbour_storage::directory::Loader {
    harbour_storage::directory::Loader {
        user_id: None,
        agency_id: None,
        label,
        request_id: harbour_storage::db::new_id(),
    }
}

async fn directory_command(db: &Db, command: DirectoryCommand) -> Result<ExitCode> {
    use harbour_storage::directory::{self, View};
    match command {
        DirectoryCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let export = directory::parse_file(&text).map_err(explain)?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let report =
                directory::import(db, &export, &system_loader(format!("import of {name}")))
                    .await
                    .map_err(explain)?;
            say(&format!(
                "{} services created, {} updated, {} rejected.",
                report.created,
                report.updated,
                report.rejected.len()
            ));
            for (i, service, why) in &report.rejected {
                say(&format!("  services/{i} ({service}): {why}"));
            }
            Ok(if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        DirectoryCommand::Export { public, output } => {
            let view = if public { View::Public } else { View::Partner };
            let export =
                directory::export(db, view, &system_loader("harbour directory export".into()))
                    .await?;
            let json = serde_json::to_string_pretty(&export)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, json)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    say(&format!(
                        "Wrote {} services to {}.",
                        export.services.len(),
                        path.display()
                    ));
                }
                None => say(&json),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log);
    // Colours only for a person at a terminal, not in a log file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Prints a line for the person at the terminal.
#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}

async fn open(config: &Config) -> Result<Db> {
    let key = key_encryption_key(config)?;
    let db = Db::connect(&config.database_url, config.database_max_connections)
        .await
        .context("setting database_url")?
        .with_key_encryption_key(key);
    harbour_storage::schema::prepare(&db)
        .await
        .context("opening the database")?;
    Ok(db)
}

/// The key-encryption key from the `encryption_key` setting; without one, the development
/// key, on SQLite only (PostgreSQL is where real data lives).
fn key_encryption_key(config: &Config) -> Result<KeyEncryptionKey> {
    if !config.encryption_key.is_empty() {
        return KeyEncryptionKey::from_base64(&config.encryption_key)
            .map_err(|e| anyhow::anyhow!("setting encryption_key {e}"));
    }
    if harbour_storage::Backend::from_url(&config.database_url)
        == Some(harbour_storage::Backend::Postgres)
    {
        bail!(
            "setting encryption_key: a PostgreSQL database needs a key-encryption key; make one with \
             harbour keys new and give it in HARBOUR_ENCRYPTION_KEY_FILE"
        );
    }
    tracing::warn!(
        "encryption_key is not set: sensitive fields are sealed with the development key, which \
         is public; set one (harbour keys new) before any real data"
    );
    Ok(KeyEncryptionKey::development())
}

async fn keys_command(config: &Config, command: KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::New => {
            say(&format!(
                "A new key-encryption key (the encryption_key setting; keep it out of the \
                 database's reach, and keep a copy: without it the sealed fields cannot be read):\n  {}",
                KeyEncryptionKey::generate()
            ));
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { new_key_file } => {
            let text = std::fs::read_to_string(&new_key_file)
                .with_context(|| format!("cannot read {}", new_key_file.display()))?;
            let to = KeyEncryptionKey::from_base64(&text)
                .map_err(|e| anyhow::anyhow!("the new key in {} {e}", new_key_file.display()))?;
            let from = key_encryption_key(config)?;
            let db = open(config).await?;
            let n = harbour_storage::sealed::rotate(&db, &from, &to).await?;
            say(&format!(
                "Re-wrapped {n} data keys under key {} (they were under key {}). A running Harbour \
                 carries on; set encryption_key to the new key before it next starts.",
                to.id(),
                from.id()
            ));
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Turns field errors into one readable line.
fn explain(e: StorageError) -> anyhow::Error {
    match e {
        StorageError::Invalid(errors) => anyhow::anyhow!("{errors}"),
        other => other.into(),
    }
}

async fn demo_command(db: &Db) -> Result<()> {
    if load_demo(db).await? {
        say("Loaded the demo partnership.");
    } else {
        say("The database already has agencies; the demo was not loaded again.");
    }
    Ok(())
}

async fn serve(config: Config, demo: bool) -> Result<ExitCode> {
    let db = open(&config).await?;
    if demo {
        let loaded = load_demo(&db).await?;
        if loaded {
            let made = harbour_storage::demo::load_demo_referrals(&db, DEMO_REFERRALS).await?;
            let onward = harbour_storage::demo::load_demo_onward(&db).await?;
            let marac = harbour_storage::demo::marac::load_demo_marac_work(&db).await?;
            say(&format!(
                "Loaded the demo partnership and {made} synthetic referrals, {onward} of them referred on to New Era and {marac} to MARAC."
            ));
            let (subscribers, alerts) =
                harbour_storage::demo::alerts::load_demo_alerts(&db).await?;
            say(&format!(
                "Loaded {subscribers} synthetic community alerts subscribers and {alerts} alert messages (one updated, one cancelled)."
            ));
            let (old, requests) =
                harbour_storage::demo::governance::load_demo_governance(&db).await?;
            say(&format!(
                "Moved {old} closed cases back to 2019, so tonight's retention run finds them due, and recorded {requests} requests from people for the data protection officer."
            ));
            if let Some(trained) = harbour_storage::recognition::ready(&db).await? {
                let repeats =
                    harbour_storage::demo::recognition::load_demo_recognition(&db).await?;
                say(&format!(
                    "Trained person recognition on them (model version {}); {repeats} more referrals of people already known, some for the hub to check.",
                    trained.version
                ));
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen_addr())
        .await
        .with_context(|| format!("setting listen: cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    say(&format!(
        "Harbour is running on {} at http://{addr}/",
        db.backend().name()
    ));
    if demo {
        say(&format!(
            "Demo sign-ins (every password is {DEMO_PASSWORD}):"
        ));
        for s in demo_sign_ins() {
            say(&format!(
                "  {:<20} {:<42} {}{}",
                s.role.label(),
                s.email,
                s.agency,
                if harbour_domain::two_factor::required(&[s.role], false) {
                    " (needs a code)"
                } else {
                    ""
                }
            ));
        }
        say("Accounts marked \"needs a code\" sign in with two factors: for the code, run");
        say("  harbour demo-code EMAIL");
    }
    let web = config.web();
    let purge = harbour_jobs::tidy::spawn_session_purge(db.clone(), web.sign_in);
    let worker = harbour_jobs::Worker::new(db.clone(), config.worker())?.spawn();
    harbour_web::serve(listener, db.clone(), web, shutdown_signal()).await?;
    worker.abort();
    purge.abort();
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn audit_command(config: &Config, command: AuditCommand) -> Result<ExitCode> {
    use harbour_domain::audit_checkpoint::{self, Checkpoint};
    use harbour_storage::audit_guard::{self, AgainstCheckpoint};
    let key = || {
        if config.audit_signing_key.is_empty() {
            bail!("setting audit_signing_key: set it to a key made by harbour audit new-key");
        }
        Ok(audit_checkpoint::signing_key(&config.audit_signing_key)?)
    };
    let report = |v: Verification| match v {
        Verification::Intact { entries } => {
            say(&format!(
                "Audit trail intact: {entries} entries, hash chain and head agree."
            ));
            ExitCode::SUCCESS
        }
        Verification::Broken(b) => {
            say(&format!("AUDIT TRAIL BROKEN: {b}."));
            ExitCode::FAILURE
        }
    };
    match command {
        AuditCommand::NewKey => {
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
            let (secret, public) = audit_checkpoint::new_key(seed);
            say(&format!(
                "Secret key (the audit_signing_key setting; keep it out of the database's reach):\n  {secret}\nPublic key (give it to the auditors, to check checkpoints):\n  {public}"
            ));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint { output } => {
            let key = key()?;
            let db = open(config).await?;
            let cp = audit_guard::checkpoint(&db, &key).await?;
            let json = serde_json::to_string_pretty(&cp)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, json + "\n")
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    say(&format!(
                        "Checkpoint of entry {} written to {}. Keep it where the database's administrators cannot change it.",
                        cp.seq,
                        path.display()
                    ));
                }
                None => say(&json),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            checkpoint: None, ..
        } => {
            let db = open(config).await?;
            Ok(report(verify_log(&db).await?))
        }
        AuditCommand::Verify {
            checkpoint: Some(path),
            public_key,
        } => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let cp: Checkpoint = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a checkpoint", path.display()))?;
            let trusted = match public_key {
                Some(hex) => audit_checkpoint::verifying_key(&hex)?,
                None => key()?.verifying_key(),
            };
            let db = open(config).await?;
            match audit_guard::verify_against(&db, &cp, &trusted).await? {
                AgainstCheckpoint::Untrusted(why) => {
                    say(&format!("CHECKPOINT NOT TRUSTED: {why}."));
                    Ok(ExitCode::FAILURE)
                }
                AgainstCheckpoint::Pruned { kept_from } => {
                    say(&format!(
                        "The retention schedule has removed the entries before entry {kept_from}, \
                         a later signed checkpoint's, from which the trail is now checked; entry {} \
                         went with them. Check against a checkpoint from entry {kept_from} on.",
                        cp.seq
                    ));
                    Ok(ExitCode::FAILURE)
                }
                AgainstCheckpoint::Checked(v) => {
                    let code = report(v);
                    if code == ExitCode::SUCCESS {
                        say(&format!(
                            "The trail still holds entry {} as the checkpoint of {} recorded it.",
                            cp.seq, cp.at
                        ));
                    }
                    Ok(code)
                }
            }
        }
    }
}

/// Enough synthetic referrals for the demo's queue and lists to look like a working day.
const DEMO_REFERRALS: u64 = 600;

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

async fn agency_named(db: &Db, name: &str) -> Result<harbour_domain::agency::Agency> {
    let all = agencies::list_all(db).await?;
    match all
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name.trim()))
    {
        Some(a) => Ok(a.clone()),
        None => {
            let names: Vec<_> = all.iter().map(|a| a.name.as_str()).collect();
            bail!(
                "--agency: no agency is called {name:?}. Agencies: {}",
                if names.is_empty() {
                    "none yet (run harbour demo, or add one)".to_owned()
                } else {
                    names.join(", ")
                }
            )
        }
    }
}

async fn import_referrals(db: &Db, file: &std::path::Path, agency: &str) -> Result<ExitCode> {
    use harbour_storage::bulk::LineOutcome;
    let agency = agency_named(db, agency).await?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    // The command acts for the agency, as its records system would through the API.
    let store = std::sync::Arc::new(harbour_storage::ScopedStore::new(
        db.clone(),
        harbour_storage::Actor {
            user_id: None,
            agency_id: agency.id.clone(),
            roles: vec![harbour_domain::role::Role::Integration],
            request_id: harbour_storage::db::new_id(),
            token_id: None,
        },
    ));
    let report = harbour_storage::bulk::import_referrals(store, &text)
        .await
        .map_err(explain)?;
    for l in &report.lines {
        let what = match &l.outcome {
            LineOutcome::Created { reference } => format!("created {reference}"),
            LineOutcome::AlreadyImported { reference } => {
                format!("already imported as {reference}")
            }
            LineOutcome::Rejected { reason } => format!("REJECTED: {reason}"),
        };
        say(&format!("line {} (record {}): {what}", l.line, l.record_id));
    }
    say(&format!(
        "{} created, {} already imported, {} rejected.",
        report.created, report.already_imported, report.rejected
    ));
    Ok(if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn user_add(
    db: &Db,
    email: String,
    name: String,
    agency: String,
    roles: Vec<String>,
) -> Result<ExitCode> {
    let found = agency_named(db, &agency).await?;
    eprint!("Password for the new account (at least 12 characters), then Enter: ");
    std::io::stderr().flush().ok();
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password")?;
    let input = UserInput {
        display_name: name,
        email,
        agency_id: found.id.to_string(),
        roles,
        password: password.trim_end_matches(['\r', '\n']).to_owned(),
    };
    let id = users::create_as_system(db, &input, "harbour user add (command line)")
        .await
        .map_err(explain)?;
    eprintln!();
    say(&format!("Added person {id} to {}.", found.name));
    Ok(ExitCode::SUCCESS)
}
