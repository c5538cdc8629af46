//! A person's details across referrals, on both databases: a later referral never alters what
//! an earlier one recorded or what is held; where it differs, the hub is told and chooses field
//! by field, and until then the contact gate allows only what both allow.

use harbour_domain::consent::ConsentInput;
use harbour_domain::contact_gate::Refusal;
use harbour_domain::ids::ReferralId;
use harbour_domain::role::Role;
use harbour_domain::safe_contact::Channel;
use harbour_storage::onward::{ReferOnInput, ReferredOn};
use harbour_storage::person_details::Review;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, service_id, store_as, triaged_referral};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

type R = anyhow::Result<()>;

/// What a second agency's system says about Alys Brereton a week after the police referral:
/// another number, another safe time, no code word, another address.
fn later_referral() -> serde_json::Value {
    json!({
        "source": "partner_agency",
        "crime_category": "domestic_abuse",
        "incident_date": "2026-11-20",
        "incident_area": "E07000197",
        "person": { "given_name": "Alys", "family_name": "Brereton", "date_of_birth": "1990-04-02",
                    "address": "9 Other Street", "postcode": "ST17 4AB", "area": "E07000197" },
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": "07700 900222" } ],
            "safe_times": [ { "days": ["sat"], "from": "20:00", "to": "21:00" } ]
        }
    })
}

async fn held(app: &TestApp) -> anyhow::Result<(String, String)> {
    let row = sqlx::query("SELECT details, safe_contact FROM persons")
        .fetch_one(app.db.pool())
        .await?;
    let opened = |c: &str| harbour_testkit::inspect::opened(&row.get::<String, _>(c));
    Ok((opened("details")?, opened("safe_contact")?))
}

