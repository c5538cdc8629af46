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

/// Every row of `table`, each column as text, in id order: to compare a table before and after.
async fn snapshot(app: &TestApp, table: &str) -> anyhow::Result<Vec<Vec<String>>> {
    use sqlx::{Column, ValueRef};
    let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
        .fetch_all(app.db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (0..r.columns().len())
                .map(|i| {
                    let name = r.columns()[i].name().to_owned();
                    let value = if r.try_get_raw(i).map(|v| v.is_null()).unwrap_or(true) {
                        "NULL".to_owned()
                    } else if let Ok(s) = r.try_get::<String, _>(i) {
                        s
                    } else if let Ok(n) = r.try_get::<i64, _>(i) {
                        n.to_string()
                    } else if let Ok(f) = r.try_get::<f64, _>(i) {
                        f.to_string()
                    } else if let Ok(b) = r.try_get::<bool, _>(i) {
                        b.to_string()
                    } else {
                        "?".to_owned()
                    };
                    format!("{name}={value}")
                })
                .collect()
        })
        .collect())
}

/// Everything a merge may touch, table by table.
async fn people_tables(app: &TestApp) -> anyhow::Result<Vec<Vec<Vec<String>>>> {
    let mut all = Vec::new();
    for table in harbour_storage::recognition::merge::PERSON_TABLES
        .iter()
        .chain(&["persons", "person_matches", "referral_blocks"])
    {
        all.push(snapshot(app, table).await?);
    }
    Ok(all)
}

/// Jodie Harroby known, then a referral that is perhaps her: (her person, the match).
pub async fn jodie_and_perhaps(
    app: &TestApp,
    token: &str,
) -> anyhow::Result<(String, String, String)> {
    let first = submit(app, token, &referral(jodie(), "07700 900123")).await?;
    let known = person_of(app, &first).await?;
    let maybe = json!({ "given_name": "Jodie", "family_name": "Harroby", "postcode": "WS11 1AA",
                        "area": "E07000193" });
    let mut maybe = referral(maybe, "");
    maybe["safe_contact"] =
        json!({ "channels": [ { "channel": "email", "value": "jh@example.org" } ] });
    let second = submit(app, token, &maybe).await?;
    let id: String = sqlx::query_scalar("SELECT id FROM person_matches WHERE referral_id = $1")
        .bind(&second)
        .fetch_one(app.db.pool())
        .await?;
    Ok((known, id, second))
}

fn hub(
    app: &TestApp,
) -> impl std::future::Future<Output = anyhow::Result<harbour_storage::ScopedStore>> + '_ {
    harbour_testkit::cases::store_as(
        &app.db,
        "Staffordshire Victim Gateway",
        harbour_domain::role::Role::TriageOfficer,
    )
}

#[tokio::test]
async fn the_hub_decides_same_and_unmerging_restores_exactly() -> R {
    use harbour_domain::ids::{MatchId, PersonId};
    use harbour_storage::recognition::matches::Decision;
    let app = trained_app().await?;
    let token = app.api_token("New Era").await?;
    let (known, id, second) = jodie_and_perhaps(&app, &token).await?;
    let hub = hub(&app).await?;
    let queue = hub.possible_matches().await?;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].id, id);
    assert_eq!(hub.count_possible_matches().await?, 1);
    let before = people_tables(&app).await?;

    let merge = hub
        .decide_match(
            &MatchId::from(id.as_str()),
            Decision::Same,
            "same e-mail in the police report",
        )
        .await?
        .expect("merged");
    assert_eq!(
        person_of(&app, &second).await?,
        known,
        "her records are together"
    );
    assert!(hub.possible_matches().await?.is_empty());
    let history = hub.person_history(&PersonId::from(known.as_str())).await?;
    assert_eq!(history.referrals.len(), 2);
    assert_eq!(history.merges.len(), 1);
    assert_eq!(
        hub.decide_match(&MatchId::from(id.as_str()), Decision::Different, "")
            .await
            .map(|_| ())
            .map_err(|e| matches!(e, harbour_storage::StorageError::Invalid(_))),
        Err(true),
        "decided once"
    );

    let separated = hub.unmerge(&merge, "her sister, not her").await?;
    assert_eq!(separated.as_str(), person_of(&app, &second).await?);
    assert_eq!(
        people_tables(&app).await?,
        before,
        "every row a merge touched is as it was"
    );
    assert_eq!(
        hub.possible_matches().await?.len(),
        1,
        "the question is open again"
    );
    Ok(())
}

