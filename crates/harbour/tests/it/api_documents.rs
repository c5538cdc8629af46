//! The API documents say exactly what the server does, on both databases: responses validate
//! against the schemas the documents give; an address or query string the server cannot read is
//! a problem document (with the open API's CORS header); the open API's document uses only
//! JSON Schema's types and documents its errors.

use harbour_domain::consent::ConsentInput;
use harbour_domain::role::Role;
use harbour_storage::onward::{ReferOnInput, ReferredOn};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, service_id, store_as, triaged_referral};
use reqwest::StatusCode;
use serde_json::{Value, json};

type R = anyhow::Result<()>;

/// Every way `value` breaks the document's schema `name`, each with where.
fn schema_errors(doc: &Value, name: &str, value: &Value) -> Vec<String> {
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the document's schemas compile");
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[tokio::test]
async fn an_onward_referral_is_what_the_document_says() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let ReferredOn::Sent { id } = hub
        .refer_onward(
            &referral,
            &ReferOnInput {
                service_id: service_id(&app.db, IDVA).await?,
                consent: ConsentInput {
                    decision: "given".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await?
    else {
        anyhow::bail!("not sent");
    };
    let token = app.api_token("New Era").await?;
    let http = reqwest::Client::new();
    let doc: Value = http
        .get(format!("{}/api/v1/openapi.json", app.url))
        .send()
        .await?
        .json()
        .await?;
    let one: Value = http
        .get(format!("{}/api/v1/onward/{id}", app.url))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let errors = schema_errors(&doc, "OnwardReferral", &one);
    assert!(errors.is_empty(), "{errors:#?}\n{one:#}");
    assert_eq!(one["consent"], "given", "a string, as in every list item");
    assert_eq!(one["consent_record"]["decision"], "given");
    let list: Value = http
        .get(format!("{}/api/v1/onward", app.url))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    for item in list["onward_referrals"].as_array().into_iter().flatten() {
        let errors = schema_errors(&doc, "OnwardSummary", item);
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // A referral the rules refuse is refused by the document too.
    let nameless = json!({
        "source": "partner_agency",
        "crime_category": "domestic_abuse",
        "person": {},
        "safe_contact": { "channels": [] }
    });
    let errors = schema_errors(&doc, "ReferralInput", &nameless);
    assert!(errors.len() >= 2, "no name, no way of contact: {errors:#?}");
    Ok(())
}

#[tokio::test]
async fn what_cannot_be_read_in_an_address_is_a_problem_document() -> R {
    let app = TestApp::spawn().await?;
    let token = app.api_token("Staffordshire Police").await?;
    let http = reqwest::Client::new();
    for path in ["/api/v1/referrals/%FF", "/api/v1/onward?all=null&all=1"] {
        let r = http
            .get(format!("{}{path}", app.url))
            .bearer_auth(&token)
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    let r = http
        .get(format!("{}/oruk/v3/services/%FF", app.url))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    Ok(())
}

#[tokio::test]
async fn the_open_apis_document_uses_json_schemas_types_and_documents_its_errors() -> R {
    let app = TestApp::spawn().await?;
    let doc: Value = reqwest::get(format!("{}/oruk/v3/openapi.json", app.url))
        .await?
        .json()
        .await?;
    fn types(v: &Value, at: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(t)) = map.get("type")
                    && ![
                        "object", "array", "string", "number", "integer", "boolean", "null",
                    ]
                    .contains(&t.as_str())
                {
                    bad.push(format!("{at}: {t}"));
                }
                for (k, x) in map {
                    types(x, &format!("{at}/{k}"), bad);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    types(x, &format!("{at}/{i}"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    types(&doc, "", &mut bad);
    assert!(bad.is_empty(), "not JSON Schema types: {bad:?}");
    for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in ops.as_object().into_iter().flatten() {
            let Some(responses) = op.get("responses") else {
                continue;
            };
            assert!(
                responses.get("400").is_some(),
                "{method} {path} documents 400"
            );
            if path.contains("{id}") {
                assert!(
                    responses.get("404").is_some(),
                    "{method} {path} documents 404"
                );
            }
        }
    }
    Ok(())
}
