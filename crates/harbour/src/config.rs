//! Configuration: defaults, then a TOML file, then `HARBOUR_*` environment variables (the
//! environment wins). Any setting `x` can instead be read from a file named by `HARBOUR_X_FILE`,
//! so secrets can come from a mounted secret rather than the environment.

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `HARBOUR_*` environment variables that are not settings (the project's own tooling sets
    /// some, such as `HARBOUR_PG_URL`): ignored, each with the setting it may be a misspelling of.
    #[serde(skip)]
    pub ignored_variables: Vec<(String, Option<String>)>,
    /// Address and port to listen on.
    pub listen: String,
    /// Let agencies' webhooks go to this machine (loopback): for a system on the same host,
    /// and tests. Private and link-local addresses are never allowed.
    pub webhook_allow_loopback: bool,
    /// The secret key (hex) that signs audit checkpoints; empty: none can be made. Read it
    /// from a file with `HARBOUR_AUDIT_SIGNING_KEY_FILE`.
    pub audit_signing_key: String,
    /// The key-encryption key (32 bytes, base64, as `harbour keys new` prints) that wraps the
    /// data keys sealing the most sensitive fields. Read it from a file with
    /// `HARBOUR_ENCRYPTION_KEY_FILE`. Empty: the development key, which is public, and allowed
    /// only on SQLite (the demonstration); PostgreSQL needs a real one.
    pub encryption_key: String,
    /// The auditors' e-mail address (several, separated by commas): each day Harbour signs a
    /// checkpoint with `audit_signing_key` and sends it there. Empty: none is sent.
    pub audit_checkpoint_email: String,
    /// `sqlite:PATH` or `postgres://user:password@host/db`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_max_connections: u32,
    /// The address people use to reach Harbour; `https://…` marks cookies Secure and sends HSTS.
    pub public_url: String,
    /// Minutes without a request before a session ends.
    pub session_idle_minutes: i64,
    /// Hours after sign-in when a session ends, whatever happens.
    pub session_absolute_hours: i64,
    /// Failed sign-ins that lock an email address out.
    pub sign_in_max_failures: i64,
    /// Whether everyone signs in with a second factor, not only the roles that must
    /// (administrators, auditors, the data protection officer, partnership-wide readers).
    pub two_factor_for_everyone: bool,
    /// Minutes the lock-out lasts.
    pub sign_in_lockout_minutes: i64,
    /// Sign-in attempts allowed per client address per minute.
    pub sign_in_attempts_per_minute: u32,
    /// Self-referrals accepted per client address per hour.
    pub self_referrals_per_hour: u32,
    /// Requests to the open directory API allowed per client address per minute.
    pub open_data_requests_per_minute: u32,
    /// Where "Exit this page" sends people: a neutral website.
    pub quick_exit_url: String,
    /// In every report figure, counts from 1 to below this are shown as "<N" (and a second
    /// figure hidden with them so totals do not give them away).
    pub report_suppress_below: u64,
    /// `text` or `json`.
    pub log_format: String,
    /// Which log lines to write, as a tracing filter: `info`, `warn`, `harbour_web=debug` …
    pub log: String,
    /// Where staff e-mail goes: `smtp://host:port` (plain, for a relay on the same network),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://…` (TLS). Empty:
    /// e-mails wait in the queue until it is set.
    pub smtp_url: String,
    /// The sender of Harbour's e-mails.
    pub mail_from: String,
    /// Seconds a worker holds a job while delivering it; after that another may take it over.
    pub job_lease_seconds: i64,
    /// Milliseconds the worker waits when the queue is empty.
    pub job_poll_millis: u64,
}

