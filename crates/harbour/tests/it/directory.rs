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

#[tokio::test]
async fn the_root_names_the_standard_and_the_openapi_document() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    for path in ["", "/"] {
        let root = open.ok(path).await?;
        assert_eq!(root["version"], "HSDS-UK-3.0");
        assert!(
            root["openapi_url"]
                .as_str()
                .unwrap_or("")
                .ends_with("/oruk/v3/openapi.json")
        );
    }
    let doc = open.ok("/openapi.json").await?;
    assert!(doc["paths"]["/services"].is_object());
    Ok(())
}

#[tokio::test]
async fn every_service_validates_and_lists_page_as_the_standard_says() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let first = open.services("per_page=5").await?;
    assert_eq!(first["total_items"], ALL);
    assert_eq!(first["total_pages"], 4);
    assert_eq!(first["page_number"], 1);
    assert_eq!(first["size"], 5);
    assert_eq!(first["first_page"], true);
    assert_eq!(first["last_page"], false);
    assert_eq!(first["empty"], false);
    let last = open.services("per_page=5&page=4").await?;
    assert_eq!(last["size"], 3);
    assert_eq!(last["last_page"], true);
    assert_eq!(last["first_page"], false);
    let beyond = open.services("per_page=5&page=5").await?;
    assert_eq!(beyond["empty"], true);
    assert_eq!(beyond["contents"], json!([]));

    // Pages do not overlap and together hold every service, in name order.
    let mut seen = Vec::new();
    for page in 1..=4 {
        let body = open.services(&format!("per_page=5&page={page}")).await?;
        for s in body["contents"].as_array().into_iter().flatten() {
            seen.push((
                s["name"].as_str().unwrap_or("").to_owned(),
                s["id"].as_str().unwrap_or("").to_owned(),
            ));
            assert!(
                s["organization"]["name"].is_string(),
                "list items carry their organisation"
            );
            assert!(
                s.get("service_areas").is_none(),
                "list items carry no child arrays"
            );
        }
    }
    assert_eq!(seen.len() as u64, ALL);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);

    // Every service in full, against the compiled schema.
    for (name, id) in &seen {
        let full = open.ok(&format!("/services/{id}")).await?;
        let errors = open.schemas.errors(Shape::Service, &full);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert_eq!(&full["name"], name.as_str());
        assert!(
            full["attributes"].as_array().is_some_and(|a| !a.is_empty()),
            "{name} has its needs"
        );
        // Optional fields without a value are left out, never null or empty.
        assert!(!full.to_string().contains("null"), "{name}");
        assert!(!full.to_string().contains("[]"), "{name}");
    }
    Ok(())
}

/// A refuge's location is simply absent from the open feed, which then validates against the
/// Open Referral UK schema exactly as published: the service stays, with its public routes in,
/// and `/service_at_locations` leaves the pair out.
#[tokio::test]
async fn a_refuge_location_is_absent_and_the_feed_validates_as_published() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let body = open.services("search=refuge").await?;
    let id = body["contents"][0]["id"].as_str().unwrap_or("").to_owned();
    let refuge = open.ok(&format!("/services/{id}")).await?;
    assert!(
        refuge
            .get("service_at_locations")
            .and_then(|l| l.as_array())
            .is_none_or(|l| l.is_empty()),
        "no withheld location: {refuge}"
    );
    assert!(
        refuge["phones"].as_array().is_some_and(|p| !p.is_empty())
            || refuge.get("url").is_some()
            || refuge.get("email").is_some(),
        "its public routes in"
    );
    let strict = Schemas::as_published().errors(Shape::Service, &refuge);
    assert!(strict.is_empty(), "{strict:#?}");
    let pairs = open.ok("/service_at_locations?per_page=1000").await?;
    assert!(
        !pairs.to_string().contains(&id),
        "no pair for the refuge's withheld location"
    );
    // A public location keeps its address and point.
    let alice = open.services("search=alice").await?;
    let alice_id = alice["contents"][0]["id"].as_str().unwrap_or("").to_owned();
    let alice = open.ok(&format!("/services/{alice_id}")).await?;
    let place = &alice["service_at_locations"][0]["location"];
    assert_eq!(place["location_type"], "physical");
    assert_eq!(place["addresses"][0]["postal_code"], "ST5 1AB");
    Ok(())
}

