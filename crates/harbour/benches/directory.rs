//! Directory benchmark. Prints figures; asserts nothing.
//!
//!   cargo bench -p harbour --bench directory   (SQLite; PostgreSQL too when
//!                                              HARBOUR_BENCH_POSTGRES_URL names a server)
//!
//! For each database: the postcode import rate over a synthetic file in the ONS Postcode
//! Directory layout (HARBOUR_BENCH_POSTCODES rows, default 2,700,000, the size of the national
//! file); then HARBOUR_BENCH_SERVICES synthetic services (default 10,000) loaded through the
//! Open Referral import, and p50/p95 of the open API's `/services` with each kind of filter,
//! measured over HTTP against a real server on the same machine; and the coverage view's.

use harbour_domain::directory::HarbourTaxonomy;
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_storage::directory::oruk::{
    Attribute, Export, Location, Organization, Schedule, Service, ServiceArea, ServiceAtLocation,
    TaxonomyTerm,
};
use harbour_storage::directory::{self, Loader};
use harbour_storage::{Db, postcodes};
use harbour_testkit::TestDb;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::time::{Duration, Instant};

mod common;
use common::{env_number, percentile, say, serve, wanted};

/// The server's own allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AREAS: &[&str] = &[
    "E07000192",
    "E07000193",
    "E07000194",
    "E07000195",
    "E07000196",
    "E07000197",
    "E07000198",
    "E07000199",
    "E06000021",
    "E10000028",
    "E92000001",
];

/// A file in the ONS Postcode Directory's layout with `rows` distinct postcodes.
fn postcode_file(rows: u64) -> anyhow::Result<tempfile::NamedTempFile> {
    let mut f = tempfile::NamedTempFile::new()?;
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    writeln!(w, "pcd,pcds,dointr,doterm,oslaua,lat,long")?;
    let letters = b"ABDEFGHJLNPQRSTUWXYZ";
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..rows {
        let (outer, inner) = (i / 4000, i % 4000);
        let area = [
            letters[(outer / 20 / 99 % 20) as usize] as char,
            letters[(outer / 99 % 20) as usize] as char,
        ];
        let district = outer % 99 + 1;
        let sector = inner / 400;
        let unit = [
            letters[(inner / 20 % 20) as usize] as char,
            letters[(inner % 20) as usize] as char,
        ];
        let pcds = format!(
            "{}{}{district} {sector}{}{}",
            area[0], area[1], unit[0], unit[1]
        );
        let lat = 50.0 + rng.gen_range(0.0..5.0);
        let lon = -5.0 + rng.gen_range(0.0..6.0);
        writeln!(
            w,
            "{},{pcds},199801,,{},{lat:.6},{lon:.6}",
            pcds.replace(' ', ""),
            AREAS[(i % 9) as usize]
        )?;
    }
    w.flush()?;
    drop(w);
    Ok(f)
}

/// A random identifier from the benchmark's seeded generator.
fn id(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.r#gen())
        .into_uuid()
        .to_string()
}

fn attribute(rng: &mut StdRng, t: HarbourTaxonomy, code: &str) -> Attribute {
    Attribute {
        id: id(rng),
        link_type: Some(t.link_type().into()),
        taxonomy_term: Some(TaxonomyTerm {
            id: t.term_id(code).to_string(),
            code: Some(code.into()),
            name: code.into(),
            description: code.into(),
            taxonomy_id: Some(t.id().to_string()),
            ..TaxonomyTerm::default()
        }),
        ..Attribute::default()
    }
}

