//! Referral intake through the API: storing, idempotent retries, per-field errors, scoping,
//! and many submissions at once. Runs on SQLite and PostgreSQL.

use harbour_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

type R = anyhow::Result<()>;

fn police_referral(reference: &str) -> Value {
    json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": reference,
        "incident_date": "2026-11-01",
        "incident_area": "E07000197",
        "person": { "given_name": "Alys", "family_name": "Brereton", "postcode": "st16 2dh", "area": "E07000197" },
        "perpetrators": [ { "relationship": "ex-partner" } ],
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": "07700 900123" } ],
            "safe_times": [ { "days": ["mon", "wed"], "from": "09:00", "to": "12:00" } ],
            "code_word": "bluebell"
        },
        "risk_level": "medium"
    })
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(app: &TestApp, agency: &str) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::Client::new(),
            base: app.url.clone(),
            token: app.api_token(agency).await?,
        })
    }

    async fn post(
        &self,
        body: &Value,
        key: Option<&str>,
    ) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap, Value)> {
        let mut req = self
            .http
            .post(format!("{}/api/v1/referrals", self.base))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let r = req.send().await?;
        let (status, headers) = (r.status(), r.headers().clone());
        Ok((status, headers, r.json().await.unwrap_or(Value::Null)))
    }

    async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok((r.status(), r.json().await.unwrap_or(Value::Null)))
    }
}

async fn count(app: &TestApp, table: &str) -> anyhow::Result<i64> {
    harbour_testkit::inspect::rows(&app.db, table).await
}