#[tokio::test]
async fn every_filter_narrows_and_filters_combine() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let count = |names: Vec<String>| names.len();
    assert_eq!(open.names("search=refuge").await?, ["New Era refuge"]);
    assert_eq!(
        count(open.names("search=NEW%20ERA").await?),
        5,
        "matches the organisation's name too, in any case"
    );
    assert_eq!(
        count(open.names("search=100%25").await?),
        0,
        "wildcards are searched for as text"
    );
    let accommodation = term(HarbourTaxonomy::Needs, "accommodation");
    assert_eq!(
        count(
            open.names(&format!("taxonomy_term_id={accommodation}"))
                .await?
        ),
        7
    );
    let crimes = HarbourTaxonomy::Crimes.id();
    assert_eq!(
        count(open.names(&format!("taxonomy_id={crimes}")).await?),
        13
    );
    assert_eq!(count(open.names("minimum_age=16").await?), 9);
    assert_eq!(
        open.names("maximum_age=17").await?,
        ["Catch 22 return-home interviews"]
    );
    assert_eq!(count(open.names("day=SA").await?), 0);
    assert_eq!(count(open.names("day=WE").await?), ALL as usize);
    assert_eq!(
        open.names("start_time=10:00").await?,
        ["New Era drop-in: Stafford town"]
    );
    assert_eq!(
        open.names("end_time=13:00").await?,
        ["New Era drop-in: Stafford town"]
    );
    assert_eq!(
        count(open.names("start_time=08:00&end_time=20:00").await?),
        ALL as usize
    );
    assert_eq!(
        count(open.names("day=MO&end_time=13:00").await?),
        0,
        "one schedule must satisfy every time filter"
    );
    let gateway_org = open.services("search=gateway").await?["contents"][0]["organization"]["id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert_eq!(
        count(
            open.names(&format!("organization_id={gateway_org}"))
                .await?
        ),
        1
    );
    assert_eq!(
        count(open.names("modified_after=2000-01-01").await?),
        ALL as usize
    );
    assert_eq!(
        count(open.names("modified_after=2999-01-01T00:00:00Z").await?),
        0
    );

    // Postcodes: inside the service areas (district, county, country, or a drawn area).
    assert_eq!(
        count(open.names("postcode=ST16%203AA").await?),
        14,
        "Stafford, inside the town wards"
    );
    let south_stafford = open.names("postcode=st174aa").await?;
    assert_eq!(
        south_stafford.len(),
        13,
        "Stafford, outside the drawn town area"
    );
    assert!(!south_stafford.iter().any(|n| n.contains("drop-in")));
    let newcastle = open.names("postcode=ST5%201AB").await?;
    assert_eq!(newcastle.len(), 15);
    assert!(newcastle.iter().any(|n| n.contains("Alice")));
    // With a distance: delivered at a public location within it.
    let near = open.names("postcode=ST16%203AA&proximity=2000").await?;
    assert_eq!(
        near,
        [
            "New Era drop-in: Stafford town",
            "Victim Gateway: information, advice and support"
        ]
    );
    // All together.
    assert_eq!(
        count(
            open.names(&format!(
                "taxonomy_term_id={accommodation}&postcode=ST5%201AB"
            ))
            .await?
        ),
        5
    );
    assert_eq!(
        open.names(&format!(
            "taxonomy_term_id={accommodation}&postcode=ST5%201AB&minimum_age=18"
        ))
        .await?,
        ["Sanctuary scheme: Newcastle-under-Lyme"]
    );
    Ok(())
}

