//! The open directory API (Open Referral UK 3.0) over the demo directory: every endpoint,
//! every filter, paging edges, unknown ids, bad parameters, schema validation of every
//! response, and the confidential canary. Runs on SQLite and PostgreSQL.

use harbour_domain::directory::HarbourTaxonomy;
use harbour_testkit::TestApp;
use harbour_testkit::oruk::{Schemas, Shape};
use reqwest::StatusCode;
use serde_json::{Value, json};

type R = anyhow::Result<()>;

const BASE: &str = "/oruk/v3";
/// Demo services in all.
const ALL: u64 = 18;

/// What must never leave Harbour through the open API: the refuge's address, postcode, point
/// and office line, the professionals' referral lines and the named duty contacts.
const CONFIDENTIAL: &[&str] = &[
    "Larkspur",
    "ST16 9ZZ",
    "52.8105",
    "-2.1052",
    "01785 990 417",
    "Professionals' referral line",
    "Duty manager",
    "duty.",
    "referrals.",
    "x_harbour",
];

struct Open {
    http: reqwest::Client,
    base: String,
    schemas: Schemas,
}

impl Open {
    fn new(app: &TestApp) -> Open {
        Open {
            http: reqwest::Client::new(),
            base: format!("{}{BASE}", app.url),
            schemas: Schemas::as_published(),
        }
    }

    /// GETs `path`, checks the open API's headers and that nothing confidential is in it.
    async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        let r = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = r.status();
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap_or("")),
            Some("*"),
            "{path}"
        );
        let text = r.text().await?;
        for secret in CONFIDENTIAL {
            assert!(!text.contains(secret), "{path} leaks {secret}");
        }
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn ok(&self, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.get(path).await?;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        Ok(body)
    }

    /// A page of services, checked against the schema.
    async fn services(&self, query: &str) -> anyhow::Result<Value> {
        let body = self.ok(&format!("/services?{query}")).await?;
        let errors = self.schemas.page_errors(Shape::ServiceListItem, &body);
        assert!(errors.is_empty(), "/services?{query}: {errors:#?}");
        Ok(body)
    }

    async fn names(&self, query: &str) -> anyhow::Result<Vec<String>> {
        let body = self.services(&format!("per_page=1000&{query}")).await?;
        Ok(body["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["name"].as_str().unwrap_or("").to_owned())
            .collect())
    }

    async fn bad(&self, path: &str, parameter: &str) -> R {
        let (status, body) = self.get(path).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let pointers: Vec<&str> = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["pointer"].as_str())
            .collect();
        assert!(
            pointers.contains(&format!("#/{parameter}").as_str()),
            "{path}: {body}"
        );
        Ok(())
    }
}

fn term(t: HarbourTaxonomy, code: &str) -> String {
    t.term_id(code).to_string()
}

mod loading;
mod open_api;
mod pages;
