//! The cases API for an agency's own case system, on both databases: its cases listed and read
//! (restricted notes withheld), a note and an outcome reading added, errors as problem documents,
//! and nothing of another agency's.

use crate::cases::accepted_case;
use harbour_domain::role::Role;
use harbour_storage::cases::NoteInput;
use harbour_testkit::TestApp;
use harbour_testkit::cases::store_as;
use reqwest::StatusCode;
use serde_json::{Value, json};

type R = anyhow::Result<()>;

#[tokio::test]
async fn an_agencys_system_reads_its_cases_and_adds_notes_and_readings() -> R {
    let app = TestApp::spawn().await?;
    let id = accepted_case(&app, false).await?;
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let today = chrono::Utc::now().date_naive();
    cw.add_case_note(
        &id,
        &NoteInput {
            kind: "safeguarding_concern".into(),
            body: "Her brother's threats: only for managers".into(),
            restricted: true,
            happened_on: today.format("%Y-%m-%d").to_string(),
        },
    )
    .await?;
    let token = app.api_token("New Era").await?;
    let http = reqwest::Client::new();
    let get = |path: String, token: String| {
        let http = http.clone();
        let url = format!("{}{path}", app.url);
        async move { http.get(url).bearer_auth(token).send().await }
    };
    let post = |path: String, body: Value| {
        let http = http.clone();
        let url = format!("{}{path}", app.url);
        let token = token.clone();
        async move { http.post(url).bearer_auth(token).json(&body).send().await }
    };

    let list: Value = get("/api/v1/cases".into(), token.clone())
        .await?
        .json()
        .await?;
    let listed = list["cases"].as_array().expect("a list");
    let ours = listed
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("the case listed");
    assert_eq!(ours["status"], "open");
    assert_eq!(ours["given_name"], "Alys");
    let r = get("/api/v1/cases?status=sideways".into(), token.clone()).await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let one: Value = get(format!("/api/v1/cases/{id}"), token.clone())
        .await?
        .json()
        .await?;
    assert_eq!(one["notes_withheld"], 1);
    assert!(
        !one.to_string().contains("brother"),
        "the restricted note withheld"
    );

    // A note from the agency's system, then one dated tomorrow, refused beside the field.
    let r = post(
        format!("/api/v1/cases/{id}/notes"),
        json!({ "kind": "contact", "body": "Phoned from our system", "happened_on": today.to_string() }),
    )
    .await?;
    assert_eq!(r.status(), StatusCode::CREATED);
    let one: Value = r.json().await?;
    assert_eq!(one["notes"][0]["body"], "Phoned from our system");
    assert_eq!(one["notes"][0]["agency"], "New Era");
    let tomorrow = today.succ_opt().expect("a tomorrow");
    let r = post(
        format!("/api/v1/cases/{id}/notes"),
        json!({ "kind": "contact", "body": "x", "happened_on": tomorrow.to_string() }),
    )
    .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await?;
    assert_eq!(p["errors"][0]["pointer"], "#/happened_on");
    let r = post(
        format!("/api/v1/cases/{id}/notes"),
        json!({ "kind": "contact", "body": "x", "happened_on": "1/12/2026" }),
    )
    .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A reading: every area of the tool, each on its scale.
    let areas: Vec<String> = one["outcome_tool"]["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| a.as_str().unwrap_or_default().to_owned())
        .collect();
    let mut scores: serde_json::Map<String, Value> =
        areas.iter().map(|a| (a.clone(), json!(4))).collect();
    scores.remove(&areas[0]);
    scores.insert("horoscope".into(), json!(3));
    let r = post(
        format!("/api/v1/cases/{id}/readings"),
        json!({ "kind": "start", "scores": scores }),
    )
    .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await?;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(
        pointers.contains(&format!("#/scores/{}", areas[0]).as_str()),
        "{pointers:?}"
    );
    assert!(pointers.contains(&"#/scores/horoscope"), "{pointers:?}");
    scores.remove("horoscope");
    scores.insert(areas[0].clone(), json!(4.0));
    let r = post(
        format!("/api/v1/cases/{id}/readings"),
        json!({ "kind": "start", "scores": scores }),
    )
    .await?;
    assert_eq!(r.status(), StatusCode::CREATED);
    let one: Value = r.json().await?;
    assert_eq!(one["readings"][0]["kind"], "start");
    assert_eq!(one["readings"][0]["scores"][&areas[0]], 4);

    // Another agency's system finds nothing; the police's lists none of New Era's.
    let police = app.api_token("Staffordshire Police").await?;
    let r = get(format!("/api/v1/cases/{id}"), police.clone()).await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list: Value = get("/api/v1/cases".into(), police).await?.json().await?;
    assert!(!list.to_string().contains(id.as_str()));
    Ok(())
}
