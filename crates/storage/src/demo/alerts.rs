//! The demo's community alerts: synthetic subscribers across the county (around the demo
//! postcodes, with their own topics, priorities and quiet hours; some businesses, some with a
//! second place) and a few alerts sent by the demo police sender: one current, one updated and
//! one cancelled. Fixed seed.

use crate::alerts::load::{NewSubscriber, load_subscribers};
use crate::alerts::topics::topics;
use crate::db::Db;
use crate::demo::DEMO_SEED;
use crate::demo::onward::store_for;
use crate::error::Result;
use harbour_domain::alerts::message::AlertInput;
use harbour_domain::place::Point;
use harbour_domain::role::Role;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many subscribers the demo holds.
pub const DEMO_SUBSCRIBERS: usize = 3_000;

/// The demo postcodes: (postcode, point, district).
pub fn demo_postcodes() -> Vec<(String, Point, String)> {
    crate::postcodes::DEMO_POSTCODES_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f.get(1)?.to_string(),
                Point::new(f.get(5)?.parse().ok()?, f.get(6)?.parse().ok()?)?,
                f.get(4)?.to_string(),
            ))
        })
        .collect()
}

/// `n` synthetic subscribers around the demo postcodes, from `seed`.
pub async fn synthetic_subscribers(db: &Db, n: usize, seed: u64) -> Result<Vec<NewSubscriber>> {
    let all = topics(db).await?;
    let general: Vec<i64> = all
        .iter()
        .filter(|t| t.sector.is_none())
        .map(|t| t.bit)
        .collect();
    let sectors = [
        "retail",
        "hospitality",
        "farming",
        "construction",
        "transport",
    ];
    let places = demo_postcodes();
    let mut rng = StdRng::seed_from_u64(seed);
    let jitter = |p: Point, rng: &mut StdRng| {
        Point::new(
            p.latitude + rng.gen_range(-0.004..0.004),
            p.longitude + rng.gen_range(-0.006..0.006),
        )
        .unwrap_or(p)
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (_, point, area) = &places[rng.gen_range(0..places.len())];
        let mut mask = 0i64;
        for bit in &general {
            if rng.gen_bool(0.3) {
                mask |= 1 << bit;
            }
        }
        if mask == 0 {
            mask = 1 << general[rng.gen_range(0..general.len())];
        }
        let business_sector = rng
            .gen_bool(0.08)
            .then(|| sectors[rng.gen_range(0..sectors.len())]);
        if let Some(sector) = business_sector {
            for t in all
                .iter()
                .filter(|t| t.sector.map(|s| s.slug()) == Some(sector))
            {
                mask |= 1 << t.bit;
            }
        }
        let second = rng.gen_bool(0.15).then(|| {
            let (_, p, a) = &places[rng.gen_range(0..places.len())];
            (jitter(*p, &mut rng), Some(a.clone()))
        });
        out.push(NewSubscriber {
            email: format!("resident{i:07}@alerts.demo.harbour.example"),
            business_sector,
            home: jitter(*point, &mut rng),
            home_area: Some(area.clone()),
            second,
            topics_mask: mask,
            min_level: match rng.gen_range(0..10) {
                0..6 => 1,
                6..9 => 2,
                _ => 3,
            },
            quiet: rng
                .gen_bool(0.25)
                .then(|| ("22:00".to_owned(), "07:00".to_owned())),
        });
    }
    Ok(out)
}

fn alert(headline: &str, description: &str, instruction: &str, topics: &[&str]) -> AlertInput {
    AlertInput {
        headline: headline.into(),
        description: description.into(),
        instruction: instruction.into(),
        reference: String::new(),
        contact: "Call 101, quoting the reference, or report online. In an emergency call 999."
            .into(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        urgency: "Expected".into(),
        severity: "Moderate".into(),
        certainty: "Observed".into(),
        expires_hours: "168".into(),
        area_kind: "circle".into(),
        radius_m: "3000".into(),
        ..AlertInput::default()
    }
}

/// Loads the subscribers and sends the demo alerts. Returns (subscribers, alerts sent).
pub async fn load_demo_alerts(db: &Db) -> Result<(usize, usize)> {
    let subscribers = synthetic_subscribers(db, DEMO_SUBSCRIBERS, DEMO_SEED).await?;
    let n = load_subscribers(db, &subscribers).await?;
    let police = store_for(db, Role::AlertAuthor).await?;
    let places = demo_postcodes();
    let centre = places.first().map(|p| p.0.clone()).unwrap_or_default();

    let mut sheds = alert(
        "Sheds and garages broken into overnight",
        "Several garden sheds and garages were forced open overnight and power tools and bicycles taken.",
        "Lock sheds and garages, mark tools with your postcode, and report anyone acting suspiciously.",
        &["burglary", "cycle"],
    );
    sheds.postcode = centre.clone();
    sheds.reference = "SP-20261201-0412".into();
    police.send_alert(&sheds, None).await?;

    let mut farms = alert(
        "Quad bikes and farm machinery stolen",
        "Quad bikes and GPS units have been taken from farms in the south and west of the county this week.",
        "Keep machinery out of sight and locked, remove GPS units at night, and note the details of vehicles you do not know.",
        &["rural", "farm_machinery"],
    );
    farms.area_kind = "named".into();
    farms.areas = vec!["E07000196".into(), "E07000197".into()];
    let first = police.send_alert(&farms, None).await?;
    farms.headline = "Quad bikes stolen: one recovered".into();
    farms.description = "One of the quad bikes taken this week has been recovered near Penkridge. Others are still missing.".into();
    police.send_alert(&farms, Some(&first)).await?;

    let mut missing = alert(
        "Missing man, 74, last seen near the canal",
        "A 74-year-old man with memory loss was last seen walking along the towpath this afternoon, wearing a green coat.",
        "Please check gardens, sheds and outbuildings. If you see him, stay with him and call 999.",
        &["missing_person", "canal"],
    );
    missing.postcode = centre;
    missing.radius_m = "2000".into();
    missing.urgency = "Immediate".into();
    missing.severity = "Severe".into();
    let sent = police.send_alert(&missing, None).await?;
    police
        .cancel_alert(
            &sent,
            "He has been found safe and well. Thank you for your help.",
        )
        .await?;
    Ok((n, 5))
}
