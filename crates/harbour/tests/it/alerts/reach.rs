use super::{CENTRE, R, burglary, drain, police, to, worker};
use chrono::{Duration, Utc};
use harbour_domain::alerts::area::{AlertArea, destination};
use harbour_domain::alerts::reach::stored;
use harbour_domain::calendar::uk_local;
use harbour_domain::place::Point;
use harbour_domain::postcode::Postcode;
use harbour_storage::alerts::load::{NewSubscriber, load_subscribers};
use harbour_storage::alerts::topics::topics;
use harbour_storage::{Db, ScopedStore};
use harbour_testkit::TestApp;
use harbour_testkit::smtp::SmtpSink;
use reqwest::StatusCode;

const STAFFORD: &str = "E07000197";

struct Planted {
    email: &'static str,
    home: Point,
    home_area: &'static str,
    second: Option<(Point, &'static str)>,
    topics: &'static [&'static str],
    min_level: i64,
    quiet: bool,
}

async fn centre(db: &Db) -> anyhow::Result<Point> {
    let pc = Postcode::parse(CENTRE).expect("a postcode");
    Ok(harbour_storage::postcodes::locate(db, &pc)
        .await?
        .expect("a demo postcode")
        .0)
}

/// Subscribers placed around the centre: who an alert on burglary, Moderate, within 3 km
/// reaches is written beside each.
async fn plant(db: &Db) -> anyhow::Result<Vec<Planted>> {
    let c = centre(db).await?;
    let at = |m: f64, bearing: f64| destination(c, m, bearing);
    let planted = vec![
        // Reached: inside, the topic, any priority.
        Planted {
            email: "inside@alerts.test",
            home: at(2_900.0, 45.0),
            home_area: STAFFORD,
            second: None,
            topics: &["burglary", "cycle"],
            min_level: 1,
            quiet: false,
        },
        // Not reached: another topic.
        Planted {
            email: "fraud-only@alerts.test",
            home: at(1_000.0, 10.0),
            home_area: STAFFORD,
            second: None,
            topics: &["fraud_scams"],
            min_level: 1,
            quiet: false,
        },
        // Not reached: wants serious alerts only.
        Planted {
            email: "serious-only@alerts.test",
            home: at(500.0, 300.0),
            home_area: STAFFORD,
            second: None,
            topics: &["burglary"],
            min_level: 3,
            quiet: false,
        },
        // Not reached: outside.
        Planted {
            email: "outside@alerts.test",
            home: at(3_100.0, 200.0),
            home_area: "E07000196",
            second: None,
            topics: &["burglary"],
            min_level: 1,
            quiet: false,
        },
        // Reached by the place they work.
        Planted {
            email: "works-inside@alerts.test",
            home: at(8_000.0, 0.0),
            home_area: "E07000198",
            second: Some((at(2_000.0, 180.0), STAFFORD)),
            topics: &["burglary"],
            min_level: 2,
            quiet: false,
        },
        // Reached once, though both places are inside.
        Planted {
            email: "both-inside@alerts.test",
            home: at(1_000.0, 90.0),
            home_area: STAFFORD,
            second: Some((at(1_500.0, 270.0), STAFFORD)),
            topics: &["burglary"],
            min_level: 1,
            quiet: false,
        },
        // Reached, but in their quiet hours now.
        Planted {
            email: "quiet@alerts.test",
            home: at(1_200.0, 135.0),
            home_area: STAFFORD,
            second: None,
            topics: &["burglary"],
            min_level: 1,
            quiet: true,
        },
    ];
    let all = topics(db).await?;
    let now = uk_local(Utc::now()).time();
    let hh = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    let quiet = (hh(now - Duration::hours(1)), hh(now + Duration::hours(1)));
    let rows: Vec<NewSubscriber> = planted
        .iter()
        .map(|p| NewSubscriber {
            email: p.email.into(),
            business_sector: None,
            home: p.home,
            home_area: Some(p.home_area.into()),
            second: p.second.map(|(pt, a)| (pt, Some(a.to_owned()))),
            topics_mask: all
                .iter()
                .filter(|t| p.topics.contains(&t.id.as_str()))
                .fold(0, |m, t| m | (1 << t.bit)),
            min_level: p.min_level,
            quiet: p.quiet.then(|| quiet.clone()),
        })
        .collect();
    load_subscribers(db, &rows).await?;
    Ok(planted)
}

/// Who `area` holds among the planted, by the domain's own test on their stored points, for
/// subscribers on burglary at level 2 or below.
fn expected(planted: &[Planted], area: &AlertArea) -> usize {
    planted
        .iter()
        .filter(|p| p.topics.contains(&"burglary") && p.min_level <= 2)
        .filter(|p| {
            let mut places = vec![(p.home, p.home_area)];
            places.extend(p.second);
            places
                .iter()
                .any(|(pt, a)| area.contains(stored(*pt), &[(*a).to_owned()]))
        })
        .count()
}

