//! The partnership's reports on both databases. Their facts table is kept with the records in
//! the same transactions: after a random sequence of writes it equals a recount from the
//! records, and one lost (as in a crash between PostgreSQL's intake statement and nothing else)
//! is filled again.

use harbour_domain::advice::AdviceInput;
use harbour_domain::ids::{CaseId, OnwardId, ReferralId};
use harbour_domain::role::Role;
use harbour_domain::stats::breakdown::Breakdown;
use harbour_storage::cases::ChangeInput;
use harbour_storage::onward::{AttemptInput, StepInput};
use harbour_storage::reports::Filter;
use harbour_storage::reports::facts::{fill_missing, recount_differences};
use harbour_storage::reports::summary;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, store_as, triaged_referral};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;

type R = anyhow::Result<()>;

const NAMES: [(&str, &str); 3] = [("Alys", "Brereton"), ("Maren", "Oakes"), ("Tamsin", "Vell")];
const AREAS: [(&str, &str); 3] = [
    ("E07000197", "ST16 2DH"),
    ("E07000195", "ST5 1AA"),
    ("E07000192", "WS11 1AA"),
];

async fn count(app: &TestApp, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(app.db.pool())
        .await?
        .try_get("n")?)
}

#[tokio::test]
async fn the_reports_facts_equal_a_recount_after_a_random_sequence_of_writes() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let new_era = store_as(db, "New Era", Role::Caseworker).await?;
    let idva = service_id(db, IDVA).await?;
    let mut rng = StdRng::seed_from_u64(20_261_203);
    let mut referrals: Vec<ReferralId> = Vec::new();
    let mut onward: Vec<OnwardId> = Vec::new();
    let mut cases: Vec<CaseId> = Vec::new();
    let mut done = [0usize; 6];
    for step in 0..40 {
        let op = if referrals.is_empty() {
            0
        } else {
            rng.gen_range(0..6)
        };
        let ok = match op {
            0 => {
                let (given_name, family_name) = NAMES[rng.gen_range(0..NAMES.len())];
                let (area, postcode) = AREAS[rng.gen_range(0..AREAS.len())];
                let case = Case {
                    given_name,
                    family_name,
                    area,
                    postcode,
                    crime: if rng.gen_bool(0.7) {
                        "domestic_abuse"
                    } else {
                        "theft"
                    },
                    high_risk: rng.gen_bool(0.2),
                    ..Case::default()
                };
                referrals.push(triaged_referral(db, case).await?);
                true
            }
            1 => {
                let r = &referrals[rng.gen_range(0..referrals.len())];
                let input = AdviceInput {
                    given: vec!["victims_code".into()],
                    signposted: String::new(),
                    how: "phone".into(),
                    note: String::new(),
                    close: false,
                };
                hub.record_advice(r, &input).await.is_ok()
            }
            2 => {
                let r = &referrals[rng.gen_range(0..referrals.len())];
                match refer_on(db, r, &idva).await {
                    Ok(o) => {
                        onward.push(o);
                        true
                    }
                    Err(_) => false,
                }
            }
            3 if !onward.is_empty() => {
                let o = &onward[rng.gen_range(0..onward.len())];
                let step = StepInput {
                    step: "accept".into(),
                    ..StepInput::default()
                };
                let accepted = new_era.take_step(o, &step).await.is_ok();
                if accepted {
                    let id: String =
                        sqlx::query("SELECT id FROM cases WHERE onward_referral_id = $1")
                            .bind(o)
                            .fetch_one(db.pool())
                            .await?
                            .try_get("id")?;
                    cases.push(CaseId::from(id));
                }
                accepted
            }
            4 if !onward.is_empty() => {
                let o = &onward[rng.gen_range(0..onward.len())];
                let attempt = AttemptInput {
                    channel: "phone_call".into(),
                    result: if rng.gen_bool(0.5) {
                        "spoke"
                    } else {
                        "no_answer"
                    }
                    .into(),
                    note: "On the safe number".into(),
                    reason: String::new(),
                };
                new_era.record_contact_attempt(o, &attempt).await.is_ok()
            }
            5 if !cases.is_empty() => {
                let c = &cases[rng.gen_range(0..cases.len())];
                let close = ChangeInput {
                    change: "close".into(),
                    reason: "support_completed".into(),
                    note: "Goals met".into(),
                    cope: "yes".into(),
                    recover: "yes".into(),
                };
                new_era.change_case(c, &close).await.is_ok()
            }
            _ => false,
        };
        if ok {
            done[op] += 1;
        }
        if step % 10 == 9 {
            let differences = recount_differences(db).await?;
            assert!(
                differences.is_empty(),
                "after step {step}: {differences:#?}"
            );
            let sums = summary::recount_differences(db).await?;
            assert!(sums.is_empty(), "the sums after step {step}: {sums:#?}");
        }
    }
    // Every kind of write happened.
    assert!(done.iter().all(|n| *n > 0), "{done:?}");
    assert_eq!(
        count(&app, "report_facts").await?,
        count(&app, "referrals").await?
    );
    // The milestones are there to count.
    let with: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM report_facts WHERE triaged_at IS NOT NULL AND referred_on_at IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    assert!(with > 0);

    // Lost facts are filled again from the records.
    sqlx::query("DELETE FROM report_facts WHERE referral_id IN (SELECT id FROM referrals WHERE area = 'E07000197')")
        .execute(db.pool())
        .await?;
    assert!(!recount_differences(db).await?.is_empty());
    assert!(!summary::recount_differences(db).await?.is_empty());
    assert!(fill_missing(db).await? > 0);
    assert_eq!(recount_differences(db).await?, Vec::<String>::new());
    assert_eq!(
        summary::recount_differences(db).await?,
        Vec::<String>::new()
    );

    // Sums lost are summed again at start.
    sqlx::query("DELETE FROM report_summary")
        .execute(db.pool())
        .await?;
    assert!(!summary::recount_differences(db).await?.is_empty());
    harbour_storage::schema::prepare(db).await?;
    assert_eq!(
        summary::recount_differences(db).await?,
        Vec::<String>::new()
    );
    Ok(())
}

