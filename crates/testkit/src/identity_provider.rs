//! A real OpenID Connect identity provider for the tests: the certified `oidc-provider` package
//! from npm (installed once under `target/tools/oidc`), run with the machine's Node.js from
//! `oidc/provider.mjs`. It stands in for an agency's Microsoft Entra ID; its development
//! sign-in pages take any name (see the script for how the name becomes the e-mail claim).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The version the tests pin.
const PACKAGE: &str = "oidc-provider@8.8.1";

pub struct IdentityProvider {
    /// The issuer, as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    _child: Child,
}

fn tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/oidc")
}

static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Installs the package from npm, once per test process and once per checkout.
async fn install() -> Result<()> {
    INSTALLED
        .get_or_try_init(|| async {
            let dir = tools();
            std::fs::create_dir_all(&dir)?;
            // An ES module finds its packages beside it, so the script runs from the tools
            // folder: copied once per process, whole (written aside, then renamed), so no
            // provider starting at the same time reads half of it.
            let aside = dir.join(format!("provider.{}.mjs", std::process::id()));
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc/provider.mjs"),
                &aside,
            )?;
            std::fs::rename(&aside, dir.join("provider.mjs"))?;
            if dir.join("node_modules/oidc-provider/package.json").exists() {
                return Ok(());
            }
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(PACKAGE)
                .stdout(Stdio::null())
                .status()
                .await
                .context("running npm (the README's test command installs Node.js and npm)")?;
            if !status.success() {
                bail!("npm install {PACKAGE} failed");
            }
            Ok(())
        })
        .await
        .map(|_| ())
}

impl IdentityProvider {
    /// Starts a provider with one client, whose sign-ins return to `redirect_uri`. A port
    /// picked free can be taken before the provider listens on it, so it tries three times.
    pub async fn start(redirect_uri: &str) -> Result<IdentityProvider> {
        install().await?;
        let mut last = None;
        for _ in 0..3 {
            match Self::start_once(redirect_uri).await {
                Ok(idp) => return Ok(idp),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("the identity provider did not start")))
    }

    async fn start_once(redirect_uri: &str) -> Result<IdentityProvider> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let script = tools().join("provider.mjs");
        let client_id = "harbour-tests".to_owned();
        let client_secret = uuid::Uuid::new_v4().to_string();
        let mut child = Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .arg(&client_id)
            .arg(&client_secret)
            .arg(redirect_uri)
            .current_dir(tools())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting Node.js (the README's test command installs it)")?;
        let stdout = child.stdout.take().context("the provider's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if line.trim() == "ready" {
                    return Ok::<bool, std::io::Error>(true);
                }
            }
            Ok(false)
        })
        .await;
        if !matches!(ready, Ok(Ok(true))) {
            bail!("the identity provider did not start");
        }
        // Keep reading what it says: a closed pipe would end it at its next notice.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(IdentityProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id,
            client_secret,
            _child: child,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::IdentityProvider;

    #[tokio::test]
    async fn the_provider_starts_and_publishes_its_discovery_document() -> anyhow::Result<()> {
        let idp = IdentityProvider::start("http://127.0.0.1:9/sign-in/sso/callback").await?;
        let doc: serde_json::Value =
            reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
                .await?
                .json()
                .await?;
        assert_eq!(doc["issuer"], idp.issuer.as_str());
        assert!(doc["authorization_endpoint"].is_string());
        assert!(doc["jwks_uri"].is_string());
        Ok(())
    }
}
