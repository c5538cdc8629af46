//! Headless Chromium driven through chromedriver (WebDriver), and axe-core for accessibility.
//! The test command installs Debian's chromium and chromium-driver.

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// axe-core 4.14, from npm, committed so tests need no network.
const AXE: &str = include_str!("../vendor/axe.min.js");

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Browser {
    pub async fn start() -> Result<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port()?;
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {driver_path}: install chromium-driver (the README's test command does)"))?;
        let profile = tempfile::tempdir()?;
        let chrome = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1024",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities")
        };
        let mut last_err = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    return Ok(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        bail!("chromedriver did not start: {last_err:?}")
    }

    /// Runs axe-core on the current page; returns the serious and critical violations.
    pub async fn axe_violations(&self) -> Result<Vec<String>> {
        self.client.execute(AXE, vec![]).await?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }))))
                   .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await?;
        let mut out = Vec::new();
        for v in result.as_array().cloned().unwrap_or_default() {
            let impact = v["impact"].as_str().unwrap_or("");
            if impact == "serious" || impact == "critical" {
                out.push(format!(
                    "{} ({impact}): {} at {}",
                    v["id"], v["help"], v["nodes"]
                ));
            }
        }
        Ok(out)
    }

    pub async fn close(mut self) -> Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
