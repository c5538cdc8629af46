//! The integration suite: a real server and a real database per test, through HTTP.
//! It runs on SQLite, and on PostgreSQL when HARBOUR_TEST_POSTGRES_URL is set.

use harbour_domain::role::Role;
use harbour_storage::demo::DEMO_PASSWORD;
use harbour_testkit::app::demo_email;
use harbour_testkit::{TestApp, csrf_token};
use reqwest::StatusCode;
use sqlx::Row;

type R = anyhow::Result<()>;

async fn audit_actions(
    app: &TestApp,
) -> anyhow::Result<Vec<(String, String, Option<String>, String)>> {
    let rows =
        sqlx::query("SELECT action, entity_kind, entity_id, purpose FROM audit_log ORDER BY seq")
            .fetch_all(app.db.pool())
            .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("action"),
                r.get::<String, _>("entity_kind"),
                r.get::<Option<String>, _>("entity_id"),
                r.get::<String, _>("purpose"),
            )
        })
        .collect())
}

#[tokio::test]
async fn pages_carry_security_headers_and_health_answers() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    let r = c.get("/").await?;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    let csp = h["content-security-policy"].to_str()?;
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.contains_key("x-request-id"));
    assert!(!h.contains_key("strict-transport-security"));
    let (status, body) = c.get_text("/healthz").await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let css = c.get("/assets/harbour.css").await?;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()?
            .starts_with("text/css")
    );
    Ok(())
}

#[tokio::test]
async fn unknown_addresses_get_a_404_page_or_problem() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    let (status, body) = c.get_text("/no/such/page").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("<h1 class=\"govuk-heading-l\">Page not found</h1>"));
    let r = c.get("/api/v1/nothing-here").await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let admin = app.signed_in(Role::Administrator).await?;
    let (status, _) = admin
        .get_text("/admin/agencies/00000000-0000-0000-0000-000000000000")
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_message_and_audited() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    let email = demo_email(Role::Caseworker);
    let r = c
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", "not the password")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await?;
    assert!(body.contains("Enter a correct email address and password"));
    assert!(
        body.contains(&format!("value=\"{email}\"")),
        "the email entered is kept"
    );
    assert!(
        !body.contains("not the password"),
        "the password is never sent back"
    );
    let r = c
        .submit("/sign-in", "/sign-in", &[("email", ""), ("password", "")])
        .await?;
    let body = r.text().await?;
    assert!(body.contains("Enter your email address") && body.contains("Enter your password"));
    let actions = audit_actions(&app).await?;
    assert!(actions.iter().any(|a| a.0 == "sign_in_failed"));
    // Signed out, protected pages send you to sign in.
    let r = c.get("/admin/people").await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/sign-in");
    Ok(())
}

#[tokio::test]
async fn repeated_failures_lock_the_address_out_whether_or_not_it_has_an_account() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    for email in [
        demo_email(Role::Referrer),
        "nobody@nowhere.example".to_owned(),
    ] {
        for i in 1..=5 {
            let r = c
                .submit(
                    "/sign-in",
                    "/sign-in",
                    &[("email", &email), ("password", "wrong wrong wrong")],
                )
                .await?;
            let expected = if i < 5 {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(r.status(), expected, "attempt {i} for {email}");
        }
        let r = c
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", &email), ("password", DEMO_PASSWORD)],
            )
            .await?;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "locked even with the right password"
        );
        let wait: u64 = r.headers()["retry-after"].to_str()?.parse()?;
        assert!(
            (14 * 60..=15 * 60 + 1).contains(&wait),
            "says to try again when the lock-out ends: {wait}s"
        );
        assert!(r.text().await?.contains("too many failed attempts"));
    }
    // Another account is unaffected.
    app.signed_in(Role::Caseworker).await?;
    Ok(())
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_per_address() -> R {
    let app = TestApp::spawn_with(|c| c.sign_in_attempts_per_minute = 3).await?;
    let c = app.client();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let r = c
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", "a@b.example"), ("password", "x")],
            )
            .await?;
        statuses.push(r.status());
        retry_after = r.headers().get("retry-after").cloned();
    }
    assert_eq!(statuses[..3], [StatusCode::UNAUTHORIZED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = retry_after.expect("Retry-After").to_str()?.parse()?;
    assert!((1..=61).contains(&wait), "{wait}s");
    Ok(())
}

#[tokio::test]
async fn session_cookie_is_http_only_and_strict() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    let (_, html) = c.get_text("/sign-in").await?;
    let token = csrf_token(&html).unwrap_or_default();
    let r = c
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", &demo_email(Role::Caseworker)),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await?;
    let cookies: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("harbour_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/")
    );
    assert!(!session.contains("Secure"), "not over plain HTTP in tests");
    Ok(())
}