/// `n` synthetic services in 1 organisation per 10, with the mix the filters need.
fn services(n: usize) -> Export {
    let mut rng = StdRng::seed_from_u64(11);
    let words = [
        "family",
        "housing",
        "advice",
        "counselling",
        "outreach",
        "youth",
        "women's",
        "men's",
        "recovery",
        "money",
        "safety",
        "community",
        "helpline",
        "wellbeing",
    ];
    let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let mut out = Vec::with_capacity(n);
    let mut org = Organization::default();
    for i in 0..n {
        if i % 10 == 0 {
            org = Organization {
                id: id(&mut rng),
                name: format!("Organisation {}", i / 10),
                description: "A synthetic organisation".into(),
                ..Organization::default()
            };
        }
        let w1 = words.choose(&mut rng).copied().unwrap_or("advice");
        let w2 = words.choose(&mut rng).copied().unwrap_or("support");
        let mut attributes = Vec::new();
        let mut needs = NeedCategory::ALL.to_vec();
        needs.shuffle(&mut rng);
        for need in needs.iter().take(rng.gen_range(1..=3)) {
            attributes.push(attribute(&mut rng, HarbourTaxonomy::Needs, need.slug()));
        }
        if rng.gen_bool(0.5) {
            let tier = ServiceTier::ALL
                .choose(&mut rng)
                .copied()
                .unwrap_or(ServiceTier::Targeted);
            attributes.push(attribute(&mut rng, HarbourTaxonomy::Tiers, tier.slug()));
        }
        let opens = rng.gen_range(7..12);
        let closes = rng.gen_range(14..22);
        let how_many_days = rng.gen_range(1..=5);
        let mut chosen: Vec<&str> = days
            .choose_multiple(&mut rng, how_many_days)
            .copied()
            .collect();
        chosen.sort_by_key(|d| days.iter().position(|x| x == d));
        let how_many_areas = rng.gen_range(1..=3);
        let codes: Vec<&str> = AREAS
            .choose_multiple(&mut rng, how_many_areas)
            .copied()
            .collect();
        let areas: Vec<ServiceArea> = codes
            .into_iter()
            .map(|code| ServiceArea {
                id: id(&mut rng),
                name: Some(code.into()),
                uri: Some(directory::import::area_uri(code)),
                extent_type: Some("text".into()),
                ..ServiceArea::default()
            })
            .collect();
        let locations = if rng.gen_bool(0.5) {
            vec![ServiceAtLocation {
                id: id(&mut rng),
                location: Some(Location {
                    id: id(&mut rng),
                    location_type: "physical".into(),
                    latitude: Some(52.6 + rng.gen_range(0.0..0.5)),
                    longitude: Some(-2.3 + rng.gen_range(0.0..0.7)),
                    confidential: rng.gen_bool(0.05),
                    ..Location::default()
                }),
                ..ServiceAtLocation::default()
            }]
        } else {
            vec![]
        };
        out.push(Service {
            id: id(&mut rng),
            name: format!("{w1} {w2} service {i}"),
            description: Some(format!("A synthetic {w1} service for benchmarks.")),
            status: if rng.gen_bool(0.9) {
                "active"
            } else {
                "inactive"
            }
            .into(),
            minimum_age: rng.gen_bool(0.4).then(|| f64::from(rng.gen_range(0..19))),
            maximum_age: rng.gen_bool(0.3).then(|| f64::from(rng.gen_range(17..100))),
            schedules: vec![Schedule {
                id: id(&mut rng),
                freq: Some("WEEKLY".into()),
                byday: Some(chosen.join(",")),
                opens_at: Some(format!("{opens:02}:00")),
                closes_at: Some(format!("{closes:02}:00")),
                ..Schedule::default()
            }],
            service_areas: areas,
            service_at_locations: locations,
            organization: Some(org.clone()),
            attributes,
            ..Service::default()
        });
    }
    Export {
        version: "HSDS-UK-3.0".into(),
        services: out,
        ..Export::default()
    }
}

async fn timed_get(
    http: &reqwest::Client,
    url: &str,
    rounds: usize,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut times = Vec::with_capacity(rounds);
    let mut total = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let r = http.get(url).send().await?;
        anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
        let body: serde_json::Value = r.json().await?;
        times.push(t.elapsed());
        total = body["total_items"].as_u64().unwrap_or(0);
    }
    times.sort();
    Ok((times, total))
}