#[tokio::test]
async fn a_pair_judged_different_is_not_proposed_again() -> R {
    use harbour_domain::ids::MatchId;
    use harbour_storage::recognition::matches::Decision;
    let app = trained_app().await?;
    let token = app.api_token("New Era").await?;
    let (_known, id, second) = jodie_and_perhaps(&app, &token).await?;
    let stranger = person_of(&app, &second).await?;
    let hub = hub(&app).await?;
    assert_eq!(
        hub.decide_match(&MatchId::from(id.as_str()), Decision::Different, "")
            .await?,
        None
    );
    assert!(hub.possible_matches().await?.is_empty());

    // The second Jodie referred again: linked to her, and again like the first Jodie.
    let mut again = referral(
        json!({ "given_name": "Jodie", "family_name": "Harroby", "postcode": "WS11 1AA",
                "area": "E07000193" }),
        "",
    );
    again["safe_contact"] =
        json!({ "channels": [ { "channel": "email", "value": "jh@example.org" } ] });
    let third = submit(&app, &token, &again).await?;
    assert_eq!(person_of(&app, &third).await?, stranger);
    let found = matches_of(&app, &third).await?;
    assert!(
        found.iter().any(|(_, state, _)| state == "possible"),
        "recognition found the pair again: {found:?}"
    );
    assert!(
        hub.possible_matches().await?.is_empty(),
        "but the hub said they are different people, so it is not proposed"
    );
    assert_eq!(hub.count_possible_matches().await?, 0);
    Ok(())
}

#[tokio::test]
async fn marac_escalation_counts_a_person_s_linked_referrals() -> R {
    let app = trained_app().await?;
    let token = app.api_token("New Era").await?;
    let mut ids = Vec::new();
    for (given, date) in [
        ("Jodie", "2026-09-01"),
        ("Jody", "2026-10-01"),
        ("Jodi", "2026-11-20"),
    ] {
        let mut person = jodie();
        person["given_name"] = json!(given);
        let mut body = referral(person, "07700 900123");
        body["reported_to_police"] = json!(true);
        body["incident_date"] = json!(date);
        ids.push(submit(&app, &token, &body).await?);
    }
    let people: std::collections::HashSet<String> = {
        let mut s = std::collections::HashSet::new();
        for id in &ids {
            s.insert(person_of(&app, id).await?);
        }
        s
    };
    assert_eq!(people.len(), 1, "three spellings, one person");
    let hub = hub(&app).await?;
    let context = hub
        .triage_context(&harbour_domain::ids::ReferralId::from(ids[2].as_str()))
        .await?;
    assert_eq!(context.marac_from_records.police_incidents_in_year, 3);
    assert!(context.marac_from_records.potential_escalation);
    Ok(())
}

#[tokio::test]
async fn a_person_s_history_reaches_no_further_than_the_viewer_may_see() -> R {
    use harbour_domain::ids::PersonId;
    use harbour_domain::role::Role;
    use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, store_as, triaged_referral};
    let app = trained_app().await?;
    // Alys, referred by the police and on to New Era's IDVAs; then again, misspelt, by New Era.
    let first = triaged_referral(&app.db, Case::default()).await?;
    refer_on(&app.db, &first, &service_id(&app.db, IDVA).await?).await?;
    let alys = person_of(&app, first.as_str()).await?;
    let token = app.api_token("The Alice Charity").await?;
    let again = json!({ "given_name": "Alis", "family_name": "Brereton", "date_of_birth": "1990-04-02",
                        "postcode": "ST16 2DH", "area": "E07000197", "address": "4 Quiet Lane, Stafford" });
    let second = submit(&app, &token, &referral(again, "07700 900123")).await?;
    assert_eq!(person_of(&app, &second).await?, alys, "recognised");

    let person = PersonId::from(alys.as_str());
    let hub = hub(&app).await?;
    let whole = hub.person_history(&person).await?;
    assert!(whole.whole);
    assert_eq!(whole.referrals.len(), 2);

    // New Era's caseworker sees the referral sent to New Era, not the Alice Charity's.
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    let shared = new_era.person_history(&person).await?;
    assert!(!shared.whole);
    assert_eq!(
        (shared.name.as_str(), shared.born),
        ("Alys", None),
        "no more than the onward referral itself shows"
    );
    assert_eq!(shared.referrals[0].name, "Alys");
    assert_eq!(shared.referrals.len(), 1);
    assert_eq!(shared.referrals[0].referral_id, first);
    assert!(shared.merges.is_empty());
    // A caseworker elsewhere sees nothing, and no one but the hub sees possible matches.
    let alice = store_as(&app.db, "The Alice Charity", Role::Caseworker).await?;
    assert!(matches!(
        alice.person_history(&person).await,
        Err(harbour_storage::StorageError::NotFound(_))
    ));
    for store in [&new_era, &alice] {
        assert!(matches!(
            store.possible_matches().await,
            Err(harbour_storage::StorageError::Denied(_))
        ));
    }
    Ok(())
}