#[tokio::test]
async fn secure_cookies_and_hsts_behind_tls() -> R {
    let app = TestApp::spawn_with(|c| {
        c.secure_cookies = true;
        c.sign_in_attempts_per_minute = 1000;
    })
    .await?;
    let c = app.client();
    let r = c.get("/sign-in").await?;
    assert!(r.headers().contains_key("strict-transport-security"));
    let cookie = r.headers()["set-cookie"].to_str()?;
    assert!(cookie.contains("; Secure"), "{cookie}");
    Ok(())
}

#[tokio::test]
async fn an_idle_session_ends() -> R {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 1000;
        c.sign_in.idle_timeout = chrono::Duration::seconds(1);
    })
    .await?;
    let c = app.signed_in(Role::Caseworker).await?;
    assert_eq!(c.get("/home").await?.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(c.get("/home").await?.status(), StatusCode::SEE_OTHER);
    Ok(())
}

#[tokio::test]
async fn an_administrator_creates_an_agency_and_a_person_and_both_are_audited() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;

    // A bad agency: every problem is named, and what was entered is kept.
    let r = admin
        .submit(
            "/admin/agencies/new",
            "/admin/agencies",
            &[
                ("name", "Moorlands Women's Aid"),
                ("kind", ""),
                ("areas", "E99999999"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(body.contains("Select the kind of agency"));
    assert!(body.contains("E99999999 is not an area Harbour knows"));
    assert!(
        body.contains("value=\"Moorlands Women&#x27;s Aid\"")
            || body.contains("value=\"Moorlands Women&#39;s Aid\""),
        "name kept"
    );

    let r = admin
        .submit(
            "/admin/agencies/new",
            "/admin/agencies",
            &[
                ("name", "Moorlands Women's Aid"),
                ("kind", "charity"),
                ("areas", "E07000198"),
                ("areas", "E07000195"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let agency_path = r.headers()["location"].to_str()?.to_owned();
    let agency_id = agency_path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (_, page) = admin.get_text(&agency_path).await?;
    assert!(
        page.contains("Newcastle-under-Lyme, Staffordshire Moorlands")
            || page.contains("Staffordshire Moorlands")
    );

    // A duplicate name is refused next to the field.
    let r = admin
        .submit(
            "/admin/agencies/new",
            "/admin/agencies",
            &[
                ("name", "moorlands women's aid"),
                ("kind", "charity"),
                ("areas", "E07000198"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("An agency with this name already exists")
    );

    // A bad person, then a good one.
    let r = admin
        .submit(
            "/admin/people/new",
            "/admin/people",
            &[
                ("display_name", "Robin Ashgrove"),
                ("email", "robin@"),
                ("agency_id", &agency_id),
                ("roles", "caseworker"),
                ("password", "a good long passphrase"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(body.contains("Enter an email address in the correct format"));
    assert!(body.contains("value=\"Robin Ashgrove\""));
    assert!(!body.contains("a good long passphrase"));
    let r = admin
        .submit(
            "/admin/people/new",
            "/admin/people",
            &[
                ("display_name", "Robin Ashgrove"),
                ("email", "Robin.Ashgrove@moorlands.example"),
                ("agency_id", &agency_id),
                ("roles", "caseworker"),
                ("password", "a good long passphrase"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let person_id = r.headers()["location"]
        .to_str()?
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();

    // The new person can sign in, with the address in any case.
    app.client()
        .sign_in("robin.ashgrove@MOORLANDS.example", "a good long passphrase")
        .await?;

    // Both actions are in the audit trail, and on the audit page.
    let actions = audit_actions(&app).await?;
    assert!(
        actions.iter().any(|a| a.0 == "create"
            && a.1 == "agency"
            && a.2.as_deref() == Some(agency_id.as_str()))
    );
    assert!(
        actions.iter().any(|a| a.0 == "create"
            && a.1 == "user"
            && a.2.as_deref() == Some(person_id.as_str()))
    );
    let (status, page) = admin.get_text("/audit?action=create").await?;
    assert_eq!(status, StatusCode::OK);
    // Named, not shown by their identifiers.
    assert!(
        page.contains("Agency: Moorlands Women")
            && page.contains("Person (staff account): Robin Ashgrove"),
        "the records are named"
    );
    assert!(page.contains("create agency") && page.contains("create person"));
    // Reading the people list was audited too.
    admin.get_text("/admin/people").await?;
    let actions = audit_actions(&app).await?;
    assert!(
        actions
            .iter()
            .any(|a| a.0 == "read" && a.3 == "list people")
    );
    Ok(())
}

#[tokio::test]
async fn the_audit_search_filters_and_rejects_bad_dates() -> R {
    let app = TestApp::spawn().await?;
    let auditor = app.signed_in(Role::Auditor).await?;
    let (status, page) = auditor.get_text("/audit?from=31%2F02%2F2026").await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Enter a real date"));
    let (status, page) = auditor
        .get_text("/audit?from=2026-01-02&to=2026-01-01")
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The end date must be the same as or after the start date"));
    let (_, page) = auditor.get_text("/audit?action=sign_in").await?;
    assert!(page.contains("<td class=\"govuk-table__cell\">Signed in</td>"));
    assert!(!page.contains("<td class=\"govuk-table__cell\">Created</td>"));
    let (_, page) = auditor
        .get_text("/audit?from=2000-01-01&to=2000-01-02")
        .await?;
    assert!(page.contains("No entries match"));
    Ok(())
}

#[tokio::test]
async fn the_audit_page_names_people_referred_and_their_records_by_referral() -> R {
    let app = TestApp::spawn().await?;
    // A hub officer compares a referral's details with those held: a read of the person.
    let referral = harbour_testkit::cases::triaged_referral(&app.db, Default::default()).await?;
    harbour_testkit::cases::store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer)
        .await?
        .details_comparison(&referral.as_str().into())
        .await?;
    let idva = harbour_testkit::cases::service_id(&app.db, harbour_testkit::cases::IDVA).await?;
    harbour_testkit::cases::refer_on(&app.db, &referral, &idva).await?;
    let auditor = app.signed_in(Role::Auditor).await?;
    for (kind, label, handle) in [
        ("person", "Person referred", "the person referred in HBR-"),
        ("onward_referral", "Referral on to a service", "to "),
    ] {
        let (_, page) = auditor
            .get_text(&format!("/audit?entity_kind={kind}"))
            .await?;
        assert!(page.contains(&format!("{label}: {handle}")), "{kind}");
        let cells: Vec<&str> = page
            .split("<td class=\"govuk-table__cell\">")
            .filter(|c| c.starts_with(label))
            .collect();
        assert!(!cells.is_empty(), "{kind}");
        for c in cells {
            let c = &c[..c.find("</td>").unwrap_or(c.len())];
            // A record with no name shows its identifier, set in a monospace span.
            assert!(
                !c.contains("harbour-mono"),
                "{kind} shown by its identifier: {c}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn deactivating_a_person_signs_them_out_at_once() -> R {
    let app = TestApp::spawn().await?;
    let caseworker = app.signed_in(Role::Caseworker).await?;
    assert_eq!(caseworker.get("/home").await?.status(), StatusCode::OK);
    let id = harbour_testkit::inspect::user_id(&app.db, &demo_email(Role::Caseworker)).await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let page = format!("/admin/people/{id}");
    let r = admin
        .submit(&page, &format!("/admin/people/{id}/deactivate"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        caseworker.get("/home").await?.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        app.client()
            .sign_in(&demo_email(Role::Caseworker), DEMO_PASSWORD)
            .await
            .is_err()
    );
    // An administrator cannot deactivate themself.
    let own = harbour_testkit::inspect::user_id(&app.db, &demo_email(Role::Administrator)).await?;
    let r = admin
        .submit("/account", &format!("/admin/people/{own}/deactivate"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Reactivated, they can sign in again.
    admin
        .submit(&page, &format!("/admin/people/{id}/reactivate"), &[])
        .await?;
    app.client()
        .sign_in(&demo_email(Role::Caseworker), DEMO_PASSWORD)
        .await?;
    Ok(())
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() -> R {
    let app = TestApp::spawn().await?;
    let laptop = app.signed_in(Role::TriageOfficer).await?;
    let phone = app.signed_in(Role::TriageOfficer).await?;
    let r = laptop
        .submit("/account", "/account/sign-out-everywhere", &[])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/home").await?.status(), StatusCode::SEE_OTHER);
    assert_eq!(phone.get("/home").await?.status(), StatusCode::SEE_OTHER);
    // Plain sign-out ends only this session.
    let a = app.signed_in(Role::Referrer).await?;
    let b = app.signed_in(Role::Referrer).await?;
    a.submit("/home", "/sign-out", &[]).await?;
    assert_eq!(a.get("/home").await?.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/home").await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn agency_scope_limits_what_a_caseworker_sees() -> R {
    let app = TestApp::spawn().await?;
    let caseworker = app.signed_in(Role::Caseworker).await?;
    let (status, page) = caseworker.get_text("/admin/people").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("New Era"));
    assert!(
        !page.contains("Staffordshire Police"),
        "only their own agency's people"
    );
    let other = harbour_testkit::inspect::user_id(&app.db, &demo_email(Role::Referrer)).await?;
    let (status, _) = caseworker
        .get_text(&format!("/admin/people/{other}"))
        .await?;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "out of scope reads as absent"
    );
    Ok(())
}

#[tokio::test]
async fn api_tokens_are_issued_used_and_revoked() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let agency_id = harbour_testkit::inspect::agency_id(&app.db, "Staffordshire Police").await?;
    let page = format!("/admin/agencies/{agency_id}");
    let r = admin
        .submit(&page, &format!("{page}/tokens"), &[("name", " ")])
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Enter a name for the token"));
    let r = admin
        .submit(
            &page,
            &format!("{page}/tokens"),
            &[("name", "Niche RMS nightly export")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await?;
    let start = body.find("hbr_").expect("token shown once");
    let token = body[start..start + 68].to_owned();
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = $1")
        .bind(&token)
        .fetch_one(app.db.pool())
        .await?
        .get("n");
    assert_eq!(stored, 0, "only a digest is stored");

    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/whoami", app.url);
    let r = http.get(&url).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let problem: serde_json::Value = r.json().await?;
    assert_eq!(problem["status"], 401);
    let r = http
        .get(&url)
        .bearer_auth("hbr_not_a_real_token")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http.get(&url).bearer_auth(&token).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await?;
    assert_eq!(me["agency"]["name"], "Staffordshire Police");
    assert_eq!(me["agency"]["kind"], "police");
    let list: serde_json::Value = http
        .get(format!("{}/api/v1/agencies", app.url))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list["agencies"].as_array().map(Vec::len), Some(7));
    let list: serde_json::Value = http
        .get(format!(
            "{}/api/v1/agencies?kind=charity&area=E07000195",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list["agencies"][0]["name"], "The Alice Charity");
    assert_eq!(list["agencies"].as_array().map(Vec::len), Some(1));
    let r = http
        .get(format!(
            "{}/api/v1/agencies?kind=pub&area=Stafford",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await?;
    assert_eq!(problem["errors"][0]["pointer"], "#/kind");
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("domestic_abuse_service")
    );
    assert_eq!(problem["errors"][1]["pointer"], "#/area");

    let token_id: String = sqlx::query("SELECT id FROM api_tokens WHERE agency_id = $1")
        .bind(&agency_id)
        .fetch_one(app.db.pool())
        .await?
        .get("id");
    let r = admin
        .submit(&page, &format!("/admin/tokens/{token_id}/revoke"), &[])
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http.get(&url).bearer_auth(&token).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "revoked at once");
    let actions = audit_actions(&app).await?;
    assert!(
        actions
            .iter()
            .any(|a| a.1 == "api_token" && a.0 == "create")
    );
    assert!(
        actions
            .iter()
            .any(|a| a.1 == "api_token" && a.3 == "revoke API token")
    );
    Ok(())
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_api_routes() -> R {
    let app = TestApp::spawn().await?;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await?
        .json()
        .await?;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .map(|p| {
            p.iter()
                .flat_map(|(path, ops)| {
                    ops.as_object().into_iter().flat_map(move |o| {
                        o.keys()
                            .map(move |m| format!("{} /api/v1{path}", m.to_uppercase()))
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut routed: Vec<String> = harbour_web::routes::specs()
        .into_iter()
        .filter(|s| s.path.starts_with("/api/v1/"))
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
    Ok(())
}

#[tokio::test]
async fn a_database_failure_shows_the_problem_page_not_a_crash() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    app.db.close().await;
    let (status, page) = admin.get_text("/admin/people").await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.contains("Sorry, there is a problem with the service"));
    assert!(
        !page.contains("sqlx") && !page.contains("pool"),
        "no internals shown"
    );
    // The server is still up.
    assert_eq!(app.client().get("/healthz").await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn people_change_their_own_password() -> R {
    let app = TestApp::spawn().await?;
    let here = app.signed_in(Role::Caseworker).await?;
    let elsewhere = app.signed_in(Role::Caseworker).await?;
    let r = here
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "not it"),
                ("new_password", "short"),
                ("confirm_password", "other"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await?;
    assert!(body.contains("Your current password is not correct"));
    assert!(body.contains("Password must be 12 characters or more"));
    assert!(body.contains("The passwords do not match"));
    let new = "a brand new passphrase";
    let r = here
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Your password has been changed"));
    assert_eq!(
        here.get("/home").await?.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        elsewhere.get("/home").await?.status(),
        StatusCode::SEE_OTHER,
        "others end"
    );
    assert!(
        app.client()
            .sign_in(&demo_email(Role::Caseworker), DEMO_PASSWORD)
            .await
            .is_err()
    );
    app.client()
        .sign_in(&demo_email(Role::Caseworker), new)
        .await?;
    let actions = audit_actions(&app).await?;
    assert!(actions.iter().any(|a| a.3 == "change own password"));
    Ok(())
}

#[tokio::test]
async fn administrators_change_roles_and_set_a_forgotten_password() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let referrer = app.signed_in(Role::Referrer).await?;
    assert_eq!(
        referrer.get("/admin/people").await?.status(),
        StatusCode::FORBIDDEN
    );
    let id_of = |email: String| {
        let db = app.db.clone();
        async move { harbour_testkit::inspect::user_id(&db, &email).await }
    };
    let referrer_id = id_of(demo_email(Role::Referrer)).await?;
    let page = format!("/admin/people/{referrer_id}");

    let r = admin.submit(&page, &format!("{page}/roles"), &[]).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("Select at least one role"));
    let r = admin
        .submit(
            &page,
            &format!("{page}/roles"),
            &[("roles", "referrer"), ("roles", "caseworker")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("Roles saved"));
    assert_eq!(
        referrer.get("/admin/people").await?.status(),
        StatusCode::OK,
        "the new role applies at once"
    );

    let own = format!(
        "/admin/people/{}",
        id_of(demo_email(Role::Administrator)).await?
    );
    let r = admin
        .submit(&own, &format!("{own}/roles"), &[("roles", "auditor")])
        .await?;
    assert!(
        r.text()
            .await?
            .contains("You cannot remove your own administrator role")
    );

    let r = admin
        .submit(&page, &format!("{page}/password"), &[("password", "short")])
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("Password must be 12 characters or more")
    );
    let r = admin
        .submit(
            &page,
            &format!("{page}/password"),
            &[("password", "a fresh temporary passphrase")],
        )
        .await?;
    assert!(r.text().await?.contains("New password set"));
    assert_eq!(
        referrer.get("/home").await?.status(),
        StatusCode::SEE_OTHER,
        "signed out everywhere"
    );
    app.client()
        .sign_in(&demo_email(Role::Referrer), "a fresh temporary passphrase")
        .await?;
    let actions = audit_actions(&app).await?;
    assert!(actions.iter().any(|a| a.3 == "change person's roles"));
    assert!(actions.iter().any(|a| a.3 == "set person's password"));
    Ok(())
}