/// A hand-counted fixture: seven police referrals received today, six for domestic abuse in
/// Stafford (Alys Brereton twice, so one repeat) and a theft in Newcastle-under-Lyme; advice on
/// one, two sent on to the IDVA service, one accepted, spoken to the same day and closed with
/// support completed.
struct Fixture {
    app: TestApp,
    days: (chrono::NaiveDate, chrono::NaiveDate),
}

async fn fixture(threshold: u64) -> anyhow::Result<Fixture> {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 100_000;
        c.report_suppress_below = threshold;
    })
    .await?;
    let db = &app.db;
    let mut referrals = Vec::new();
    for (given_name, family_name) in [
        ("Alys", "Brereton"),
        ("Alys", "Brereton"),
        ("Maren", "Oakes"),
        ("Tamsin", "Vell"),
        ("Ceri", "Amos"),
        ("Olwen", "Pryce"),
    ] {
        let case = Case {
            given_name,
            family_name,
            ..Case::default()
        };
        referrals.push(triaged_referral(db, case).await?);
    }
    let theft = Case {
        given_name: "Nia",
        family_name: "Hollis",
        area: "E07000195",
        postcode: "ST5 1AA",
        crime: "theft",
        ..Case::default()
    };
    referrals.push(triaged_referral(db, theft).await?);
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    hub.record_advice(
        &referrals[6],
        &AdviceInput {
            given: vec!["victims_code".into()],
            signposted: String::new(),
            how: "phone".into(),
            note: String::new(),
            close: false,
        },
    )
    .await?;
    let idva = service_id(db, IDVA).await?;
    let accepted = refer_on(db, &referrals[2], &idva).await?;
    refer_on(db, &referrals[3], &idva).await?;
    let new_era = store_as(db, "New Era", Role::Caseworker).await?;
    new_era
        .take_step(
            &accepted,
            &StepInput {
                step: "accept".into(),
                ..StepInput::default()
            },
        )
        .await?;
    new_era
        .record_contact_attempt(
            &accepted,
            &AttemptInput {
                channel: "phone_call".into(),
                result: "spoke".into(),
                note: "On the safe number".into(),
                reason: String::new(),
            },
        )
        .await?;
    let case: String = sqlx::query("SELECT id FROM cases WHERE onward_referral_id = $1")
        .bind(&accepted)
        .fetch_one(db.pool())
        .await?
        .try_get("id")?;
    new_era
        .change_case(
            &CaseId::from(case),
            &ChangeInput {
                change: "close".into(),
                reason: "support_completed".into(),
                note: "Goals met".into(),
                cope: "yes".into(),
                recover: "yes".into(),
            },
        )
        .await?;
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    let days = (
        today - chrono::Duration::days(3),
        today + chrono::Duration::days(3),
    );
    Ok(Fixture { app, days })
}