#[tokio::test]
async fn a_refuge_cannot_be_found_by_searching_around_it() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    // ST16 9ZZ is the refuge's own postcode; its location is 750 m from ST16 3AA.
    for query in [
        "postcode=ST16%203AA&proximity=1000",
        "postcode=ST16%202AB&proximity=1500",
    ] {
        let names = open.names(query).await?;
        assert!(
            !names.iter().any(|n| n.contains("refuge")),
            "{query}: {names:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn searches_can_be_posted_so_postcodes_stay_out_of_addresses() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let url = format!("{}/services", open.base);
    let form = open
        .http
        .post(&url)
        .form(&[("postcode", "ST5 1AB"), ("per_page", "100")])
        .send()
        .await?;
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(form.headers()["access-control-allow-origin"], "*");
    let form: Value = form.json().await?;
    assert_eq!(form["total_items"], 15);
    let as_json: Value = open
        .http
        .post(&url)
        .json(&json!({ "postcode": "ST5 1AB", "minimum_age": 18 }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        as_json["total_items"], 2,
        "the business crime advisor and Newcastle's sanctuary scheme"
    );
    assert!(
        open.schemas
            .page_errors(Shape::ServiceListItem, &as_json)
            .is_empty()
    );
    let sal: Value = open
        .http
        .post(format!("{}/service_at_locations", open.base))
        .json(&json!({ "postcode": "ST16 3AA", "proximity": 2000 }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(sal["total_items"], 2);
    let wrong_type = open
        .http
        .post(&url)
        .body("postcode=ST5")
        .header("content-type", "text/plain")
        .send()
        .await?;
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bad = open
        .http
        .post(&url)
        .json(&json!({ "postcode": "nowhere" }))
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    // A browser on another site may ask first.
    let preflight = open
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://example.org")
        .header("access-control-request-method", "POST")
        .send()
        .await?;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    Ok(())
}

#[tokio::test]
async fn service_at_locations_taxonomies_and_terms_validate_and_page() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let list = open.ok("/service_at_locations?per_page=2").await?;
    let errors = open
        .schemas
        .page_errors(Shape::ServiceAtLocationListItem, &list);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        list["total_items"], 3,
        "the gateway office, the warehouse and the drop-in; the refuge's withheld location is left out"
    );
    let mut ids = Vec::new();
    for page in 1..=2 {
        let body = open
            .ok(&format!("/service_at_locations?per_page=2&page={page}"))
            .await?;
        for item in body["contents"].as_array().into_iter().flatten() {
            ids.push(item["id"].as_str().unwrap_or("").to_owned());
        }
    }
    assert_eq!(ids.len(), 3);
    // The refuge's pair is not found one by one either.
    let refuge_pair: String = sqlx::Row::get(&sqlx::query(
        "SELECT x.id FROM dir_service_at_locations x JOIN dir_locations l ON l.id = x.location_id \
         WHERE l.confidential",
    )
    .fetch_one(app.db.pool())
    .await?, 0);
    let r = open
        .http
        .get(format!("{}/service_at_locations/{refuge_pair}", open.base))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for id in &ids {
        let full = open.ok(&format!("/service_at_locations/{id}")).await?;
        let errors = open.schemas.errors(Shape::ServiceAtLocation, &full);
        assert!(errors.is_empty(), "{id}: {errors:#?}");
        assert!(full["service"]["name"].is_string() && full["location"]["id"].is_string());
    }
    let filtered = open.ok("/service_at_locations?search=alice").await?;
    assert_eq!(filtered["total_items"], 1);

    let taxonomies = open.ok("/taxonomies").await?;
    assert!(
        open.schemas
            .page_errors(Shape::Taxonomy, &taxonomies)
            .is_empty()
    );
    assert_eq!(taxonomies["total_items"], 3);
    for t in taxonomies["contents"].as_array().into_iter().flatten() {
        let one = open
            .ok(&format!("/taxonomies/{}", t["id"].as_str().unwrap_or("")))
            .await?;
        assert!(open.schemas.errors(Shape::Taxonomy, &one).is_empty());
        assert_eq!(one["name"], t["name"]);
    }
    let terms = open.ok("/taxonomy_terms?per_page=10").await?;
    assert!(
        open.schemas
            .page_errors(Shape::TaxonomyTerm, &terms)
            .is_empty()
    );
    assert_eq!(terms["total_items"], 8 + 4 + 19);
    assert_eq!(terms["total_pages"], 4);
    let needs = open
        .ok(&format!(
            "/taxonomy_terms?taxonomy_id={}",
            HarbourTaxonomy::Needs.id()
        ))
        .await?;
    assert_eq!(needs["total_items"], 8);
    let accommodation = open
        .ok(&format!(
            "/taxonomy_terms/{}",
            term(HarbourTaxonomy::Needs, "accommodation")
        ))
        .await?;
    assert!(
        open.schemas
            .errors(Shape::TaxonomyTerm, &accommodation)
            .is_empty()
    );
    assert_eq!(accommodation["name"], "Shelter and accommodation");
    assert_eq!(
        accommodation["taxonomy_detail"]["name"],
        "Categories of need"
    );
    Ok(())
}

#[tokio::test]
async fn unknown_ids_are_not_found_and_bad_parameters_are_named() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let nobody = "00000000-0000-4000-8000-000000000000";
    for path in [
        "services",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
    ] {
        let (status, body) = open.get(&format!("/{path}/{nobody}")).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["status"], 404);
        let (status, _) = open.get(&format!("/{path}/not-a-uuid")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
    let (status, _) = open.get("/organizations").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the UK profile");
    for (query, parameter) in [
        ("page=0", "page"),
        ("page=two", "page"),
        ("per_page=0", "per_page"),
        ("per_page=1001", "per_page"),
        ("minimum_age=old", "minimum_age"),
        ("maximum_age=-1", "maximum_age"),
        ("taxonomy_term_id=housing", "taxonomy_term_id"),
        ("taxonomy_id=1", "taxonomy_id"),
        ("organization_id=x", "organization_id"),
        ("day=funday", "day"),
        ("start_time=25:99", "start_time"),
        ("end_time=noon", "end_time"),
        ("modified_after=yesterday", "modified_after"),
        ("postcode=NOWHERE", "postcode"),
        ("postcode=ZZ9%209ZZ", "postcode"),
        ("proximity=500", "proximity"),
        ("postcode=ST5%201AB&proximity=far", "proximity"),
        ("format=xml", "format"),
        ("full=maybe", "full"),
        ("colour=blue", "colour"),
        ("page=1&page=2", "page"),
    ] {
        open.bad(&format!("/services?{query}"), parameter).await?;
    }
    open.bad("/service_at_locations?postcode=ST5", "postcode")
        .await?;
    open.bad("/taxonomies?search=x", "search").await?;
    open.bad(
        &format!(
            "/taxonomy_terms?taxonomy_id={}&per_page=x",
            HarbourTaxonomy::Needs.id()
        ),
        "per_page",
    )
    .await?;
    let (status, _) = open.get(&format!("/services/{nobody}?full=true")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn full_lists_and_ndjson_carry_nothing_confidential() -> R {
    let app = TestApp::spawn().await?;
    let open = Open::new(&app);
    let full = open.ok("/services?full=true&per_page=1000").await?;
    assert_eq!(
        full["contents"].as_array().map(Vec::len),
        Some(ALL as usize)
    );
    for s in full["contents"].as_array().into_iter().flatten() {
        let errors = open.schemas.errors(Shape::Service, s);
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let r = open
        .http
        .get(format!("{}/services?format=ndjson&full=true", open.base))
        .send()
        .await?;
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await?;
    assert_eq!(text.lines().count() as u64, ALL);
    for secret in CONFIDENTIAL {
        assert!(!text.contains(secret), "ndjson leaks {secret}");
    }
    let sal = open.ok("/service_at_locations?full=true").await?;
    assert_eq!(sal["total_items"], 3, "the refuge's pair is left out");
    Ok(())
}

#[tokio::test]
async fn the_open_api_is_throttled_per_client() -> R {
    let app = TestApp::spawn_with(|c| c.open_data_requests_per_minute = 3).await?;
    let http = reqwest::Client::new();
    let url = format!("{}{BASE}/services", app.url);
    for _ in 0..3 {
        assert_eq!(http.get(&url).send().await?.status(), StatusCode::OK);
    }
    let refused = http.get(&url).send().await?;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "60");
    assert_eq!(refused.headers()["access-control-allow-origin"], "*");
    Ok(())
}

mod loading {
    use super::*;
    use harbour_storage::directory::{self, Loader, View};
    use harbour_storage::postcodes;
    use harbour_testkit::TestDb;

    const EXAMPLE: &str =
        include_str!("../../../testkit/vendor/oruk-3.0/examples/service_full.json");

    fn loader() -> Loader {
        Loader {
            user_id: None,
            agency_id: None,
            label: "test".into(),
            request_id: "test".into(),
        }
    }

    async fn demo_db() -> anyhow::Result<(TestDb, harbour_storage::Db)> {
        let t = TestDb::new().await?;
        let db = t.open().await?;
        harbour_storage::demo::load_demo(&db).await?;
        Ok((t, db))
    }

    #[tokio::test]
    async fn a_feed_with_a_bad_record_says_which_and_why_and_loads_the_rest() -> R {
        let (_t, db) = demo_db().await?;
        // The standard's own example: its service area's extent is not GeoJSON, and its
        // location is at latitude 100.
        let feed: Value = serde_json::from_str(EXAMPLE)?;
        let mut off_the_globe = feed.clone();
        off_the_globe["id"] = json!("9b2f4c8e-0b9a-4f63-8d0e-6a1c2b3d4e5f");
        off_the_globe["service_areas"][0]["extent_type"] = json!("text");
        let mut good = off_the_globe.clone();
        good["id"] = json!("5a0e3e1c-1d5f-4d7e-9d55-2f6d1f3f2a10");
        good["name"] = json!("Community Counselling (fixed)");
        good["service_at_locations"][0]["location"]["latitude"] = json!(52.8);
        good["service_at_locations"][0]["location"]["longitude"] = json!(-2.1);
        let file = json!([feed, off_the_globe, good, { "id": "not-a-uuid", "name": "X", "status": "active" }]);
        let export = directory::parse_file(&file.to_string())?;
        let report = directory::import(&db, &export, &loader()).await?;
        assert_eq!(report.created, 1, "{:?}", report.rejected);
        let reasons: Vec<(usize, &str)> = report
            .rejected
            .iter()
            .map(|(i, _, why)| (*i, why.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3);
        assert!(
            reasons[0].0 == 0
                && reasons[0].1.contains("service_areas/0")
                && reasons[0].1.contains("GeoJSON"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].0 == 1 && reasons[1].1.contains("latitude"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].0 == 3 && reasons[2].1.contains("UUID"),
            "{reasons:?}"
        );
        // Loading it again updates; nothing is duplicated.
        let again = directory::import(&db, &export, &loader()).await?;
        assert_eq!((again.created, again.updated), (0, 1));
        let ids = directory::search::all_services(&db, &Default::default()).await?;
        assert_eq!(ids.len() as u64, ALL + 1);
        let loaded = directory::read::services_full(
            &db,
            &["5a0e3e1c-1d5f-4d7e-9d55-2f6d1f3f2a10".into()],
            View::Public,
        )
        .await?;
        let errors =
            Schemas::as_published().errors(Shape::Service, &serde_json::to_value(&loaded[0])?);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(
            loaded[0].service_at_locations[0]
                .location
                .as_ref()
                .map(|l| l.latitude),
            Some(Some(52.8))
        );
        assert_eq!(
            loaded[0].attributes.len(),
            1,
            "its taxonomy term came with it"
        );
        for bad in ["not json", "{\"nothing\": 1}", "[{\"id\": 5}]"] {
            assert!(directory::parse_file(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn reloading_a_feed_without_harbours_fields_keeps_them() -> R {
        let (_t, db) = demo_db().await?;
        let mut export = directory::export(&db, View::Partner, &loader()).await?;
        let refuge = export
            .services
            .iter()
            .position(|s| s.name == "New Era refuge")
            .unwrap();
        assert_eq!(
            export.services[refuge]
                .harbour
                .as_ref()
                .and_then(|h| h.capacity_free),
            Some(2)
        );
        // The same services as a council would publish them: no Harbour fields at all.
        for s in &mut export.services {
            s.harbour = None;
            s.description = Some("Updated by the council".into());
        }
        let report = directory::import(&db, &export, &loader()).await?;
        assert_eq!(
            (report.created, report.updated, report.rejected.len()),
            (0, ALL as usize, 0)
        );
        let after = directory::export(&db, View::Partner, &loader()).await?;
        let refuge = after
            .services
            .iter()
            .find(|s| s.name == "New Era refuge")
            .unwrap();
        assert_eq!(
            refuge.description.as_deref(),
            Some("Updated by the council")
        );
        let h = refuge.harbour.as_ref().unwrap();
        assert_eq!(
            (h.capacity_free, h.capacity_total, h.gender.as_deref()),
            (Some(2), Some(9), Some("women"))
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_export_loads_into_another_harbour_unchanged_and_the_public_one_holds_no_secrets()
    -> R {
        let (_t, db) = demo_db().await?;
        let export = directory::export(&db, View::Partner, &loader()).await?;
        assert_eq!(export.services.len() as u64, ALL);
        let text = serde_json::to_string(&export)?;
        assert!(text.contains("Larkspur"), "the partner export is complete");

        let other = TestDb::new().await?;
        let other_db = other.open().await?;
        harbour_storage::demo::load_demo(&other_db).await?;
        sqlx::query("DELETE FROM dir_attributes")
            .execute(other_db.pool())
            .await?;
        let report =
            directory::import(&other_db, &directory::parse_file(&text)?, &loader()).await?;
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        let again = directory::export(&other_db, View::Partner, &loader()).await?;
        assert_eq!(
            serde_json::to_value(&again.services)?,
            serde_json::to_value(&export.services)?
        );

        let public =
            serde_json::to_string(&directory::export(&db, View::Public, &loader()).await?)?;
        for secret in CONFIDENTIAL {
            assert!(!public.contains(secret), "the public export leaks {secret}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn postcode_files_load_in_either_layout_and_bad_lines_are_named() -> R {
        let t = TestDb::new().await?;
        let db = t.open().await?;
        let (layout, report) =
            postcodes::import_postcodes(&db, postcodes::DEMO_POSTCODES_CSV.as_bytes()).await?;
        assert_eq!(layout, postcodes::Layout::Onspd);
        assert_eq!(
            report.skipped, 2,
            "one terminated, one without a grid reference"
        );
        assert_eq!(report.rejected_count, 0);
        assert_eq!(report.loaded, 277);
        assert_eq!(postcodes::count(&db).await?, 277);
        // Code-Point Open: eastings and northings on the National Grid, no header.
        let code_point = "\"ST16 2ZZ\",10,392000,323000,\"E92000001\",\"\",\"\",\"E10000028\",\"E07000197\",\"E05000000\"\n\
                          \"ST162ZY\",10,392100,323100,\"E92000001\",\"\",\"\",\"E10000028\",\"E07000197\",\"E05000000\"\n\
                          \"NOT A CODE\",10,1,1,\"E92000001\",\"\",\"\",\"\",\"E07000197\",\"\"\n\
                          \"ST16 2ZX\",10,east,323000,\"E92000001\",\"\",\"\",\"\",\"E07000197\",\"\"\n";
        let (layout, report) = postcodes::import_postcodes(&db, code_point.as_bytes()).await?;
        assert_eq!(layout, postcodes::Layout::CodePoint);
        assert_eq!(report.loaded, 2);
        assert_eq!(
            report.rejected.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [3, 4]
        );
        let p = harbour_domain::postcode::Postcode::parse("st16 2zz").unwrap();
        let (point, area) = postcodes::locate(&db, &p).await?.unwrap();
        assert_eq!(area.as_deref(), Some("E07000197"));
        assert!(
            (52.7..52.9).contains(&point.latitude) && (-2.2..-2.0).contains(&point.longitude),
            "{point:?}"
        );
        // A new release loads over the old.
        let (_, again) = postcodes::import_postcodes(&db, code_point.as_bytes()).await?;
        assert_eq!(again.loaded, 2);
        assert_eq!(postcodes::count(&db).await?, 279);
        assert!(
            postcodes::import_postcodes(&db, "name,colour\nx,y\n".as_bytes())
                .await
                .is_err()
        );
        Ok(())
    }
}

mod pages {
    use super::*;
    use harbour_domain::role::Role;
    use sqlx::Row;

    async fn service_id(app: &TestApp, name: &str) -> anyhow::Result<String> {
        Ok(sqlx::query("SELECT id FROM dir_services WHERE name = $1")
            .bind(name)
            .fetch_one(app.db.pool())
            .await?
            .get("id"))
    }

    #[tokio::test]
    async fn the_public_search_finds_services_by_need_and_postcode_and_keeps_secrets() -> R {
        let app = TestApp::spawn().await?;
        let public = app.client();
        let (status, html) = public.get_text("/find-support").await?;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Exit this page") && html.contains("What do you need help with?"));
        let r = public
            .post_form(
                "/find-support",
                &[("need", "accommodation"), ("postcode", "st5 1ab")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers().get("set-cookie").is_none(),
            "the public search sets no cookie"
        );
        let html = r.text().await?;
        assert!(
            html.contains("5 services for shelter and accommodation near ST5 1AB"),
            "{html}"
        );
        for name in [
            "The Alice Charity",
            "New Era refuge",
            "Sanctuary scheme: Newcastle-under-Lyme",
        ] {
            assert!(html.contains(name), "{name}");
        }
        assert!(
            !html.contains("Sanctuary scheme: Stafford"),
            "Stafford's scheme does not cover Newcastle"
        );
        assert!(
            html.contains("withheld"),
            "the refuge says its address is withheld"
        );
        for secret in CONFIDENTIAL {
            assert!(!html.contains(secret), "the public search leaks {secret}");
        }
        // Without a postcode, by need only, in the address: nothing personal is in it.
        let (_, html) = public
            .get_text("/find-support?need=drugs_and_alcohol")
            .await?;
        assert!(html.contains("No services found"), "a gap is said plainly");
        assert!(html.contains("0330 0881 339"));
        // A mistake is shown next to the field, and the choice already made is kept.
        let r = public
            .post_form(
                "/find-support",
                &[("need", "finance_and_benefits"), ("postcode", "nowhere")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await?;
        assert!(html.contains("govuk-error-summary") && html.contains("id=\"postcode-error\""));
        assert!(html.contains("Enter a real postcode"));
        assert!(html.contains("value=\"finance_and_benefits\" checked"));
        assert!(html.contains("value=\"nowhere\""));
        let r = public
            .post_form("/find-support", &[("postcode", "ZZ9 9ZZ")])
            .await?;
        assert!(r.text().await?.contains("We do not know this postcode"));
        // Starting from what happened, in a person's own words: abuse at home finds the
        // domestic-abuse services first, and no service only for another crime.
        let (_, html) = public.get_text("/find-support").await?;
        assert!(html.contains("What happened to you?"));
        assert!(html.contains("(domestic abuse)"));
        let r = public
            .post_form("/find-support", &[("happened", "domestic_abuse")])
            .await?;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await?;
        let first = html
            .find("<h3")
            .and_then(|i| html[i..].split("</h3>").next())
            .unwrap_or_default();
        assert!(
            first.contains("New Era") || first.contains("domestic"),
            "a domestic-abuse service comes first: {first}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_services_own_agency_keeps_its_entry_current_and_every_change_is_recorded() -> R {
        let app = TestApp::spawn().await?;
        let refuge = service_id(&app, "New Era refuge").await?;
        let alice = service_id(&app, "The Alice Charity: basics and household furnishings").await?;
        let worker = app.signed_in(Role::Caseworker).await?; // New Era
        let (status, html) = worker.get_text("/directory").await?;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("New Era refuge") && html.contains("2 of 9 refuge spaces free"));
        let page = format!("/directory/services/{refuge}");
        let (_, html) = worker.get_text(&page).await?;
        assert!(
            html.contains("17 Larkspur Close"),
            "partners see the refuge's address"
        );
        assert!(html.contains("Confidential: this address is never published"));

        // Capacity: a mistake, then the right figure.
        let r = worker
            .submit(
                &page,
                &format!("{page}/capacity"),
                &[("free", "7"), ("total", "6")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await?;
        assert!(html.contains("There cannot be more free than there are in total"));
        assert!(html.contains("value=\"7\""), "what was typed is kept");
        let r = worker
            .submit(
                &page,
                &format!("{page}/capacity"),
                &[("free", "1"), ("total", "9")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = worker.get_text(&page).await?;
        assert!(html.contains("1 of 9 refuge spaces free, updated just now"));
        assert!(
            html.contains("2 of 9") && html.contains("1 of 9"),
            "the history has the change"
        );

        // Confirming it is current.
        worker
            .submit(&page, &format!("{page}/checked"), &[])
            .await?;
        let today = harbour_domain::calendar::uk_date(chrono::Utc::now())
            .format("%-d %B %Y")
            .to_string();
        let (_, html) = worker.get_text(&page).await?;
        assert!(html.contains(&today) && !html.contains("Check due"));

        // Editing: an error keeps everything typed; then a real change goes in the history.
        let edit = format!("{page}/edit");
        let (_, form) = worker.get_text(&edit).await?;
        assert!(form.contains("value=\"refuge spaces\""));
        let fields = [
            ("name", ""),
            (
                "description",
                "Safe emergency accommodation, now with two family rooms.",
            ),
            ("status", "active"),
            ("gender", "women"),
            ("needs", "accommodation"),
            ("needs", "family_and_children"),
            ("tiers", "acute"),
            ("crime_categories", "domestic_abuse"),
            ("minimum_age", "16"),
            ("areas", "E10000028"),
            ("areas", "E06000021"),
            ("referral_route", "harbour"),
            ("capacity_unit", "refuge spaces"),
        ];
        let r = worker.submit(&edit, &page, &fields).await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await?;
        assert!(
            html.contains("<a href=\"#name\">Enter the service"),
            "{html}"
        );
        assert!(
            html.contains("now with two family rooms"),
            "the description typed is kept"
        );
        let mut good = fields.to_vec();
        good[0] = ("name", "New Era refuge");
        let r = worker.submit(&edit, &page, &good).await?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = worker.get_text(&page).await?;
        assert!(html.contains("now with two family rooms"));
        assert!(
            html.contains(">description<"),
            "the history names the field changed"
        );
        // The public sees the new description and still not the address.
        let open = Open::new(&app);
        let body = open.ok(&format!("/services/{refuge}")).await?;
        assert!(
            body["description"]
                .as_str()
                .unwrap_or("")
                .contains("two family rooms")
        );

        // Another agency's entry is theirs to keep.
        let r = worker
            .get(&format!("/directory/services/{alice}/edit"))
            .await?;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = worker
            .submit(
                &format!("/directory/services/{alice}"),
                &format!("/directory/services/{alice}/capacity"),
                &[("free", "1")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // Reading the confidential entry is in the audit trail.
        let reads: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE entity_kind = 'directory_service' AND entity_id = $1 AND action = 'read'",
        )
        .bind(&refuge)
        .fetch_one(app.db.pool())
        .await?
        .get("n");
        assert!(reads >= 3, "{reads}");
        Ok(())
    }

    #[tokio::test]
    async fn an_administrator_adds_a_service_and_it_is_published() -> R {
        let app = TestApp::spawn().await?;
        let admin = app.signed_in(Role::Administrator).await?;
        let org: String = sqlx::query("SELECT id FROM dir_organizations WHERE name = 'Brake'")
            .fetch_one(app.db.pool())
            .await?
            .get("id");
        let fields = [
            ("organization_id", org.as_str()),
            ("name", "Brake family liaison support"),
            ("description", "Support for families after a road death."),
            ("status", "active"),
            ("gender", "any"),
            ("needs", "health"),
            ("areas", "E92000001"),
            ("referral_route", "email"),
            ("referral_email", "not an address"),
        ];
        let r = admin
            .submit("/directory/services/new", "/directory/services", &fields)
            .await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await?;
        assert!(html.contains("id=\"referral_email-error\""));
        assert!(
            html.contains("Brake family liaison support"),
            "the name typed is kept"
        );
        let mut good = fields.to_vec();
        good[8] = ("referral_email", "referrals@brake.example");
        let r = admin
            .submit("/directory/services/new", "/directory/services", &good)
            .await?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let open = Open::new(&app);
        let names = open.names("search=liaison").await?;
        assert_eq!(names, ["Brake family liaison support"]);
        let body = open.services("search=liaison").await?;
        let id = body["contents"][0]["id"].as_str().unwrap_or("").to_owned();
        let full = open.ok(&format!("/services/{id}")).await?;
        assert!(
            Schemas::as_published()
                .errors(Shape::Service, &full)
                .is_empty()
        );
        assert!(!full.to_string().contains("referrals@brake.example"));
        // Its areas decide who finds it by postcode: England-wide at first, then Stafford only.
        let in_newcastle = "search=liaison&postcode=ST5%201AB";
        assert_eq!(
            open.names(in_newcastle).await?,
            ["Brake family liaison support"]
        );
        let mut stafford_only = good.clone();
        stafford_only[6] = ("areas", "E07000197");
        let r = admin
            .submit(
                &format!("/directory/services/{id}/edit"),
                &format!("/directory/services/{id}"),
                &stafford_only,
            )
            .await?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(open.names(in_newcastle).await?.is_empty());
        assert_eq!(
            open.names("search=liaison&postcode=ST16%203AA").await?,
            ["Brake family liaison support"]
        );
        // A referrer may read the directory but keeps none of it.
        let referrer = app.signed_in(Role::Referrer).await?;
        assert_eq!(referrer.get("/directory").await?.status(), StatusCode::OK);
        assert_eq!(
            referrer.get("/directory/services/new").await?.status(),
            StatusCode::FORBIDDEN
        );
        Ok(())
    }

    #[tokio::test]
    async fn the_coverage_view_counts_services_per_area_and_need_and_shows_the_gaps() -> R {
        let app = TestApp::spawn().await?;
        let commissioner = app.signed_in(Role::Commissioner).await?;
        let (status, html) = commissioner.get_text("/coverage").await?;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Newcastle-under-Lyme") && html.contains("Drugs and alcohol"));
        assert!(html.contains("govuk-tag--red\">None"), "gaps stand out");

        let (_, all) = commissioner.get_text("/coverage.csv").await?;
        let lines: Vec<&str> = all.lines().collect();
        assert_eq!(
            lines[0],
            "area_code,area_name,population,category_of_need,services,partly_covering,gap,filter"
        );
        assert_eq!(lines.len(), 1 + 9 * 8, "a line per area and need");
        let cell = |text: &str, code: &str, need: &str| -> String {
            text.lines()
                .find(|l| l.starts_with(code) && l.contains(need))
                .map(|l| l.split(',').nth(4).unwrap_or("").to_owned())
                .unwrap_or_default()
        };
        assert_eq!(cell(&all, "E07000195", "Shelter and accommodation"), "5");
        assert_eq!(cell(&all, "E07000197", "Shelter and accommodation"), "4");
        assert_eq!(
            cell(&all, "E07000199", "Shelter and accommodation"),
            "3",
            "Tamworth has no sanctuary scheme"
        );
        assert_eq!(cell(&all, "E06000021", "Drugs and alcohol"), "0");
        assert!(
            all.lines().any(|l| l.starts_with("E07000197")
                && l.contains("Social interaction")
                && l.contains(",1,no,")),
            "the drawn Stafford drop-in counts as partly covering Stafford"
        );
        let (_, children) = commissioner.get_text("/coverage.csv?age=children").await?;
        assert_eq!(
            cell(&children, "E07000195", "Shelter and accommodation"),
            "4",
            "the sanctuary scheme is for adults"
        );
        let (_, men) = commissioner.get_text("/coverage.csv?gender=men").await?;
        assert_eq!(
            cell(&men, "E07000195", "Shelter and accommodation"),
            "4",
            "the refuge is for women"
        );
        let (_, acute) = commissioner.get_text("/coverage.csv?tier=acute").await?;
        assert_eq!(
            cell(&acute, "E07000195", "Shelter and accommodation"),
            "4",
            "outreach is targeted only"
        );

        let (status, html) = commissioner
            .get_text("/coverage/areas/E07000195?age=adults")
            .await?;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("The Alice Charity") && html.contains("adults (18 and over)"));
        assert_eq!(
            commissioner
                .get("/coverage/areas/E99999999")
                .await?
                .status(),
            StatusCode::NOT_FOUND
        );
        let referrer = app.signed_in(Role::Referrer).await?;
        assert_eq!(
            referrer.get("/coverage").await?.status(),
            StatusCode::FORBIDDEN
        );
        Ok(())
    }

    #[tokio::test]
    async fn the_triage_page_offers_the_services_that_fit_and_says_why_others_do_not() -> R {
        let app = TestApp::spawn().await?;
        let token = harbour_testkit::app::issue_token(&app.db, "Staffordshire Police").await?;
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/referrals", app.url))
            .bearer_auth(&token)
            .json(&json!({
                "source": "police",
                "crime_category": "domestic_abuse",
                "police_reference": "SP/26/4242",
                "incident_date": "2026-11-20",
                "person": { "given_name": "Ffion", "family_name": "Aldridge", "postcode": "ST5 1AB",
                            "area": "E07000195", "date_of_birth": "1990-04-02", "gender": "female" },
                "consent_to_referral": "given",
                "safe_contact": { "channels": [ { "channel": "phone_call", "value": "07700 900456" } ] }
            }))
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await?);
        let id = r.json::<Value>().await?["id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let hub = app.signed_in(Role::TriageOfficer).await?;
        let page = format!("/referrals/{id}/triage");
        let (status, html) = hub.get_text(&page).await?;
        assert_eq!(status, StatusCode::OK);
        let (suitable, rest) = html
            .split_once("Services that do not fit")
            .unwrap_or((&html, ""));
        for fits in [
            "New Era refuge",
            "The Alice Charity",
            "Sanctuary scheme: Newcastle-under-Lyme",
        ] {
            assert!(suitable.contains(fits), "{fits} fits");
        }
        assert!(
            rest.contains("Sanctuary scheme: Stafford</strong>: Does not work where they live"),
            "{rest}"
        );
        assert!(rest.contains("Challenge North Staffs hate crime service</strong>: Does not support victims of domestic abuse"));
        // With needs and a tier chosen (the form is not finished, so it comes back), the list
        // follows them.
        let r = hub
            .submit(
                &page,
                &page,
                &[("needs", "accommodation"), ("tier", "acute")],
            )
            .await?;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await?;
        assert!(html.contains("Matched on where they live, their age, gender, the crime, and: shelter and accommodation, acute tier"));
        let (suitable, rest) = html
            .split_once("Services that do not fit")
            .unwrap_or((&html, ""));
        assert!(
            suitable.contains("New Era refuge")
                && suitable.contains("Sanctuary scheme: Newcastle-under-Lyme")
        );
        assert!(
            rest.contains("New Era targeted outreach</strong>: Does not work at the acute tier"),
            "{rest}"
        );
        Ok(())
    }
}
