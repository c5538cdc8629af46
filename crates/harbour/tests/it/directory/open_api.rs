//! The open API: every endpoint and filter, paging, errors, schema validation, the canary.

use super::*;

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