#[tokio::test]
async fn each_section_counts_the_hand_counted_fixture() -> R {
    let f = fixture(5).await?;
    let (from, to) = f.days;
    let c = store_as(
        &f.app.db,
        "Staffordshire Commissioner's Office",
        Role::Commissioner,
    )
    .await?;
    let all = Filter::default();
    let mut by_area = c.report_counts(from, to, &all, Breakdown::Area).await?;
    by_area.sort();
    assert_eq!(
        by_area,
        vec![(Some("E07000195".into()), 1), (Some("E07000197".into()), 6)]
    );
    let crime = c.report_counts(from, to, &all, Breakdown::Crime).await?;
    assert!(
        crime.contains(&(Some("domestic_abuse".into()), 6))
            && crime.contains(&(Some("theft".into()), 1))
    );
    let tiers = c.report_counts(from, to, &all, Breakdown::Tier).await?;
    assert_eq!(tiers, vec![(Some("targeted".into()), 7)]);

    let funnel = c.report_funnel(from, to, &all, None).await?;
    let w = &funnel[0];
    assert_eq!(
        (
            w.referrals,
            w.advised,
            w.accepted,
            w.referred_on,
            w.completed
        ),
        (7, 1, 1, 2, 1)
    );
    assert_eq!((w.reached, w.reached_in_time), (3, 3));
    assert_eq!((w.contact_within_1, w.contact_none), (1, 6));
    let stafford = Filter {
        area: Some("E07000197".into()),
        ..Filter::default()
    };
    let s = &c.report_funnel(from, to, &stafford, None).await?[0];
    assert_eq!((s.referrals, s.advised, s.referred_on), (6, 0, 2));

    // The same figures whether the period is days (read from the facts), whole months (read
    // from the sums) or both.
    let today = from + chrono::Duration::days(3);
    let first = chrono::Datelike::with_day(&today, 1).unwrap();
    let last = first + chrono::Months::new(1) - chrono::Duration::days(1);
    let (whole_area, whole_funnel) = (by_area.clone(), funnel.clone());
    for (a, b) in [
        (first, last),
        (first - chrono::Duration::days(5), last),
        (
            first - chrono::Duration::days(5),
            last + chrono::Duration::days(2),
        ),
    ] {
        let mut by_area = c.report_counts(a, b, &all, Breakdown::Area).await?;
        by_area.sort();
        assert_eq!(by_area, whole_area, "{a} to {b}");
        assert_eq!(
            c.report_funnel(a, b, &all, None).await?,
            whole_funnel,
            "{a} to {b}"
        );
        assert_eq!(
            c.report_funnel(a, b, &stafford, None).await?[0].referrals,
            6
        );
    }

    let repeats = c.report_repeats(from, to, &all).await?;
    let da = repeats
        .iter()
        .find(|r| r.crime == "domestic_abuse")
        .unwrap();
    assert_eq!(
        (
            da.referrals,
            da.repeats,
            da.victims,
            da.repeat_victims,
            da.by_repeat_victims
        ),
        (6, 1, 5, 1, 2)
    );

    let onward = c.report_onward(from, to, &all).await?;
    assert_eq!(onward.len(), 1);
    let o = &onward[0];
    assert_eq!((o.sent, o.waiting, o.accepted, o.declined), (2, 1, 1, 0));
    assert_eq!(o.outcomes.get("needs_met"), Some(&1));
    let consents = c.report_consents(from, to).await?;
    assert_eq!(consents.get("given"), Some(&2));
    let deadlines = c.report_deadlines(from, to, &all).await?;
    assert!(!deadlines.is_empty());
    for d in &deadlines {
        assert_eq!(
            d.due,
            d.met_in_time + d.met_late + d.missed + d.pending,
            "{d:?}"
        );
    }
    let spoken = deadlines
        .iter()
        .find(|d| d.milestone == "first_contact_attempt")
        .unwrap_or_else(|| panic!("{deadlines:#?}"));
    assert_eq!((spoken.due, spoken.met_in_time), (2, 1));

    let outcomes = c.report_outcomes(from, to, &all).await?;
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        (
            outcomes[0].closed,
            outcomes[0].cope_yes,
            outcomes[0].recover_yes
        ),
        (1, 1, 1)
    );
    let month = chrono::Datelike::month(&to);
    let year = chrono::Datelike::year(&to);
    let months = c.report_months((year, month), (year, month), &all).await?;
    let first_month = c
        .report_months(
            (
                chrono::Datelike::year(&from),
                chrono::Datelike::month(&from),
            ),
            (year, month),
            &all,
        )
        .await?;
    assert_eq!(first_month.iter().map(|(_, n)| n).sum::<u64>(), 7);
    assert!(months.len() == 1);

    // No one else reads the reports.
    let caseworker = store_as(&f.app.db, "New Era", Role::Caseworker).await?;
    assert!(
        caseworker
            .report_counts(from, to, &all, Breakdown::Area)
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn the_page_the_csv_and_the_spreadsheet_suppress_the_same_figures() -> R {
    let f = fixture(2).await?;
    let (from, to) = f.days;
    let query = format!(
        "?period=custom&from={}&to={}",
        from.format("%d/%m/%Y"),
        to.format("%d/%m/%Y")
    );
    let client = f.app.signed_in(Role::Commissioner).await?;
    let (status, page) = client.get_text(&format!("/reports{query}")).await?;
    assert_eq!(status, 200);
    assert!(page.contains("Repeat victimisation") && page.contains("<svg"));
    // The theft's one referral is hidden, and so is the count beside it that would give it away.
    let (status, csv) = client
        .get_text(&format!("/reports/csv/referrals-by-crime{query}"))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(
        csv,
        "Crime category,Referrals,Share (%)\nDomestic abuse,[c],\nTheft,<2,\nAll referrals,7,100.0\n"
    );
    let bytes = client
        .get(&format!("/reports/pack.xlsx{query}"))
        .await?
        .bytes()
        .await?;
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))?;
    let names = book.sheet_names();
    assert_eq!(&names[..3], ["Cover", "Contents", "Notes"]);
    let mut found = false;
    for name in names.iter().filter(|n| n.starts_with("Table_")) {
        let range = book.worksheet_range(name)?;
        let title = range.get_value((0, 0)).cloned().unwrap_or(Data::Empty);
        if title.to_string().contains("Referrals by crime category") {
            found = true;
            let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
            assert_eq!(cell(2, 0), Data::String("Crime category".into()));
            assert_eq!(cell(2, 2), Data::String("Share (%)".into()));
            assert_eq!(cell(3, 0), Data::String("Domestic abuse".into()));
            assert_eq!(cell(3, 1), Data::String("[c]".into()));
            assert_eq!(cell(4, 1), Data::String("<2".into()));
            assert_eq!(cell(5, 0), Data::String("All referrals".into()));
            assert_eq!(
                cell(5, 1),
                Data::Float(7.0),
                "numbers are stored as numbers"
            );
            assert_eq!(cell(5, 2), Data::Float(100.0));
            // No blank row inside the table, and nothing below it.
            assert_eq!(range.get_size().0, 6);
        }
    }
    assert!(found, "{names:?}");
    // A bad date is named beside its field.
    let (_, bad) = client
        .get_text("/reports?period=custom&from=31/02/2026&to=1/3/2026")
        .await?;
    assert!(bad.contains("Enter the first day as day/month/year"));
    Ok(())
}