async fn bench(name: &str, test_db: TestDb) -> anyhow::Result<()> {
    let db = Db::connect(&test_db.url, 16).await?;
    harbour_storage::schema::prepare(&db).await?;
    harbour_storage::demo::load_demo(&db).await?;

    let rows = env_number("HARBOUR_BENCH_POSTCODES", 2_700_000);
    let file = postcode_file(rows)?;
    let started = Instant::now();
    let (_, report) = postcodes::import_postcodes(
        &db,
        std::io::BufReader::new(std::fs::File::open(file.path())?),
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    say(&format!(
        "{name}: postcode import, ONSPD layout: {} rows in {secs:.1} s ({:.0} rows/s)",
        report.loaded,
        report.loaded as f64 / secs
    ));
    drop(file);

    let n = env_number("HARBOUR_BENCH_SERVICES", 10_000) as usize;
    let export = services(n);
    let loader = Loader {
        user_id: None,
        agency_id: None,
        label: "benchmark".into(),
        request_id: "benchmark".into(),
    };
    let started = Instant::now();
    let report = directory::import(&db, &export, &loader).await?;
    let secs = started.elapsed().as_secs_f64();
    say(&format!(
        "{name}: Open Referral import of {} services in {secs:.1} s ({:.0} services/s)",
        report.created,
        report.created as f64 / secs
    ));

    let url = serve(&db).await?;
    let http = reqwest::Client::new();
    let need = HarbourTaxonomy::Needs.term_id("accommodation");
    let tiers = HarbourTaxonomy::Tiers.id();
    let queries = [
        ("no filter", "".to_owned()),
        (
            "taxonomy_term_id (a need)",
            format!("taxonomy_term_id={need}"),
        ),
        ("taxonomy_id (tiers)", format!("taxonomy_id={tiers}")),
        ("search", "search=counselling".to_owned()),
        (
            "minimum_age and maximum_age",
            "minimum_age=16&maximum_age=65".to_owned(),
        ),
        (
            "day, start_time, end_time",
            "day=SA&start_time=09:00&end_time=18:00".to_owned(),
        ),
        ("postcode", "postcode=ST16%203AA".to_owned()),
        (
            "postcode and proximity 5 km",
            "postcode=ST16%203AA&proximity=5000".to_owned(),
        ),
        (
            "need, postcode, age, day together",
            format!("taxonomy_term_id={need}&postcode=ST16%203AA&minimum_age=10&day=MO"),
        ),
        ("page 100 of 50", "page=100".to_owned()),
    ];
    let rounds = env_number("HARBOUR_BENCH_ROUNDS", 100) as usize;
    for (label, q) in &queries {
        let (times, total) =
            timed_get(&http, &format!("{url}/oruk/v3/services?{q}"), rounds).await?;
        say(&format!(
            "{name}: GET /services {label:<36} p50 {:>5.1} ms  p95 {:>5.1} ms  ({total} of {n} match)",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        ));
    }
    let (times, _) = timed_get(
        &http,
        &format!("{url}/oruk/v3/service_at_locations?postcode=ST16%203AA&proximity=5000"),
        rounds,
    )
    .await?;
    say(&format!(
        "{name}: GET /service_at_locations postcode and proximity     p50 {:>5.1} ms  p95 {:>5.1} ms",
        percentile(&times, 0.50),
        percentile(&times, 0.95)
    ));
    // The coverage view: every service's profile against every area and need.
    let commissioner = harbour_testkit::TestClient::new(&url);
    commissioner
        .sign_in(
            &harbour_testkit::app::demo_email(harbour_domain::role::Role::Commissioner),
            harbour_storage::demo::DEMO_PASSWORD,
        )
        .await?;
    for (label, path) in [
        ("coverage view", "/coverage"),
        (
            "coverage view, children, acute tier",
            "/coverage?age=children&tier=acute",
        ),
        ("coverage CSV", "/coverage.csv"),
        ("coverage of one area", "/coverage/areas/E07000197"),
    ] {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let r = commissioner.get(path).await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            r.bytes().await?;
            times.push(t.elapsed());
        }
        times.sort();
        say(&format!(
            "{name}: GET {path:<36} ({label}) p50 {:>5.1} ms  p95 {:>5.1} ms  ({n} services)",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        ));
    }
    db.close().await;
    test_db.remove().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    if wanted("sqlite") {
        bench("SQLite", TestDb::sqlite()?).await?;
    }
    if let Ok(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        && wanted("postgres")
    {
        bench("PostgreSQL", TestDb::postgres(&url).await?).await?;
    }
    Ok(())
}