#[tokio::test]
async fn a_police_referral_is_stored_and_its_status_read_back() -> R {
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let (status, headers, body) = police
        .post(&police_referral("SP/26/0001"), Some("key-0001"))
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(headers["location"], format!("/api/v1/referrals/{id}"));
    assert!(
        body["reference"]
            .as_str()
            .unwrap_or_default()
            .starts_with("HBR-")
    );
    assert_eq!(body["status"], "received");
    assert!(body["due_on"].as_str().is_some_and(|d| d.len() == 10));

    let (status, s) = police.get(&format!("/api/v1/referrals/{id}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["status"], "received");
    assert_eq!(s["crime_category"], "domestic_abuse");
    assert!(
        s.get("risk_level").is_none(),
        "a referrer sees the status, not the hub's findings"
    );
    let (_, list) = police.get("/api/v1/referrals").await?;
    assert_eq!(list["referrals"][0]["id"], id.as_str());

    // The person is stored apart from the referral, with the postcode normalised.
    let row = sqlx::query("SELECT p.postcode, r.area, r.risk_level, r.consent_basis FROM referrals r JOIN persons p ON p.id = r.person_id WHERE r.id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await?;
    assert_eq!(row.get::<String, _>("postcode"), "ST16 2DH");
    assert_eq!(row.get::<String, _>("area"), "E07000197");
    assert_eq!(row.get::<String, _>("risk_level"), "medium");
    assert_eq!(row.get::<String, _>("consent_basis"), "explicit");

    // Another agency cannot see it.
    let other = Api::new(&app, "New Era").await?;
    assert_eq!(
        other.get(&format!("/api/v1/referrals/{id}")).await?.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = other.get("/api/v1/referrals").await?;
    assert_eq!(list["referrals"].as_array().map(Vec::len), Some(0));

    let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE entity_kind = 'referral' AND entity_id = $1 AND action = 'create'")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(audited, 1);
    Ok(())
}

#[tokio::test]
async fn a_retried_request_never_creates_a_second_referral() -> R {
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let body = police_referral("SP/26/0002");
    let (first, _, a) = police.post(&body, Some("retry-me")).await?;
    let (second, headers, b) = police.post(&body, Some("retry-me")).await?;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(count(&app, "referrals").await?, 1);

    let (status, _, problem) = police
        .post(&police_referral("SP/26/9999"), Some("retry-me"))
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["title"], "Idempotency key reused");
    assert_eq!(count(&app, "referrals").await?, 1);

    // Keys belong to an agency: another agency's same key is its own.
    let other = Api::new(&app, "New Era").await?;
    let mut partner = police_referral("");
    partner["source"] = json!("partner_agency");
    assert_eq!(
        other.post(&partner, Some("retry-me")).await?.0,
        StatusCode::CREATED
    );
    assert_eq!(count(&app, "referrals").await?, 2);

    let (status, _, problem) = police.post(&body, Some("")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"][0]["pointer"], "#/Idempotency-Key");
    Ok(())
}

#[tokio::test]
async fn bad_fields_are_each_named_and_nothing_is_stored() -> R {
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let mut bad = police_referral("");
    bad["incident_date"] = json!("2099-01-01");
    bad["person"]["given_name"] = json!("");
    bad["person"]["family_name"] = json!("");
    bad["person"]["postcode"] = json!("NOWHERE");
    bad["safe_contact"]["channels"][0]["value"] = json!("call me");
    bad["crime_category"] = json!("jaywalking");
    let (status, headers, problem) = police.post(&bad, None).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["content-type"], "application/problem+json");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for expected in [
        "#/crime_category",
        "#/police_reference",
        "#/incident_date",
        "#/person/given_name",
        "#/person/postcode",
        "#/safe_contact/channels/0/value",
    ] {
        assert!(
            pointers.contains(&expected),
            "{expected} missing from {pointers:?}"
        );
    }

    let mut wrong_type = police_referral("SP/1");
    wrong_type["person"]["age"] = json!("thirty");
    let (status, _, problem) = police.post(&wrong_type, None).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["pointer"], "#/person/age");

    let mut unknown = police_referral("SP/1");
    unknown["favourite_colour"] = json!("blue");
    let (status, _, problem) = police.post(&unknown, None).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("favourite_colour")
    );

    let r = police
        .http
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(&police.token)
        .header("content-type", "application/json")
        .body("{\"source\": ")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = police
        .http
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(&police.token)
        .body("source=police")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(count(&app, "referrals").await?, 0);
    assert_eq!(count(&app, "persons").await?, 0);
    Ok(())
}

#[tokio::test]
async fn many_submissions_at_once_are_all_stored_and_audited() -> R {
    let app = TestApp::spawn().await?;
    let police = std::sync::Arc::new(Api::new(&app, "Staffordshire Police").await?);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let police = police.clone();
        tasks.push(tokio::spawn(async move {
            // One bad submission among them must not spoil the batch it lands in.
            let mut body = police_referral(&format!("SP/26/{i:04}"));
            if i == 13 {
                body["person"]["given_name"] = json!("");
                body["person"]["family_name"] = json!("");
            }
            police
                .post(&body, Some(&format!("bulk-{i}")))
                .await
                .map(|(s, _, _)| s)
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await?? {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 63);
    assert_eq!(count(&app, "referrals").await?, 63);
    assert_eq!(count(&app, "persons").await?, 63);
    let verified = harbour_storage::audit::verify_log(&app.db).await?;
    assert!(
        matches!(
            verified,
            harbour_storage::audit::Verification::Intact { .. }
        ),
        "{verified:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_same_key_sent_many_times_at_once_makes_one_referral() -> R {
    // The retries land in different batches, some written at the same moment (PostgreSQL writes
    // two at once): the unique index settles it, and every answer names the one referral.
    let app = TestApp::spawn().await?;
    let police = std::sync::Arc::new(Api::new(&app, "Staffordshire Police").await?);
    let body = police_referral("SP/26/7001");
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (police, body) = (police.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            police.post(&body, Some("retried-key")).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    for t in tasks {
        let (status, _, answer) = t.await??;
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("unexpected {other}: {answer}"),
        }
        ids.insert(answer["id"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(created, 1, "exactly one request creates the referral");
    assert_eq!(
        ids.len(),
        1,
        "every answer names the same referral: {ids:?}"
    );
    assert_eq!(count(&app, "referrals").await?, 1);
    Ok(())
}

fn triage_form(yes: usize, tier: &str) -> Vec<(String, String)> {
    let demo = harbour_domain::instrument::Instrument::demo();
    let mut f: Vec<(String, String)> = vec![
        ("needs".into(), "accommodation".into()),
        ("needs".into(), "health".into()),
    ];
    for (i, item) in demo.items.iter().enumerate() {
        f.push(("answered".into(), item.id.clone()));
        f.push((
            format!("answer_{}", item.id),
            if i < yes { "yes" } else { "no" }.into(),
        ));
    }
    f.push(("tier".into(), tier.into()));
    f.push((
        "tier_reason".into(),
        if tier.is_empty() {
            String::new()
        } else {
            "Continuing contact from the ex-partner".into()
        },
    ));
    f
}

async fn post_triage(
    client: &harbour_testkit::TestClient,
    id: &str,
    fields: &[(String, String)],
) -> anyhow::Result<reqwest::Response> {
    let page = format!("/referrals/{id}/triage");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.submit(&page, &page, &borrowed).await
}

#[tokio::test]
async fn the_hub_triages_a_referral_and_the_referrer_sees_it_move() -> R {
    use harbour_domain::role::Role;
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let (_, _, receipt) = police
        .post(&police_referral("SP/26/4242"), Some("triage-1"))
        .await?;
    let id = receipt["id"].as_str().unwrap_or_default().to_owned();
    let reference = receipt["reference"].as_str().unwrap_or_default().to_owned();

    let hub = app.signed_in(Role::TriageOfficer).await?;
    let (status, queue) = hub.get_text("/referrals/queue").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&reference) && queue.contains("Alys Brereton"));
    for (filter, shown) in [
        ("area=E07000197", true),
        ("area=E06000021", false),
        ("source=police", true),
        ("crime=burglary", false),
        ("risk=medium", true),
        ("risk=high", false),
    ] {
        let (_, page) = hub.get_text(&format!("/referrals/queue?{filter}")).await?;
        assert_eq!(page.contains(&reference), shown, "{filter}");
    }
    let (status, page) = hub.get_text("/referrals/queue?risk=extreme").await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Choose a risk level from the list"));

    let (_, page) = hub.get_text(&format!("/referrals/{id}")).await?;
    assert!(
        page.contains("07700 900123") && page.contains("bluebell"),
        "safe contact shown to the hub"
    );

    // Missing the tier: the errors are shown and every answer is kept.
    let r = post_triage(&hub, &id, &triage_form(14, "")).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(
        body.contains("Choose the service tier") && body.contains("Give the reason for the tier")
    );
    assert!(
        body.contains(
            "id=\"answers/injury\" name=\"answer_injury\" type=\"radio\" value=\"yes\" checked"
        ),
        "answers kept"
    );

    let r = post_triage(&hub, &id, &triage_form(14, "acute")).await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = hub.get_text(&format!("/referrals/{id}")).await?;
    assert!(page.contains("Visible high risk"), "MARAC criterion shown");
    assert!(page.contains("score 14"));
    let (_, queue) = hub.get_text("/referrals/queue").await?;
    assert!(
        !queue.contains(&reference),
        "triaged referrals leave the queue"
    );

    // Triaged again: both decisions are kept.
    post_triage(&hub, &id, &triage_form(3, "targeted")).await?;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM triage_decisions WHERE referral_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(n, 2);
    let (_, page) = hub.get_text(&format!("/referrals/{id}")).await?;
    assert!(page.contains("(current)") && page.contains("Criteria not met"));

    // The police see the status move, and nothing of the findings.
    let (_, s) = police.get(&format!("/api/v1/referrals/{id}")).await?;
    assert_eq!(s["status"], "triaged");
    // People who are not the hub cannot open the queue.
    for role in [
        Role::Referrer,
        Role::Administrator,
        Role::Commissioner,
        Role::Auditor,
    ] {
        let c = app.signed_in(role).await?;
        assert_eq!(
            c.get(&format!("/referrals/{id}")).await?.status(),
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn escalation_is_found_in_harbours_own_records() -> R {
    use harbour_domain::role::Role;
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let mut ids = Vec::new();
    for (i, date) in ["2026-02-10", "2026-06-03", "2026-11-01"]
        .iter()
        .enumerate()
    {
        let mut body = police_referral(&format!("SP/26/77{i}"));
        body["incident_date"] = json!(date);
        body["person"]["date_of_birth"] = json!("1988-05-17");
        body["person"]["given_name"] = json!(if i == 1 { "ALYS" } else { "Alys" });
        body["person"]["postcode"] = json!(["ST16 2DH", "ST17 4AB", "ST18 0QN"][i]);
        let (status, _, receipt) = police.post(&body, None).await?;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(receipt["id"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        count(&app, "persons").await?,
        1,
        "the same name and date of birth is the same person"
    );
    let postcode: String = sqlx::query("SELECT postcode FROM persons")
        .fetch_one(app.db.pool())
        .await?
        .get("postcode");
    assert_eq!(
        postcode, "ST16 2DH",
        "the details held are the first referral's until someone chooses otherwise"
    );
    let waiting: i64 =
        sqlx::query("SELECT COUNT(*) FROM referrals WHERE details_review = 'pending'")
            .fetch_one(app.db.pool())
            .await?
            .get(0);
    assert_eq!(waiting, 2, "the two that moved wait for the hub to choose");
    let hub = app.signed_in(Role::TriageOfficer).await?;
    let (_, page) = hub
        .get_text(&format!("/referrals/{}/triage", ids[2]))
        .await?;
    assert!(
        page.contains("3 incidents reported to police"),
        "{}",
        &page[page.find("MARAC").unwrap_or(0)..][..400.min(page.len())]
    );
    assert!(page.contains("The MARAC criteria are already met"));
    let r = post_triage(&hub, &ids[2], &triage_form(2, "acute")).await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = hub.get_text(&format!("/referrals/{}", ids[2])).await?;
    assert!(page.contains("Potential escalation"));
    // A further incident after that MARAC referral, within twelve months, is a repeat.
    let mut later = police_referral("SP/26/778");
    later["incident_date"] =
        json!(harbour_domain::calendar::uk_date(chrono::Utc::now()).to_string());
    later["person"]["date_of_birth"] = json!("1988-05-17");
    let (_, _, receipt) = police.post(&later, None).await?;
    let (_, page) = hub
        .get_text(&format!(
            "/referrals/{}/triage",
            receipt["id"].as_str().unwrap_or_default()
        ))
        .await?;
    assert!(page.contains("referred to MARAC on"), "repeat found");
    assert!(page.contains("Repeat: referred to MARAC"));
    // An earlier incident does not count as a repeat of a later referral.
    let (_, page) = hub
        .get_text(&format!("/referrals/{}/triage", ids[1]))
        .await?;
    assert!(!page.contains("Repeat: referred to MARAC"));
    Ok(())
}

/// People are matched on their names whatever their case in any alphabet, as Harbour folds it,
/// not the database; people stored before Harbour kept match keys get theirs when it next
/// starts, each change audited, and are matched from then on.
#[tokio::test]
async fn people_are_matched_by_name_in_any_case_including_those_stored_before_keys() -> R {
    let app = TestApp::spawn().await?;
    let police = Api::new(&app, "Staffordshire Police").await?;
    let referral = |n: u32, given: &str, family: &str| {
        let mut body = police_referral(&format!("SP/26/91{n}"));
        body["person"]["given_name"] = json!(given);
        body["person"]["family_name"] = json!(family);
        body["person"]["date_of_birth"] = json!("1991-07-02");
        body
    };
    let (status, ..) = police.post(&referral(0, "Zoë", "Wójcik"), None).await?;
    assert_eq!(status, StatusCode::CREATED);
    // As if stored before match keys: the next start works them out.
    sqlx::query("UPDATE persons SET match_key = NULL")
        .execute(app.db.pool())
        .await?;
    harbour_storage::schema::prepare(&app.db).await?;
    let keyed: Option<String> = sqlx::query("SELECT match_key FROM persons")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    assert!(keyed.is_some(), "the person stored without a key has one");
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log a JOIN persons p ON p.id = a.entity_id \
         WHERE a.entity_kind = 'person' AND a.action = 'change'",
    )
    .fetch_one(app.db.pool())
    .await?
    .get(0);
    assert_eq!(
        audited, 1,
        "the key's writing is audited against the person"
    );
    harbour_storage::schema::prepare(&app.db).await?;
    let audited_again: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE entity_kind = 'person'")
            .fetch_one(app.db.pool())
            .await?
            .get(0);
    assert_eq!(audited_again, 1, "a later start finds no one to key");
    for (n, given, family) in [(1, "ZOË", "WÓJCIK"), (2, "zoë", "wójcik")] {
        let (status, ..) = police.post(&referral(n, given, family), None).await?;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(count(&app, "persons").await?, 1, "all three are Zoë Wójcik");
    let (status, ..) = police.post(&referral(3, "Zoe", "Wojcik"), None).await?;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        count(&app, "persons").await?,
        2,
        "without the accents it is not an exact match"
    );
    assert!(matches!(
        harbour_storage::audit::verify_log(&app.db).await?,
        harbour_storage::audit::Verification::Intact { .. }
    ));
    Ok(())
}

fn staff_form(given: &str, phone: &str) -> Vec<(&'static str, String)> {
    vec![
        ("source", "police".into()),
        ("crime_category", "domestic_abuse".into()),
        ("reported_to_police", "yes".into()),
        ("police_reference", "SP/26/5150".into()),
        ("incident_date", "20/11/2026".into()),
        ("incident_area", "E07000199".into()),
        ("person/given_name", given.into()),
        ("person/family_name", "Norbury".into()),
        ("person/postcode", "B79 7BZ".into()),
        ("person/area", "E07000199".into()),
        ("perpetrators/0/relationship", "husband".into()),
        ("children", "4, 9".into()),
        ("safe_contact/channels", "sms".into()),
        ("safe_contact/sms", phone.into()),
        ("safe_contact/days", "mon".into()),
        ("safe_contact/days", "thu".into()),
        ("safe_contact/from", "10:00".into()),
        ("safe_contact/to", "14:00".into()),
        ("safe_contact/abuser_sees_post", "yes".into()),
        ("consent_to_referral", "given".into()),
        ("risk_level", "high".into()),
    ]
}

#[tokio::test]
async fn a_referrer_drafts_fixes_and_sends_a_referral_and_follows_it() -> R {
    use harbour_domain::role::Role;
    let app = TestApp::spawn().await?;
    let officer = app.signed_in(Role::Referrer).await?;
    let (status, page) = officer.get_text("/referrals/new").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"police\" checked"),
        "a police officer's referral defaults to police"
    );

    // Mistakes: a date in the future, a phone number that is not one. Everything else is kept.
    let mut bad = staff_form("", "call after six");
    bad.retain(|(k, _)| *k != "incident_date");
    bad.push(("incident_date", "01/01/2099".into()));
    let fields: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = officer
        .submit("/referrals/new", "/referrals/new", &fields)
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(body.contains("The date of the incident must be today or in the past"));
    assert!(
        body.contains("href=\"#safe_contact/sms\""),
        "the phone error links to the phone field"
    );
    assert!(body.contains("Enter a phone number"));
    assert!(
        body.contains("value=\"Norbury\"")
            && body.contains("value=\"SP/26/5150\"")
            && body.contains("value=\"call after six\"")
    );
    assert!(body.contains("value=\"thu\" checked"));

    // Saved as a draft, with the mistakes still in it.
    let mut draft = fields.clone();
    draft.push(("action", "draft"));
    let r = officer
        .submit("/referrals/new", "/referrals/new", &draft)
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Draft saved"));
    let (_, mine) = officer.get_text("/referrals/mine").await?;
    let start = mine.find("/referrals/drafts/").expect("draft listed");
    let draft_path = mine[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let draft_id = draft_path.rsplit('/').next().unwrap_or_default().to_owned();
    let (_, reopened) = officer.get_text(&draft_path).await?;
    assert!(
        reopened.contains("value=\"Norbury\"") && reopened.contains("value=\"call after six\"")
    );

    // Fixed and sent: the draft goes, the referral arrives.
    let good = staff_form("Tamsin", "07700 900456");
    let mut fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("draft_id", &draft_id));
    fields.push(("action", "submit"));
    let r = officer
        .submit(&draft_path, "/referrals/new", &fields)
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sent = r.headers()["location"].to_str()?.to_owned();
    let (_, page) = officer.get_text(&sent).await?;
    assert!(page.contains("Referral received") && page.contains("HBR-"));
    let (_, mine) = officer.get_text("/referrals/mine").await?;
    assert!(!mine.contains(&draft_path), "the draft is gone once sent");
    assert!(mine.contains("Tamsin Norbury") && mine.contains(">Received<"));

    let row = sqlx::query("SELECT r.id, r.due_on, p.safe_contact, r.children FROM referrals r JOIN persons p ON p.id = r.person_id")
        .fetch_one(app.db.pool())
        .await?;
    let safe: serde_json::Value = serde_json::from_str(&harbour_testkit::inspect::opened(
        &row.get::<String, _>("safe_contact"),
    )?)?;
    assert_eq!(safe["channels"][0]["channel"], "sms");
    assert_eq!(safe["abuser_sees_post"], true);
    assert_eq!(safe["safe_times"][0]["days"], json!(["Mon", "Thu"]));
    let children: serde_json::Value = serde_json::from_str(&harbour_testkit::inspect::opened(
        &row.get::<String, _>("children"),
    )?)?;
    assert_eq!(children.as_array().map(Vec::len), Some(2));

    // Another referrer sees none of it; the hub triages; the referrer sees the status move.
    let other = app.signed_in(Role::Caseworker).await?;
    let (_, theirs) = other.get_text("/referrals/mine").await?;
    assert!(!theirs.contains("Tamsin"));
    assert_eq!(other.get(&sent).await?.status(), StatusCode::NOT_FOUND);
    let hub = app.signed_in(Role::TriageOfficer).await?;
    let id: String = row.get("id");
    assert_eq!(
        post_triage(&hub, &id, &triage_form(4, "targeted"))
            .await?
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, mine) = officer.get_text("/referrals/mine").await?;
    assert!(mine.contains(">Triaged<"));
    let (_, status_page) = officer.get_text(&sent).await?;
    assert!(
        !status_page.contains("score") && !status_page.contains("targeted"),
        "the referrer sees the status, not the findings"
    );
    Ok(())
}

/// The intake's statements reach every stored row through an index, by key: the look-up of a
/// batch's idempotency keys, bulk-file rows and people's match keys, and the writes. On
/// PostgreSQL they are planned once per connection, in a generic plan, so this holds whether that
/// plan was made while the tables were small or once they had grown. (A plan that read a whole table, or joined against all of an index, made intake
/// several times slower as the tables grew.)
#[tokio::test]
async fn the_intakes_statements_find_rows_by_key() -> R {
    use harbour_storage::Backend;
    use harbour_storage::intake::{look_up_statement, write_statements};
    let test_db = harbour_testkit::TestDb::new().await?;
    let db = test_db.open().await?;
    harbour_storage::demo::load_demo(&db).await?;
    let backend = db.backend();
    let mut conn = db.pool().acquire().await?;
    if backend == Backend::Postgres {
        sqlx::raw_sql(harbour_storage::db::INTAKE_SESSION)
            .execute(&mut *conn)
            .await?;
    }
    for (tables, referrals) in [("small, never analysed", 0), ("analysed", 3000)] {
        if referrals > 0 {
            harbour_storage::demo::load_demo_referrals(&db, referrals).await?;
            harbour_storage::recognition::ready(&db).await?;
            for analyse in [
                "ANALYZE referrals",
                "ANALYZE persons",
                "ANALYZE referral_blocks",
            ] {
                sqlx::query(analyse).execute(&mut *conn).await?;
            }
        }
        let look_up = explain(&mut conn, backend, look_up_statement(backend), 3).await?;
        for index in [
            "referrals_idempotency",
            "referrals_import",
            "persons_match_key",
        ] {
            assert!(
                look_up.iter().any(|step| step.contains(index)),
                "{tables}: {index} unused:\n{}",
                look_up.join("\n")
            );
        }
        let mut writes = Vec::new();
        for (sql, params) in write_statements(backend) {
            writes.extend(explain(&mut conn, backend, sql, params).await?);
        }
        // Recognition's candidates: the referrals sharing a blocking key, each by key.
        let candidates = explain(
            &mut conn,
            backend,
            harbour_storage::recognition::candidates::candidates_statement(backend),
            1,
        )
        .await?;
        assert!(
            candidates
                .iter()
                .any(|step| step.contains("referral_blocks")),
            "{tables}: the blocking keys' index unused:\n{}",
            candidates.join("\n")
        );
        for step in &candidates {
            let whole = match backend {
                Backend::Postgres => {
                    step.starts_with("Seq Scan")
                        || step.starts_with("Merge Join")
                        || step.ends_with("whole")
                }
                Backend::Sqlite => {
                    step.starts_with("SCAN persons")
                        || step.starts_with("SCAN referrals")
                        || step.starts_with("SCAN referral_blocks")
                }
            };
            assert!(
                !whole,
                "{tables}: {step:?} reads a whole table or index:\n{}",
                candidates.join("\n")
            );
        }
        for step in look_up.iter().chain(&writes) {
            let whole = match backend {
                Backend::Postgres => {
                    step.starts_with("Seq Scan")
                        || step.starts_with("Hash Join")
                        || step.starts_with("Merge Join")
                        || step.ends_with("whole")
                }
                // Only the statements' own tables: SQLite also lists the foreign-key checks of
                // tables that refer to these, which run only when a row they refer to is deleted.
                Backend::Sqlite => {
                    step.starts_with("SCAN persons") || step.starts_with("SCAN referrals")
                }
            };
            assert!(
                !whole,
                "{tables}: {step:?} reads a whole table or index:\n{}\n{}",
                look_up.join("\n"),
                writes.join("\n")
            );
        }
    }
    Ok(())
}

/// The steps of `sql`'s plan, one line each, with each of its `params` parameters a JSON array.
/// On PostgreSQL this is the prepared statement's generic plan, as the connection's settings make
/// it, and each index step ends `by key` or `whole`.
async fn explain(
    conn: &mut sqlx::AnyConnection,
    backend: harbour_storage::Backend,
    sql: &str,
    params: usize,
) -> anyhow::Result<Vec<String>> {
    let values = r#"["a", "b", "c"]"#;
    match backend {
        harbour_storage::Backend::Postgres => {
            let types = vec!["text"; params].join(", ");
            sqlx::query(&format!("PREPARE explained({types}) AS {sql}"))
                .execute(&mut *conn)
                .await?;
            let arguments = vec![format!("'{values}'"); params].join(", ");
            let rows = sqlx::query(&format!("EXPLAIN EXECUTE explained({arguments})"))
                .fetch_all(&mut *conn)
                .await?;
            sqlx::query("DEALLOCATE explained")
                .execute(&mut *conn)
                .await?;
            // A step is the first line or one that starts `->`; an index step reaches by key if
            // an `Index Cond` line follows it, else it reads the whole index.
            let mut steps: Vec<String> = Vec::new();
            for row in &rows {
                let line: String = row.try_get(0)?;
                let line = line.trim();
                if steps.is_empty() || line.starts_with("->") {
                    let step = line.trim_start_matches("->").trim();
                    let step = step.split("  (cost=").next().unwrap_or(step);
                    let reach = if step.contains("Index") { " whole" } else { "" };
                    steps.push(format!("{step}{reach}"));
                } else if line.starts_with("Index Cond:")
                    && let Some(step) = steps.last_mut()
                    && let Some(index_step) = step.strip_suffix(" whole")
                {
                    *step = format!("{index_step} by key");
                }
            }
            Ok(steps)
        }
        harbour_storage::Backend::Sqlite => {
            let explained = format!("EXPLAIN QUERY PLAN {sql}");
            let mut query = sqlx::query(&explained);
            for _ in 0..params {
                query = query.bind(values);
            }
            let rows = query.fetch_all(&mut *conn).await?;
            Ok(rows.iter().map(|r| r.get::<String, _>("detail")).collect())
        }
    }
}