#[tokio::test]
async fn a_later_referral_changes_nothing_held_until_the_hub_chooses() -> R {
    let app = TestApp::spawn().await?;
    // The police referral: phone 07700 900123 (and e-mail), weekdays 10:00-12:00, code word
    // bluebell, 4 Quiet Lane; triaged and referred on to the IDVA service.
    let first = triaged_referral(
        &app.db,
        Case {
            safe_times: true,
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let ReferredOn::Sent { id: onward } = hub
        .refer_onward(
            &first,
            &ReferOnInput {
                service_id: service_id(&app.db, IDVA).await?,
                consent: ConsentInput {
                    decision: "given".into(),
                    shares: vec!["identity".into()],
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await?
    else {
        anyhow::bail!("not sent");
    };
    let before = held(&app).await?;

    let token = app.api_token("New Era").await?;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/referrals", app.url))
        .bearer_auth(&token)
        .json(&later_referral())
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::CREATED);
    let second = ReferralId::from(
        r.json::<serde_json::Value>().await?["id"]
            .as_str()
            .unwrap_or_default(),
    );
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM persons")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    assert_eq!(
        count, 1,
        "the same name and date of birth is the same person"
    );

    // Nothing held changed, and the first referral still says what it said.
    assert_eq!(held(&app).await?, before, "the held details are untouched");
    let a = hub.get_referral(&first).await?;
    assert_eq!(a.safe_contact.channels[0].value, "07700 900123");
    assert_eq!(a.safe_contact.code_word.as_deref(), Some("bluebell"));
    assert_eq!(a.person.address, "4 Quiet Lane, Stafford");
    assert_eq!(a.details_review, Review::Agreed);
    let b = hub.get_referral(&second).await?;
    assert_eq!(
        b.person.address, "9 Other Street",
        "the later keeps its own"
    );
    assert_eq!(b.safe_contact.code_word, None);
    assert_eq!(b.details_review, Review::Pending);

    // Until someone chooses, the gate uses only what both allow: neither number, no time.
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    assert_eq!(
        new_era.contact_permit(&onward, Channel::PhoneCall).await?,
        Err(Refusal::DetailsUnconfirmed(Channel::PhoneCall))
    );
    assert_eq!(
        new_era.contact_permit(&onward, Channel::Email).await?,
        Err(Refusal::DetailsUnconfirmed(Channel::Email)),
        "the later referral does not allow e-mail"
    );
    let rules = new_era
        .onward_referral(&onward)
        .await?
        .safe_contact
        .unwrap_or_default();
    assert_eq!(rules.code_word.as_deref(), Some("bluebell"));
    assert!(rules.no_common_safe_time);

    // The hub is told, in the queue and on the triage page, with the differences.
    let officer = app.signed_in(Role::TriageOfficer).await?;
    let (_, queue) = officer.get_text("/referrals/queue").await?;
    assert!(queue.contains("Details differ from what we hold"));
    let (_, triage) = officer
        .get_text(&format!("/referrals/{second}/triage"))
        .await?;
    assert!(triage.contains("Details differ from what we hold"));
    assert!(triage.contains(
        "we hold <strong>07700 900123</strong>; this referral says <strong>07700 900222</strong>"
    ));
    assert!(
        triage.contains("this referral says <strong>None</strong>"),
        "the code word left out"
    );

    // The officer must choose for every difference...
    let page = format!("/referrals/{second}/details");
    let (_, form) = officer.get_text(&page).await?;
    let version = form
        .split("name=\"held_version\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let r = officer
        .submit(
            &page,
            &page,
            &[
                ("held_version", &version),
                ("channel_phone_call", "referred"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await?;
    assert!(
        text.contains("Choose which is right for safe times"),
        "{text}"
    );
    assert!(
        held(&app).await? == before,
        "nothing applied from a refused choice"
    );

    // ...and then chooses: the new number and times and address, keeping the code word and e-mail.
    let choice = [
        ("held_version", version.as_str()),
        ("channel_phone_call", "referred"),
        ("channel_email", "held"),
        ("safe_times", "referred"),
        ("code_word", "held"),
        ("address", "referred"),
    ];
    let r = officer.submit(&page, &page, &choice).await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (details, safe) = held(&app).await?;
    assert!(details.contains("9 Other Street") && safe.contains("07700 900222"));
    assert!(safe.contains("bluebell") && safe.contains("alys.safe@example.org"));
    assert_eq!(
        hub.get_referral(&second).await?.details_review,
        Review::Resolved
    );
    let a = hub.get_referral(&first).await?;
    assert_eq!(
        a.safe_contact.channels[0].value, "07700 900123",
        "the first referral's record never changes"
    );
    match new_era.contact_permit(&onward, Channel::PhoneCall).await? {
        Ok(permit) => assert_eq!(permit.to, "07700 900222"),
        Err(Refusal::OutsideSafeTimes { .. }) => {}
        other => panic!("the confirmed number is used at the confirmed times: {other:?}"),
    }
    let (_, queue) = officer.get_text("/referrals/queue").await?;
    assert!(!queue.contains("Details differ from what we hold"));

    // A choice made against details changed since is refused, not applied over the change.
    let r = officer.submit(&page, &page, &choice).await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await?
            .contains("Someone changed the details we hold")
    );

    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE entity_kind = 'person' AND action = 'change' \
         AND purpose LIKE 'confirm details against referral%'",
    )
    .fetch_one(app.db.pool())
    .await?
    .get(0);
    assert_eq!(audited, 1, "the choice is audited, once");
    Ok(())
}

/// A database from before referrals kept their own record: the migration gives each referral
/// its record from the person as then held.
#[tokio::test]
async fn referrals_stored_before_get_their_record_from_the_person_as_held() -> R {
    use harbour_storage::{Backend, Db};
    let test_db = harbour_testkit::TestDb::new().await?;
    let db = Db::connect(&test_db.url, 2).await?;
    let mut before = match db.backend() {
        Backend::Sqlite => sqlx::migrate!("../storage/migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../storage/migrations/postgres"),
    };
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version <= 10)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(db.pool()).await?;
    let details = r#"{"given_name":"Alys","family_name":"Brereton","previous_names":[],"date_of_birth":"1990-04-02","age":null,"gender":"","address":"4 Quiet Lane","postcode":"ST16 2DH","area":null,"language":"","interpreter_needed":false,"disability":"","vulnerability":"","ethnicity":"","sexual_orientation":"","religion":""}"#;
    let safe = r#"{"channels":[{"channel":"phone_call","value":"07700 900123"}],"safe_times":[],"code_word":"bluebell","abuser_sees_phone":false,"abuser_sees_post":false,"only_through_referrer":false,"do_not_contact":false}"#;
    sqlx::query(
        "INSERT INTO persons (id, given_name, family_name, date_of_birth, postcode, details, \
         safe_contact, created_at, updated_at) VALUES ('p1', 'Alys', 'Brereton', '1990-04-02', \
         'ST16 2DH', $1, $2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(details)
    .bind(safe)
    .execute(db.pool())
    .await?;
    sqlx::query(
        "INSERT INTO referrals (id, reference, person_id, status, source, received_at, due_on, \
         crime_category, reported_to_police, perpetrators, children, consent_to_referral, \
         consent_basis, consent_to_aggregate, notes, created_at, updated_at) VALUES ('r1', \
         'HBR-OLD', 'p1', 'received', 'police', '2026-01-01T00:00:00Z', '2026-01-05', \
         'domestic_abuse', TRUE, '[]', '[]', 'given', 'opt_out', FALSE, '', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(db.pool())
    .await?;
    harbour_storage::schema::prepare(&db).await?;
    let row = sqlx::query(
        "SELECT person_details, person_safe_contact, details_review FROM referrals WHERE id = 'r1'",
    )
    .fetch_one(db.pool())
    .await?;
    // Sealed at that first start, as every value written before encryption is.
    let (stored_details, stored_safe) = (row.get::<String, _>(0), row.get::<String, _>(1));
    assert!(stored_details.starts_with("hbe1:") && !stored_details.contains("Quiet Lane"));
    assert!(stored_safe.starts_with("hbe1:") && !stored_safe.contains("bluebell"));
    assert_eq!(harbour_testkit::inspect::opened(&stored_details)?, details);
    assert_eq!(harbour_testkit::inspect::opened(&stored_safe)?, safe);
    let held: String = sqlx::query_scalar("SELECT safe_contact FROM persons WHERE id = 'p1'")
        .fetch_one(db.pool())
        .await?;
    assert_eq!(harbour_testkit::inspect::opened(&held)?, safe);
    // Nor is the plain text left behind in the file's free pages or its log.
    if db.backend() == Backend::Sqlite {
        let raw = harbour_testkit::inspect::sqlite_file_text(&test_db.url)?;
        assert!(!raw.contains("bluebell") && !raw.contains("Quiet Lane"));
    }
    assert_eq!(row.get::<Option<String>, _>(2), None);
    Ok(())
}