// The URL can hold the database password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ignored_variables: Vec::new(),
            listen: "127.0.0.1:8080".into(),
            webhook_allow_loopback: false,
            audit_signing_key: String::new(),
            encryption_key: String::new(),
            audit_checkpoint_email: String::new(),
            database_url: "sqlite:data/harbour.db".into(),
            database_max_connections: 8,
            public_url: "http://127.0.0.1:8080".into(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            sign_in_max_failures: 5,
            two_factor_for_everyone: false,
            sign_in_lockout_minutes: 15,
            sign_in_attempts_per_minute: 20,
            self_referrals_per_hour: 10,
            open_data_requests_per_minute: 600,
            quick_exit_url: "https://www.bbc.co.uk/weather".into(),
            report_suppress_below: 5,
            log_format: "text".into(),
            log: "info,sqlx=warn".into(),
            smtp_url: String::new(),
            mail_from: "Harbour <harbour@localhost>".into(),
            job_lease_seconds: 120,
            job_poll_millis: 1000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Load(String),
    #[error("setting {setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
    #[error("setting {setting}: cannot read the file {path}: {source}")]
    SecretFile {
        setting: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

const FILE_SETTINGS: [&str; 4] = [
    "database_url",
    "smtp_url",
    "audit_signing_key",
    "encryption_key",
];

/// The settings' names, as the configuration file spells them.
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Config {
    /// Loads from `file` (if given, it must exist; otherwise `harbour.toml` if present) and
    /// the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    pub fn load_from(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError::Load(format!(
                    "the configuration file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("harbour.toml").exists() => {
                figment = figment.merge(Toml::file_exact("harbour.toml"));
            }
            None => {}
        }
        let settings = setting_names();
        type Pairs = Vec<(String, String)>;
        let (env, ignored): (Pairs, Pairs) = vars
            .iter()
            .filter(|(k, _)| {
                k.starts_with("HARBOUR_") && !k.ends_with("_FILE") && k != "HARBOUR_CONFIG"
            })
            .cloned()
            .partition(|(k, _)| {
                settings.contains(&k.trim_start_matches("HARBOUR_").to_lowercase())
            });
        // Values from the environment are text; figment converts them to the setting's type
        // and names the setting when it cannot.
        for (k, v) in &env {
            let key = k.trim_start_matches("HARBOUR_").to_lowercase();
            let value: figment::value::Value = v.parse().unwrap_or_else(|never| match never {});
            figment = figment.merge(Serialized::default(&key, value));
        }
        for setting in FILE_SETTINGS {
            let key = format!("HARBOUR_{}_FILE", setting.to_uppercase());
            if let Some((_, path)) = vars.iter().find(|(k, _)| *k == key) {
                let value =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                        setting: key.clone(),
                        path: PathBuf::from(path),
                        source,
                    })?;
                figment = figment.merge(Serialized::default(setting, value.trim().to_owned()));
            }
        }
        let mut config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe(&e)))?;
        config.check()?;
        config.ignored_variables = ignored
            .into_iter()
            .map(|(k, _)| {
                let name = k.trim_start_matches("HARBOUR_").to_lowercase();
                let near = settings
                    .iter()
                    .filter(|s| strsim::damerau_levenshtein(s, &name) <= 2)
                    .min_by_key(|s| strsim::damerau_levenshtein(s, &name))
                    .map(|s| format!("HARBOUR_{}", s.to_uppercase()));
                (k, near)
            })
            .collect();
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting, message: &str| {
            Err(ConfigError::Invalid {
                setting,
                message: message.to_owned(),
            })
        };
        if self.listen.parse::<SocketAddr>().is_err() {
            return invalid("listen", "give an address and port, such as 127.0.0.1:8080");
        }
        if harbour_storage::Backend::from_url(&self.database_url).is_none() {
            return invalid("database_url", "must start with sqlite: or postgres://");
        }
        if url::Url::parse(&self.public_url)
            .map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            return invalid(
                "public_url",
                "give the full address, such as https://harbour.example.org",
            );
        }
        if !self.smtp_url.is_empty()
            && url::Url::parse(&self.smtp_url)
                .map_or(true, |u| !matches!(u.scheme(), "smtp" | "smtps"))
        {
            return invalid(
                "smtp_url",
                "give the mail server as smtp://host:port or smtps://user:password@host",
            );
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return invalid(
                "mail_from",
                "give an address, such as Harbour <harbour@example.org>",
            );
        }
        if !(5..=3600).contains(&self.job_lease_seconds) {
            return invalid("job_lease_seconds", "must be between 5 and 3600");
        }
        if !(10..=60_000).contains(&self.job_poll_millis) {
            return invalid("job_poll_millis", "must be between 10 and 60000");
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return invalid("session_idle_minutes", "must be between 1 and 1440");
        }
        if !(1..=72).contains(&self.session_absolute_hours) {
            return invalid("session_absolute_hours", "must be between 1 and 72");
        }
        if !(1..=100).contains(&self.sign_in_max_failures) {
            return invalid("sign_in_max_failures", "must be between 1 and 100");
        }
        if !(1..=24 * 60).contains(&self.sign_in_lockout_minutes) {
            return invalid("sign_in_lockout_minutes", "must be between 1 and 1440");
        }
        if !(1..=10_000).contains(&self.sign_in_attempts_per_minute) {
            return invalid("sign_in_attempts_per_minute", "must be between 1 and 10000");
        }
        if url::Url::parse(&self.quick_exit_url)
            .map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            return invalid(
                "quick_exit_url",
                "give the full address of a neutral website, such as https://www.bbc.co.uk/weather",
            );
        }
        if !(2..=100).contains(&self.report_suppress_below) {
            return invalid("report_suppress_below", "must be between 2 and 100");
        }
        if !(1..=10_000).contains(&self.self_referrals_per_hour) {
            return invalid("self_referrals_per_hour", "must be between 1 and 10000");
        }
        if !(1..=1000).contains(&self.database_max_connections) {
            return invalid("database_max_connections", "must be between 1 and 1000");
        }
        if !self.audit_signing_key.is_empty()
            && harbour_domain::audit_checkpoint::signing_key(&self.audit_signing_key).is_err()
        {
            return invalid(
                "audit_signing_key",
                "give 64 hexadecimal characters, as harbour audit new-key prints",
            );
        }
        if let Some(Err(e)) = (!self.encryption_key.is_empty())
            .then(|| harbour_storage::sealed::KeyEncryptionKey::from_base64(&self.encryption_key))
        {
            return invalid("encryption_key", &e.to_string());
        }
        if !self.audit_checkpoint_email.is_empty() {
            if self.audit_signing_key.is_empty() {
                return invalid(
                    "audit_checkpoint_email",
                    "needs audit_signing_key, the key that signs the checkpoints",
                );
            }
            if self
                .auditors()
                .iter()
                .any(|a| a.parse::<lettre::Address>().is_err())
            {
                return invalid(
                    "audit_checkpoint_email",
                    "give e-mail addresses, separated by commas",
                );
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return invalid("log_format", "must be text or json");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return invalid(
                "log",
                "must be a log filter such as info or warn,harbour_web=debug",
            );
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// The addresses `audit_checkpoint_email` gives.
    fn auditors(&self) -> Vec<String> {
        self.audit_checkpoint_email
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn worker(&self) -> harbour_jobs::WorkerConfig {
        let audit_checkpoints =
            harbour_domain::audit_checkpoint::signing_key(&self.audit_signing_key)
                .ok()
                .filter(|_| !self.auditors().is_empty())
                .map(|key| harbour_jobs::AuditCheckpoints {
                    key,
                    to: self.auditors(),
                });
        harbour_jobs::WorkerConfig {
            audit_checkpoints,
            quarterly_reports: true,
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            smtp_url: self.smtp_url.clone(),
            mail_from: self.mail_from.clone(),
            lease: chrono::Duration::seconds(self.job_lease_seconds),
            poll: std::time::Duration::from_millis(self.job_poll_millis),
            webhook_allow_loopback: self.webhook_allow_loopback,
        }
    }

    pub fn web(&self) -> harbour_web::WebConfig {
        let minutes = chrono::Duration::minutes;
        harbour_web::WebConfig {
            secure_cookies: self.public_url.starts_with("https://"),
            sign_in: harbour_storage::auth::SignInPolicy {
                max_failures: self.sign_in_max_failures,
                window: minutes(self.sign_in_lockout_minutes),
                lockout: minutes(self.sign_in_lockout_minutes),
                idle_timeout: minutes(self.session_idle_minutes),
                absolute_timeout: minutes(self.session_absolute_hours * 60),
                two_factor_for_everyone: self.two_factor_for_everyone,
            },
            sign_in_attempts_per_minute: self.sign_in_attempts_per_minute,
            self_referrals_per_hour: self.self_referrals_per_hour,
            open_data_requests_per_minute: self.open_data_requests_per_minute,
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            quick_exit_url: self.quick_exit_url.clone(),
            webhook_allow_loopback: self.webhook_allow_loopback,
            report_suppress_below: self.report_suppress_below,
            ..harbour_web::WebConfig::default()
        }
    }
}

/// Figment's message names the setting and what was wrong with it; say which source too.
fn describe(e: &figment::Error) -> String {
    e.clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let kind = e.kind.to_string();
            if key.is_empty() {
                kind
            } else {
                format!("setting {key}: {kind}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_safe() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_from(Some(&write(&dir, "")), vars(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite:"));
        assert!(!c.web().secure_cookies);
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let p = dir.path().join("harbour.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn the_auditors_checkpoint_email_needs_a_key_and_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let load = |v: &[(&str, &str)]| Config::load_from(Some(&write(&dir, "")), vars(v));
        let to = ("HARBOUR_AUDIT_CHECKPOINT_EMAIL", "audit@a.test, dpo@b.test");
        let err = load(&[to]).unwrap_err().to_string();
        assert!(err.contains("needs audit_signing_key"), "{err}");
        let key = ("HARBOUR_AUDIT_SIGNING_KEY", "07".repeat(32));
        let c = load(&[to, (key.0, &key.1)]).unwrap();
        let worker = c.worker().audit_checkpoints.expect("checkpoints sent");
        assert_eq!(worker.to, ["audit@a.test", "dpo@b.test"]);
        let err = load(&[
            ("HARBOUR_AUDIT_CHECKPOINT_EMAIL", "not an address"),
            (key.0, &key.1),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("give e-mail addresses"), "{err}");
        assert!(load(&[]).unwrap().worker().audit_checkpoints.is_none());
    }

    #[test]
    fn the_encryption_key_is_checked_and_may_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let load = |v: &[(&str, &str)]| Config::load_from(Some(&write(&dir, "")), vars(v));
        let err = load(&[("HARBOUR_ENCRYPTION_KEY", "c2hvcnQ=")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("encryption_key") && err.contains("not 32"),
            "{err}"
        );
        let err = load(&[("HARBOUR_ENCRYPTION_KEY", "not base64!")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("encryption_key") && err.contains("base64"),
            "{err}"
        );
        let key = harbour_storage::sealed::KeyEncryptionKey::generate();
        let file = dir.path().join("key");
        std::fs::write(&file, format!("{key}\n")).unwrap();
        let c = load(&[("HARBOUR_ENCRYPTION_KEY_FILE", &file.to_string_lossy())]).unwrap();
        assert_eq!(c.encryption_key, key);
    }

    #[test]
    fn environment_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            &dir,
            "listen = \"127.0.0.1:9000\"\nsession_idle_minutes = 10\n",
        );
        let c =
            Config::load_from(Some(&file), vars(&[("HARBOUR_LISTEN", "0.0.0.0:9100")])).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9100");
        assert_eq!(c.session_idle_minutes, 10);
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://h:pw@localhost/h\n").unwrap();
        let c = Config::load_from(
            Some(&write(&dir, "")),
            vars(&[("HARBOUR_DATABASE_URL_FILE", secret.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://h:pw@localhost/h");
        assert!(!format!("{c:?}").contains("pw"));
    }

    #[test]
    fn variables_that_are_not_settings_are_ignored_and_misspellings_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_from(
            Some(&write(&dir, "")),
            vars(&[
                ("HARBOUR_PG_URL", "postgres://harbour@127.0.0.1:5/postgres"),
                ("HARBOUR_BENCH_CLIENTS", "32"),
                ("HARBOUR_LISTNE", "0.0.0.0:1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        let mut ignored = c.ignored_variables.clone();
        ignored.sort();
        assert_eq!(
            ignored,
            vec![
                ("HARBOUR_BENCH_CLIENTS".to_owned(), None),
                (
                    "HARBOUR_LISTNE".to_owned(),
                    Some("HARBOUR_LISTEN".to_owned())
                ),
                ("HARBOUR_PG_URL".to_owned(), None),
            ]
        );
    }

    #[test]
    fn errors_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(&dir, "");
        let err = |pairs: &[(&str, &str)]| {
            Config::load_from(Some(&f), vars(pairs))
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[("HARBOUR_LISTEN", "nowhere")]).contains("setting listen"));
        assert!(err(&[("HARBOUR_DATABASE_URL", "mysql://x")]).contains("setting database_url"));
        assert!(err(&[("HARBOUR_SESSION_IDLE_MINUTES", "soon")]).contains("session_idle_minutes"));
        assert!(
            err(&[("HARBOUR_DATABASE_URL_FILE", "/no/such/file")])
                .contains("HARBOUR_DATABASE_URL_FILE")
        );
        let bad_file = write(&dir, "listen = 5\nunknown_thing = 1\n");
        let e = Config::load_from(Some(&bad_file), vars(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("listen") || e.contains("unknown_thing"), "{e}");
        let missing =
            Config::load_from(Some(Path::new("/no/harbour.toml")), vars(&[])).unwrap_err();
        assert!(missing.to_string().contains("does not exist"));
    }
}