#[tokio::test]
async fn a_perpetrator_named_in_other_referrals_is_recognised_for_the_hub_only() -> R {
    use harbour_domain::ids::ReferralId;
    use harbour_domain::role::Role;
    let app = TestApp::spawn().await?;
    let token = app.api_token("Staffordshire Police").await?;
    let naming = |given: &str, family: &str, born: &str, perpetrator: serde_json::Value| {
        let mut body = referral(
            json!({ "given_name": given, "family_name": family, "date_of_birth": born,
                    "postcode": "ST16 2DH", "area": "E07000197" }),
            "07700 900123",
        );
        body["source"] = json!("police");
        body["reported_to_police"] = json!(true);
        body["police_reference"] = json!("SP/26/1");
        body["perpetrators"] = json!([perpetrator]);
        body
    };
    let rhys = |name: &str, age: u32| json!({ "name": name, "relationship": "ex-partner", "gender": "male", "age": age });
    let first = submit(
        &app,
        &token,
        &naming("Alys", "Brereton", "1990-04-02", rhys("Rhys Calder", 34)),
    )
    .await?;
    let second = submit(
        &app,
        &token,
        &naming("Megan", "Oakes", "1994-07-19", rhys("Rees Calder", 35)),
    )
    .await?;
    submit(
        &app,
        &token,
        &naming("Nia", "Platt", "1988-01-05", rhys("Tom Calder", 61)),
    )
    .await?;
    let third = submit(
        &app,
        &token,
        &naming("Sophie", "Dale", "1999-12-30", rhys("R. Calder", 34)),
    )
    .await?;

    let hub = hub(&app).await?;
    let found = hub
        .perpetrators_named_elsewhere(&ReferralId::from(third.as_str()))
        .await?;
    assert_eq!(found.len(), 1);
    let ids: Vec<&str> = found[0].referrals.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "Rhys and Rees, not Tom: {ids:?}");
    assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()));
    assert_eq!(found[0].other_people, 2);

    // The hub's page for the referral says so; a caseworker may not ask.
    let page = app.signed_in(Role::TriageOfficer).await?;
    let (_, html) = page.get_text(&format!("/referrals/{third}")).await?;
    assert!(
        html.contains("Named in 2 other referrals in the 12 months before this one"),
        "{html}"
    );
    let caseworker = harbour_testkit::cases::store_as(&app.db, "New Era", Role::Caseworker).await?;
    assert!(matches!(
        caseworker
            .perpetrators_named_elsewhere(&ReferralId::from(third.as_str()))
            .await,
        Err(harbour_storage::StorageError::Denied(_))
    ));
    Ok(())
}

#[tokio::test]
async fn dedupe_proposes_people_stored_twice_once_and_respects_the_hub() -> R {
    use harbour_domain::ids::MatchId;
    use harbour_storage::recognition::dedupe::dedupe;
    use harbour_storage::recognition::matches::Decision;
    // Stored twice before recognition was trained, as after a migration: then only the exact
    // names and date of birth joined referrals, and Jody is not Jodie.
    let app = TestApp::spawn().await?;
    harbour_storage::demo::load_demo_referrals(&app.db, 300).await?;
    let token = app.api_token("New Era").await?;
    let first = submit(&app, &token, &referral(jodie(), "07700 900123")).await?;
    let mut jody = jodie();
    jody["given_name"] = json!("Jody");
    let second = submit(&app, &token, &referral(jody, "07700 900123")).await?;
    assert_ne!(
        person_of(&app, &first).await?,
        person_of(&app, &second).await?
    );
    let no_model = dedupe(&app.db, true).await;
    assert!(matches!(
        no_model,
        Err(harbour_storage::StorageError::Invalid(_))
    ));
    harbour_storage::recognition::ready(&app.db).await?;

    let dry = dedupe(&app.db, true).await?;
    assert_eq!((dry.likely_same, dry.proposed), (1, 0), "{dry:?}");
    let hub = hub(&app).await?;
    assert!(
        hub.possible_matches().await?.is_empty(),
        "a dry run proposes nothing"
    );
    let run = dedupe(&app.db, false).await?;
    assert_eq!(run.proposed, 1, "{run:?}");
    let queue = hub.possible_matches().await?;
    assert_eq!(queue.len(), 1);
    let again = dedupe(&app.db, false).await?;
    assert_eq!((again.already_known, again.proposed), (1, 0), "{again:?}");
    hub.decide_match(
        &MatchId::from(queue[0].id.as_str()),
        Decision::Different,
        "twins",
    )
    .await?;
    let after = dedupe(&app.db, false).await?;
    assert_eq!(
        (after.already_known, after.proposed),
        (1, 0),
        "judged different: {after:?}"
    );
    assert!(hub.possible_matches().await?.is_empty());
    Ok(())
}

