//! Person recognition at intake, on both databases: a misspelt repeat is linked to the person
//! already known, with its score and explanation; a borderline one becomes a possible match for
//! the hub; a stranger is a new person.

use harbour_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

type R = anyhow::Result<()>;

/// A partnership with a year of synthetic referrals and a model trained on them.
pub async fn trained_app() -> anyhow::Result<TestApp> {
    let app = TestApp::spawn().await?;
    harbour_storage::demo::load_demo_referrals(&app.db, 300).await?;
    let trained = harbour_storage::recognition::ready(&app.db).await?;
    anyhow::ensure!(trained.is_some(), "a model was trained");
    Ok(app)
}

pub fn referral(person: Value, phone: &str) -> Value {
    json!({
        "source": "partner_agency",
        "crime_category": "domestic_abuse",
        "incident_date": "2026-11-20",
        "incident_area": "E07000197",
        "person": person,
        "consent_to_referral": "given",
        "safe_contact": { "channels": [ { "channel": "phone_call", "value": phone } ] }
    })
}

/// Submits a referral through the API; returns its id.
pub async fn submit(app: &TestApp, token: &str, body: &Value) -> anyhow::Result<String> {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    anyhow::ensure!(r.status() == StatusCode::CREATED, "{}", r.status());
    Ok(r.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

pub async fn person_of(app: &TestApp, referral: &str) -> anyhow::Result<String> {
    Ok(sqlx::query("SELECT person_id FROM referrals WHERE id = $1")
        .bind(referral)
        .fetch_one(app.db.pool())
        .await?
        .try_get("person_id")?)
}

/// The matches recognition recorded for a referral: (candidate person, state, probability).
pub async fn matches_of(
    app: &TestApp,
    referral: &str,
) -> anyhow::Result<Vec<(String, String, f64)>> {
    Ok(sqlx::query(
        "SELECT candidate_id, state, probability, explanation FROM person_matches \
         WHERE referral_id = $1 ORDER BY probability DESC",
    )
    .bind(referral)
    .fetch_all(app.db.pool())
    .await?
    .iter()
    .map(|r| {
        (
            r.get::<String, _>("candidate_id"),
            r.get::<String, _>("state"),
            r.get::<f64, _>("probability"),
        )
    })
    .collect())
}

pub fn jodie() -> Value {
    json!({ "given_name": "Jodie", "family_name": "Harroby", "date_of_birth": "1990-03-04",
            "gender": "Female", "address": "4 Quiet Lane, Stafford", "postcode": "ST16 2DH",
            "area": "E07000197" })
}

#[tokio::test]
async fn a_misspelt_repeat_is_recognised_and_a_borderline_one_is_proposed() -> R {
    let app = trained_app().await?;
    let token = app.api_token("New Era").await?;
    let first = submit(&app, &token, &referral(jodie(), "07700 900123")).await?;
    let known = person_of(&app, &first).await?;
    assert!(
        matches_of(&app, &first).await?.is_empty(),
        "no one like her was known"
    );

    // Jody, not Jodie, and a new phone: the same person, linked, with the score recorded.
    let mut jody = jodie();
    jody["given_name"] = json!("Jody");
    let second = submit(&app, &token, &referral(jody, "07700 900999")).await?;
    assert_eq!(person_of(&app, &second).await?, known, "linked to Jodie");
    let found = matches_of(&app, &second).await?;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        (known.as_str(), "linked")
    );
    assert!(found[0].2 >= 0.99, "{found:?}");

    // The same name with no date of birth, in another town, no address, reached by e-mail:
    // perhaps her.
    let maybe = json!({ "given_name": "Jodie", "family_name": "Harroby", "postcode": "WS11 1AA",
                        "area": "E07000193" });
    let mut maybe = referral(maybe, "");
    maybe["safe_contact"] =
        json!({ "channels": [ { "channel": "email", "value": "jh@example.org" } ] });
    let third = submit(&app, &token, &maybe).await?;
    let stranger = person_of(&app, &third).await?;
    assert_ne!(stranger, known, "not linked on a guess");
    let found = matches_of(&app, &third).await?;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        (known.as_str(), "possible")
    );

    // Someone else entirely: a new person, nothing proposed.
    let other = json!({ "given_name": "Amir", "family_name": "Okonkwo-Batley",
                        "date_of_birth": "1971-08-01", "postcode": "DE13 0AA" });
    let fourth = submit(&app, &token, &referral(other, "07700 900777")).await?;
    assert!(matches_of(&app, &fourth).await?.is_empty());
    let people: i64 =
        sqlx::query("SELECT COUNT(DISTINCT person_id) FROM referrals WHERE id IN ($1, $2, $3, $4)")
            .bind(&first)
            .bind(&second)
            .bind(&third)
            .bind(&fourth)
            .fetch_one(app.db.pool())
            .await?
            .get(0);
    assert_eq!(people, 3);
    Ok(())
}