/// Everything the commissioner can open, every report table and the spreadsheet included,
/// holds no name, reference, number or code word of the fixture's people.
#[tokio::test]
async fn nothing_the_commissioner_can_open_names_a_person() -> R {
    let f = fixture(2).await?;
    let (from, to) = f.days;
    let query = format!(
        "?period=custom&from={}&to={}",
        from.format("%d/%m/%Y"),
        to.format("%d/%m/%Y")
    );
    let client = f.app.signed_in(Role::Commissioner).await?;
    let canaries = [
        "Alys",
        "Brereton",
        "Maren",
        "Oakes",
        "Tamsin",
        "Vell",
        "Hollis",
        "SP/26/9001",
        "07700 900123",
        "alys.safe",
        "bluebell",
        "Rhys Calder",
        "Quiet Lane",
        "HBR-",
    ];
    let check = |what: &str, text: &str| {
        for c in canaries {
            assert!(!text.contains(c), "{what} shows {c}");
        }
    };
    let mut opened = 0;
    let mut tables = Vec::new();
    for spec in harbour_web::routes::specs() {
        let harbour_web::access::Access::Staff(action) = spec.access else {
            continue;
        };
        if spec.method != "GET"
            || harbour_domain::permission::authorize(&[Role::Commissioner], action).is_err()
        {
            continue;
        }
        let path = spec
            .path
            .replace("{code}", "E07000197")
            .replace("{id}", "referrals-by-area");
        if path.contains('{') {
            continue;
        }
        let (status, text) = client.get_text(&format!("{path}{query}")).await?;
        if status == 200 {
            opened += 1;
            check(&path, &text);
            if path == "/reports" {
                tables = text
                    .match_indices("/reports/csv/")
                    .map(|(i, _)| {
                        text[i + 13..]
                            .split(['?', '"'])
                            .next()
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect();
            }
        }
    }
    assert!(opened >= 5, "{opened}");
    assert!(tables.len() > 15, "{tables:?}");
    for t in &tables {
        let (status, text) = client.get_text(&format!("/reports/csv/{t}{query}")).await?;
        assert_eq!(status, 200, "{t}");
        check(t, &text);
    }
    use calamine::{Reader, Xlsx};
    let bytes = client
        .get(&format!("/reports/pack.xlsx{query}"))
        .await?
        .bytes()
        .await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))?;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name)?;
        let text: Vec<String> = range.cells().map(|(_, _, v)| v.to_string()).collect();
        check(&name, &text.join("\n"));
    }
    Ok(())
}