/// `harbour people link --against-database`: a file from an older system linked to the people
/// already stored, by their referral references; and `harbour people dedupe --dry-run` says what
/// it would propose.
#[tokio::test]
async fn the_command_line_links_a_file_against_the_database() -> R {
    use std::process::Command;
    let app = trained_app().await?;
    let token = app.api_token("New Era").await?;
    let first = submit(&app, &token, &referral(jodie(), "07700 900123")).await?;
    let reference: String = sqlx::query_scalar("SELECT reference FROM referrals WHERE id = $1")
        .bind(&first)
        .fetch_one(app.db.pool())
        .await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("old.csv");
    std::fs::write(
        &file,
        "ref,first,last,dob,postcode,phone\n\
         OLD-1,Jody,Harroby,04/03/1990,ST16 2DH,07700 900123\n\
         OLD-2,Bartholomew,Quince,1951-11-30,DE13 0AA,07700 900777\n",
    )?;
    let (pairs, clusters) = (
        dir.path().join("pairs.csv"),
        dir.path().join("clusters.csv"),
    );
    let harbour = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_harbour"))
            .args(args)
            .current_dir(dir.path())
            .env("HARBOUR_DATABASE_URL", &app.test_db.url)
            .env(
                "HARBOUR_ENCRYPTION_KEY",
                harbour_storage::sealed::KeyEncryptionKey::development_base64(),
            )
            .env("HARBOUR_LOG", "warn")
            .output()
    };
    let out = harbour(&[
        "people",
        "link",
        file.to_str().unwrap_or_default(),
        "--id",
        "ref",
        "--map",
        "given_name=first,family_name=last,date_of_birth=dob,postcode=postcode,phone=phone",
        "--pairs",
        pairs.to_str().unwrap_or_default(),
        "--clusters",
        clusters.to_str().unwrap_or_default(),
        "--against-database",
    ])?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{:?} {said}", out.status);
    let written = std::fs::read_to_string(&pairs)?;
    let linked: Vec<(String, String, f64)> = written
        .lines()
        .skip(1)
        .filter_map(|l| {
            let parts: Vec<&str> = l.split(',').collect();
            Some((
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts.get(2)?.parse().ok()?,
            ))
        })
        .collect();
    assert!(
        linked
            .iter()
            .any(|(a, b, p)| a == "OLD-1" && *b == reference && *p >= 0.9),
        "Jody in the old file is the Jodie referred: {written}"
    );
    assert!(
        !linked.iter().any(|(a, _, p)| a == "OLD-2" && *p >= 0.9),
        "{written}"
    );

    let out = harbour(&["people", "dedupe", "--dry-run"])?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Dry run: nothing proposed"), "{said}");
    Ok(())
}

/// The administrator's page: the thresholds as percentages, refused with a reason beside the
/// field when they make no sense (what was typed kept), and training again.
#[tokio::test]
async fn the_administrator_sets_the_thresholds_and_trains_again() -> R {
    use harbour_domain::role::Role;
    let app = trained_app().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let (status, html) = admin.get_text("/home").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/admin/recognition"),
        "reachable from the home page"
    );
    let (_, html) = admin.get_text("/admin/recognition").await?;
    assert!(html.contains("Join to the known person when at least this likely (%)"));
    assert!(
        html.contains("value=\"99\""),
        "the default, as a percentage"
    );

    let page = "/admin/recognition";
    let r = admin
        .submit(
            page,
            "/admin/recognition/thresholds",
            &[("link", "90"), ("possible", "95")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    assert!(html.contains("The level for a possible match must be below the level for linking"));
    assert!(html.contains("id=\"possible-error\""), "next to the field");
    assert!(html.contains("value=\"95\""), "what was typed is kept");
    let r = admin
        .submit(
            page,
            "/admin/recognition/thresholds",
            &[("link", "hundred"), ("possible", "60")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("Enter a percentage between 0 and 100, such as 99")
    );

    let r = admin
        .submit(
            page,
            "/admin/recognition/thresholds",
            &[("link", "98.5"), ("possible", "60%")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t = harbour_storage::recognition::model::thresholds(&app.db).await?;
    assert!(
        (t.link - 0.985).abs() < 1e-9 && (t.possible - 0.6).abs() < 1e-9,
        "{t:?}"
    );

    let before = harbour_storage::recognition::model::models(&app.db)
        .await?
        .len();
    let r = admin.submit(page, "/admin/recognition/train", &[]).await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        harbour_storage::recognition::model::models(&app.db)
            .await?
            .len(),
        before + 1
    );
    let (_, html) = admin.get_text(page).await?;
    assert!(
        !html.contains("Jodie") && !html.contains("HBR-"),
        "figures only, no record"
    );
    Ok(())
}