async fn report(
    store: &ScopedStore,
    id: &harbour_domain::ids::AlertId,
) -> anyhow::Result<harbour_storage::alerts::alert::DeliveryReport> {
    Ok(store.alert(id).await?.report)
}

#[tokio::test]
async fn an_alert_reaches_exactly_the_subscribers_inside_with_a_topic_and_priority_each_once() -> R
{
    let app = TestApp::spawn().await?;
    let sink = SmtpSink::start().await?;
    let w = worker(&app.db, &sink)?;
    let police = police(&app.db).await?;
    let planted = plant(&app.db).await?;

    // The counts: a circle, whole areas (a district, and the county that holds them all), a
    // drawn shape; each as the domain's own test on the stored points finds it.
    assert_eq!(police.alert_reach(&burglary()).await?.subscribers, 4);
    let mut named = burglary();
    named.area_kind = "named".into();
    named.areas = vec![STAFFORD.into()];
    assert_eq!(police.alert_reach(&named).await?.subscribers, 4);
    named.areas = vec!["E10000028".into()];
    assert_eq!(police.alert_reach(&named).await?.subscribers, 5);
    let c = centre(&app.db).await?;
    let corners = [(0.02, -0.01), (0.02, 0.03), (-0.015, 0.03), (-0.015, -0.01)];
    let mut shape = burglary();
    shape.area_kind = "polygon".into();
    shape.polygon = corners
        .iter()
        .map(|(la, lo)| format!("{},{}", c.latitude + la, c.longitude + lo))
        .collect::<Vec<_>>()
        .join(" ");
    let polygon = AlertArea::Polygon(
        corners
            .iter()
            .map(|(la, lo)| Point::new(c.latitude + la, c.longitude + lo).expect("a point"))
            .collect(),
    );
    let inside_shape = expected(&planted, &polygon);
    assert!(
        (1..4).contains(&inside_shape),
        "a shape that tells: {inside_shape}"
    );
    assert_eq!(
        police.alert_reach(&shape).await?.subscribers,
        inside_shape as i64
    );
    let circle = AlertArea::circle(c, 3_000.0)?;
    assert_eq!(expected(&planted, &circle), 4);

    // Sent: each subscriber reached gets one message; the one in quiet hours waits.
    let id = police.send_alert(&burglary(), None).await?;
    drain(&w).await?;
    let got = sink.accepted();
    for p in &planted {
        let n = to(&got, p.email).len();
        let want = usize::from(
            [
                "inside@alerts.test",
                "works-inside@alerts.test",
                "both-inside@alerts.test",
            ]
            .contains(&p.email),
        );
        assert_eq!(n, want, "{}", p.email);
    }
    assert!(
        got.iter().all(|m| m.to.len() == 1),
        "one recipient a message"
    );
    let first = &to(&got, "inside@alerts.test")[0];
    assert_eq!(
        first.header("Subject").as_deref(),
        Some("Sheds broken into")
    );
    assert!(first.text().contains("SP-2026-0001"));
    assert!(first.header("List-Unsubscribe-Post").is_some());
    let r = report(&police, &id).await?;
    assert_eq!(
        (r.recipients, r.sent, r.waiting, r.held, r.bounced),
        (4, 3, 1, 1, 0)
    );

    // An Immediate alert is not held for quiet hours; two workers at once send each once.
    let mut urgent = burglary();
    urgent.urgency = "Immediate".into();
    urgent.headline = "Burglars seen now".into();
    let urgent_id = police.send_alert(&urgent, None).await?;
    let w2 = worker(&app.db, &sink)?;
    let (a, b) = tokio::join!(drain(&w), drain(&w2));
    a?;
    b?;
    let got = sink.accepted();
    let urgent_mail: Vec<_> = got
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some("Burglars seen now"))
        .collect();
    assert_eq!(urgent_mail.len(), 4);
    assert_eq!(to(&got, "quiet@alerts.test").len(), 1);
    let r = report(&police, &urgent_id).await?;
    assert_eq!((r.recipients, r.sent, r.held), (4, 4, 0));

    // One click in the mail program: the subscription goes, the alert's report counts it.
    let unsubscribe = first
        .header("List-Unsubscribe")
        .expect("the header")
        .trim_matches(['<', '>'])
        .replace("https://harbour.test", "");
    let r = app
        .client()
        .post_form(&unsubscribe, &[("List-Unsubscribe", "One-Click")])
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(report(&police, &id).await?.unsubscribed, 1);
    assert_eq!(police.alert_reach(&burglary()).await?.subscribers, 3);
    // The same click again is harmless.
    let r = app
        .client()
        .post_form(&unsubscribe, &[("List-Unsubscribe", "One-Click")])
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    Ok(())
}