/// The analysts' API gives the same tables, suppressed the same way, and refuses what it
/// cannot read as a problem document.
#[tokio::test]
async fn the_statistics_api_gives_the_packs_tables_suppressed_as_published() -> R {
    let f = fixture(2).await?;
    let (from, to) = f.days;
    let token = f
        .app
        .api_token("Staffordshire Commissioner's Office")
        .await?;
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", f.app.url))
            .bearer_auth(&token)
            .send()
    };
    let query = format!("?from={from}&to={to}");
    let index: serde_json::Value = get(format!("/api/v1/statistics{query}"))
        .await?
        .json()
        .await?;
    assert_eq!(index["suppression"]["threshold"], 2);
    assert!(index["tables"].as_array().is_some_and(|t| t.len() > 15));
    let r = get(format!("/api/v1/statistics/referrals-by-crime{query}")).await?;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await?;
    let rows = &body["table"]["rows"];
    assert_eq!(rows[0]["label"], "Domestic abuse");
    assert_eq!(
        rows[0]["cells"][0],
        serde_json::json!({"kind": "suppressed", "value": "[c]"})
    );
    assert_eq!(
        rows[1]["cells"][0],
        serde_json::json!({"kind": "suppressed", "value": "<2"})
    );
    assert_eq!(
        rows[2]["cells"][0],
        serde_json::json!({"kind": "count", "value": 7})
    );
    assert_eq!(rows[2]["total"], true);

    let bad = get("/api/v1/statistics?period=soon&compare=sideways".into()).await?;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = bad.json().await?;
    let text = problem.to_string();
    assert!(
        text.contains("period") && text.contains("compare"),
        "{text}"
    );
    assert_eq!(
        get("/api/v1/statistics/nothing-like-it".into())
            .await?
            .status(),
        404
    );
    assert_eq!(
        get("/api/v1/statistics?colour=blue".into()).await?.status(),
        400
    );
    Ok(())
}

/// On the first working day after a quarter the worker e-mails the commissioner's office a
/// link to its report, once, and nothing else.
#[tokio::test]
async fn the_quarters_report_is_mailed_to_the_commissioners_office_once_as_a_link() -> R {
    use harbour_jobs::{Worker, WorkerConfig};
    use harbour_testkit::smtp::SmtpSink;
    let f = fixture(5).await?;
    let sink = SmtpSink::start().await?;
    let w = Worker::new(
        f.app.db.clone(),
        WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: sink.url(),
            mail_from: "Harbour <harbour@harbour.test>".into(),
            lease: chrono::Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: true,
        },
    )?;
    // Thursday 1 October 2026, the first working day after July to September.
    let first = chrono::DateTime::parse_from_rfc3339("2026-10-01T08:00:00+01:00")?
        .with_timezone(&chrono::Utc);
    w.run_once(first).await?;
    let mail = sink.wait_for(1, std::time::Duration::from_secs(5)).await?;
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("Harbour: the partnership report for July to September 2026 is ready")
    );
    assert!(
        mail[0]
            .to
            .contains(&harbour_testkit::app::demo_email(Role::Commissioner))
    );
    assert!(
        mail[0]
            .data
            .contains("https://harbour.test/reports?period=2026-Q3")
    );
    for name in ["Alys", "Brereton", "Stafford"] {
        assert!(!mail[0].data.contains(name), "{name}");
    }
    w.run_once(first + chrono::Duration::minutes(5)).await?;
    w.run_once(first + chrono::Duration::days(10)).await?;
    assert_eq!(sink.accepted().len(), 1, "once a quarter");
    Ok(())
}
