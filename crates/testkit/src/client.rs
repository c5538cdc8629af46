//! An HTTP client that keeps cookies, does not follow redirects, and knows Harbour's forms.

use anyhow::{Result, bail};
use reqwest::{Response, StatusCode};

pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
}

/// The first CSRF token in a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl TestClient {
    pub fn new(base: &str) -> TestClient {
        TestClient {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Result<Response> {
        Ok(self.http.get(self.url(path)).send().await?)
    }

    pub async fn get_text(&self, path: &str) -> Result<(StatusCode, String)> {
        let r = self.get(path).await?;
        Ok((r.status(), r.text().await?))
    }

    /// Posts a form as given (no token added).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Result<Response> {
        Ok(self.http.post(self.url(path)).form(fields).send().await?)
    }

    /// Fetches `page` for its CSRF token, then posts `fields` with it to `path`.
    pub async fn submit(
        &self,
        page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Response> {
        let (_, html) = self.get_text(page).await?;
        let Some(token) = csrf_token(&html) else {
            bail!("no CSRF token on {page}");
        };
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<()> {
        let r = self
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", email), ("password", password)],
            )
            .await?;
        if r.status() != StatusCode::SEE_OTHER {
            bail!("sign-in as {email} failed with {}", r.status());
        }
        let to = location(&r);
        match to.as_str() {
            "/sign-in/code" => {
                let code = crate::authenticator::next_code(&self.base, email).await;
                let r = self
                    .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
                    .await?;
                if location(&r) != "/home" {
                    bail!("the code for {email} was refused ({})", r.status());
                }
            }
            "/sign-in/set-up" => {
                let (_, html) = self.get_text("/sign-in/set-up").await?;
                let Some(typed) = crate::authenticator::typed_secret(&html) else {
                    bail!("no key on the set-up page for {email}");
                };
                crate::authenticator::remember(&self.base, email, &typed)?;
                let code = crate::authenticator::next_code(&self.base, email).await;
                let r = self
                    .submit(
                        "/sign-in/set-up",
                        "/sign-in/set-up",
                        &[("code", &code), ("setting_up", "yes")],
                    )
                    .await?;
                if r.status() != StatusCode::OK {
                    bail!(
                        "setting up an authenticator for {email} failed ({})",
                        r.status()
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Where a redirect goes.
fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
