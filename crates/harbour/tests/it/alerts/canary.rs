use super::{R, burglary, drain, police, to, worker};
use harbour_domain::alerts::reach::stored;
use harbour_domain::postcode::Postcode;
use harbour_domain::role::Role;
use harbour_testkit::TestApp;
use harbour_testkit::smtp::SmtpSink;
use reqwest::StatusCode;

const EMAIL: &str = "canary.q7x2@alerts.test";
const POSTCODE: &str = "ST16 3AA";
const WORK: &str = "ST5 1AB";

/// A subscriber planted through the public pages, confirmed; an alert sent that reaches them,
/// updated, and another cancelled: their address, postcodes and points appear in no page,
/// feed, CAP message or report the public or the alert's author can see.
#[tokio::test]
async fn a_subscribers_address_postcodes_and_points_appear_in_nothing_public_or_the_authors() -> R {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 100_000;
        c.self_referral_min_seconds = 0;
    })
    .await?;
    let sink = SmtpSink::start().await?;
    let w = worker(&app.db, &sink)?;
    let public = app.client();
    let (_, form) = public.get_text("/alerts/subscribe").await?;
    let at = form.find("name=\"form_token\" value=\"").expect("a token") + 25;
    let token = &form[at..at + form[at..].find('"').expect("closed")];
    let r = public
        .post_form(
            "/alerts/subscribe",
            &[
                ("form_token", token),
                ("email", EMAIL),
                ("kind", "resident"),
                ("age_group", "18_plus"),
                ("postcode", POSTCODE),
                ("second_postcode", WORK),
                ("topics", "burglary"),
                ("priority", "everything"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    drain(&w).await?;
    let confirm = to(&sink.accepted(), EMAIL)[0]
        .link("/alerts/confirm/")
        .expect("a link");
    assert_eq!(
        public.post_form(&confirm, &[]).await?.status(),
        StatusCode::OK
    );

    let mut secrets = vec![EMAIL.to_owned(), "canary.q7x2".to_owned()];
    for pc in [POSTCODE, WORK] {
        let parsed = Postcode::parse(pc).expect("a postcode");
        let point = harbour_storage::postcodes::locate(&app.db, &parsed)
            .await?
            .expect("a demo postcode")
            .0;
        let kept = stored(point);
        secrets.extend([
            pc.to_owned(),
            pc.replace(' ', ""),
            format!("{}", kept.latitude),
            format!("{}", kept.longitude),
        ]);
    }

    let police = police(&app.db).await?;
    let alert = police.send_alert(&burglary(), None).await?;
    drain(&w).await?;
    assert_eq!(
        police.alert(&alert).await?.report.sent,
        1,
        "it reached the canary"
    );
    let mut update = burglary();
    update.headline = "Sheds: an update".into();
    let updated = police.send_alert(&update, Some(&alert)).await?;
    let second = police.send_alert(&burglary(), None).await?;
    let cancel = police.cancel_alert(&second, "A false alarm").await?;
    drain(&w).await?;

    let author = app.signed_in(Role::AlertAuthor).await?;
    let reach = author
        .submit(
            "/community-alerts/new",
            "/community-alerts/new",
            &[
                ("headline", "h"),
                ("description", "d"),
                ("instruction", "i"),
                ("contact", "c"),
                ("topics", "burglary"),
                ("urgency", "Expected"),
                ("severity", "Moderate"),
                ("certainty", "Observed"),
                ("expires_hours", "72"),
                ("area_kind", "circle"),
                ("postcode", "ST16 2AB"),
                ("radius_m", "3000"),
                ("go", "reach"),
            ],
        )
        .await?;
    assert_eq!(reach.status(), StatusCode::OK);
    let mut seen = vec![("the reach count".to_owned(), reach.text().await?)];
    for path in [
        "/home".to_owned(),
        "/community-alerts".to_owned(),
        format!("/community-alerts/{alert}"),
        format!("/community-alerts/{updated}"),
        format!("/community-alerts/{second}"),
        format!("/community-alerts/{cancel}"),
    ] {
        let (status, page) = author.get_text(&path).await?;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.push((path, page));
    }
    assert!(seen.iter().any(|(_, p)| p.contains("Subscribers reached")));
    for path in [
        "/".to_owned(),
        "/alerts".to_owned(),
        "/alerts/feed.atom".to_owned(),
        format!("/alerts/{alert}"),
        format!("/alerts/{updated}"),
        format!("/alerts/{cancel}"),
        format!("/alerts/{alert}/cap.xml"),
        format!("/alerts/{updated}/cap.xml"),
        format!("/alerts/{second}/cap.xml"),
        format!("/alerts/{cancel}/cap.xml"),
    ] {
        let (status, page) = public.get_text(&path).await?;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.push((path, page));
    }
    for (path, page) in &seen {
        for secret in &secrets {
            assert!(
                !page.contains(secret.as_str()),
                "{secret} appeared in {path}"
            );
        }
    }
    // The audit trail records that the subscriber's record was written and read, naming no
    // one and holding none of it.
    let entries: Vec<(String,)> =
        sqlx::query_as("SELECT purpose FROM audit_log WHERE entity_kind = 'alert_subscriber'")
            .fetch_all(app.db.pool())
            .await?;
    assert!(entries.len() >= 2);
    for (purpose,) in &entries {
        for secret in &secrets {
            assert!(!purpose.contains(secret.as_str()));
        }
    }
    Ok(())
}
