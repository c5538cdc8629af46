//! The directory's pages: the public search, an agency keeping its entry, adding a service,
//! the coverage view, and the services the triage page offers.

use super::*;
use harbour_domain::role::Role;
use sqlx::Row;

async fn service_id(app: &TestApp, name: &str) -> anyhow::Result<String> {
    harbour_testkit::cases::service_id(&app.db, name).await
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
