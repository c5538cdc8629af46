//! Input as it arrives, on both databases: forms must come as web forms in UTF-8 and no larger
//! than Harbour's largest form; a field over its own limit gets its own message with the rest
//! kept; one rule for text on every channel (forms, API, bulk files) refuses direction and
//! control characters by field; and all text is stored composed (NFC).

use harbour_domain::role::Role;
use harbour_storage::bulk::{COLUMNS, LineOutcome, import_referrals};
use harbour_testkit::TestApp;
use harbour_testkit::cases::store_as;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;

type R = anyhow::Result<()>;

#[tokio::test]
async fn a_form_that_is_not_a_web_form_in_utf8_is_refused_and_says_why() -> R {
    let app = TestApp::spawn().await?;
    let c = app.client();
    let (_, page) = c.get_text("/sign-in").await?;
    let token = harbour_testkit::csrf_token(&page).unwrap_or_default();
    let body = format!("csrf_token={token}&email=a%40b.example&password=x");
    for content_type in [
        Some("text/plain"),
        None,
        Some("application/x-www-form-urlencoded; charset=latin1"),
    ] {
        let mut req = c.http.post(c.url("/sign-in")).body(body.clone());
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        let r = req.send().await?;
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(r.text().await?.contains("This form could not be read"));
    }
    let r = c
        .http
        .post(c.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&email=J%FFrey&password=x"))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await?
            .contains("could not be read as text (it was not UTF-8)")
    );
    let r = c
        .http
        .post(c.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={token}&email={}",
            "x".repeat(600 * 1024)
        ))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await?.contains("larger than any of Harbour"));
    Ok(())
}

#[tokio::test]
async fn a_field_over_its_limit_gets_its_own_message_and_the_rest_is_kept() -> R {
    let app = TestApp::spawn().await?;
    let officer = app.signed_in(Role::Referrer).await?;
    // 12,000 characters of two bytes each: 72 KB percent-encoded, more than the old 64 KiB.
    let notes = "ł".repeat(12_000);
    let r = officer
        .submit(
            "/referrals/new",
            "/referrals/new",
            &[
                ("source", "police"),
                ("crime_category", "domestic_abuse"),
                ("person/given_name", "Wiktoria"),
                ("notes", &notes),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await?;
    assert!(page.contains("notes-error"), "the message is by the notes");
    assert!(page.contains("5000 characters or fewer"));
    assert!(page.contains("value=\"Wiktoria\""), "the rest is kept");
    assert!(
        page.contains(&notes),
        "and so is what was typed in the notes"
    );
    Ok(())
}

fn api_referral(given: &str, notes: &str) -> serde_json::Value {
    json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": "SP/26/4242",
        "incident_date": "2026-11-01",
        "person": { "given_name": given, "family_name": "Nowak", "date_of_birth": "1990-01-02" },
        "consent_to_referral": "given",
        "safe_contact": { "channels": [ { "channel": "phone_call", "value": "07700 900123" } ] },
        "notes": notes
    })
}

#[tokio::test]
async fn one_text_rule_on_every_channel_and_text_stored_composed() -> R {
    let app = TestApp::spawn().await?;
    let token = app.api_token("Staffordshire Police").await?;
    let post = |body: serde_json::Value| {
        let (url, token) = (format!("{}/api/v1/referrals", app.url), token.clone());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            let status = r.status();
            anyhow::Ok((status, r.json::<serde_json::Value>().await?))
        }
    };
    // The API: a name that would read reversed in the queue; an escape sequence in the notes.
    let (status, problem) = post(api_referral("Alys\u{202E}dlorah", "ok")).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = problem["errors"].to_string();
    assert!(errors.contains("/person/given_name"), "{problem}");
    assert!(errors.contains("First name must not contain characters that change the direction"));
    let (status, problem) = post(api_referral("Alys", "line\u{1b}[2Jone\nline two")).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"]
            .to_string()
            .contains("Notes must not contain control characters")
    );
    let (status, _) = post(api_referral("Alys", "line one\r\n\tline two")).await?;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "line breaks and tabs in notes are fine"
    );
    // Composed: "e" and a combining accent is stored as "é".
    let (status, _) = post(api_referral("Jose\u{301}", "")).await?;
    assert_eq!(status, StatusCode::CREATED);
    let stored: String = sqlx::query(
        "SELECT given_name FROM persons WHERE family_name = 'Nowak' AND given_name <> 'Alys'",
    )
    .fetch_one(app.db.pool())
    .await?
    .get(0);
    assert_eq!(stored, "Jos\u{e9}");

    // The staff form: a NUL in the address is named by its field.
    let officer = app.signed_in(Role::Referrer).await?;
    let r = officer
        .submit(
            "/referrals/new",
            "/referrals/new",
            &[
                ("source", "police"),
                ("person/given_name", "Wiktoria"),
                ("person/address", "1 Road\u{0}"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await?;
    assert!(
        page.contains("Address must not contain control characters"),
        "named by field"
    );

    // A bulk file: the row is refused, naming the column.
    let police = store_as(&app.db, "Staffordshire Police", Role::Referrer).await?;
    let mut row: Vec<String> = vec![String::new(); COLUMNS.len()];
    for (column, value) in [
        ("record_id", "77"),
        ("police_reference", "SP/26/77"),
        ("crime_category", "domestic_abuse"),
        ("incident_date", "2026-11-19"),
        ("given_name", "Ola\u{2066}x"),
        ("consent_to_referral", "given"),
        ("safe_channels", "phone_call:07700 900777"),
    ] {
        let i = COLUMNS.iter().position(|c| *c == column).unwrap_or(0);
        row[i] = value.to_owned();
    }
    let file = format!("{}\n{}\n", COLUMNS.join(","), row.join(","));
    let report = import_referrals(Arc::new(police), &file).await?;
    match &report.lines[0].outcome {
        LineOutcome::Rejected { reason } => {
            assert!(reason.contains("given_name"), "{reason}");
            assert!(reason.contains("change the direction"), "{reason}");
        }
        other => panic!("accepted: {other:?}"),
    }
    Ok(())
}
