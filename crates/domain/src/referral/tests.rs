use super::*;
use crate::safe_contact::ChannelInput;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

#[test]
fn an_age_is_a_whole_number_however_json_writes_it() {
    let age = |json: &str| serde_json::from_str::<PersonInput>(json).map(|p| p.age);
    assert_eq!(age(r#"{"age": 32}"#).unwrap(), Some(32));
    assert_eq!(age(r#"{"age": 32.0}"#).unwrap(), Some(32));
    assert_eq!(age(r#"{"age": null}"#).unwrap(), None);
    assert_eq!(age("{}").unwrap(), None);
    for bad in ["32.5", "-1", "1e10", "\"32\""] {
        assert!(age(&format!(r#"{{"age": {bad}}}"#)).is_err(), "{bad}");
    }
}

fn areas() -> Vec<String> {
    vec!["E07000197".into(), "E06000021".into()]
}

pub(crate) fn police_referral() -> ReferralInput {
    ReferralInput {
        source: "police".into(),
        crime_category: "domestic_abuse".into(),
        police_reference: "SP/26/112233".into(),
        incident_date: "2026-11-21".into(),
        incident_area: "E07000197".into(),
        person: PersonInput {
            given_name: "Alys".into(),
            family_name: "Brereton".into(),
            date_of_birth: "1990-04-02".into(),
            postcode: "st162dh".into(),
            area: "E07000197".into(),
            ..Default::default()
        },
        perpetrators: vec![PerpetratorInput {
            relationship: "ex-partner".into(),
            ..Default::default()
        }],
        consent_to_referral: "given".into(),
        safe_contact: SafeContactInput {
            channels: vec![ChannelInput {
                channel: "phone_call".into(),
                value: "07700 900123".into(),
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn a_good_police_referral_is_accepted_and_normalised() {
    let r = police_referral().validate(today(), &areas()).unwrap();
    assert_eq!(r.source, Source::Police);
    assert!(r.reported_to_police);
    assert_eq!(r.person.postcode, "ST16 2DH");
    assert_eq!(r.consent_basis, ConsentBasis::Explicit);
    assert_eq!(r.person.age_on(today()), Some(36));
}

#[test]
fn every_problem_is_named_at_its_path() {
    let mut bad = police_referral();
    bad.police_reference = String::new();
    bad.incident_date = "2027-01-01".into();
    bad.person.given_name = String::new();
    bad.person.family_name = String::new();
    bad.person.postcode = "NOT A CODE".into();
    bad.person.area = "E99999999".into();
    bad.perpetrators[0].relationship = String::new();
    bad.children = vec![ChildInput {
        name: "x".into(),
        age: Some(19),
    }];
    bad.consent_to_referral = "maybe".into();
    let e = bad.validate(today(), &areas()).unwrap_err();
    for field in [
        "police_reference",
        "incident_date",
        "person/given_name",
        "person/postcode",
        "person/area",
        "perpetrators/0/relationship",
        "children/0/age",
        "consent_to_referral",
    ] {
        assert!(e.get(field).is_some(), "{field}: {e}");
    }
    assert_eq!(
        e.get("incident_date"),
        Some("The date of the incident must be today or in the past")
    );
}

#[test]
fn due_dates_count_working_days_in_uk_time() {
    let cal = WorkingDays::england_and_wales();
    // 23:30 UTC on Friday 3 July 2026 is 00:30 on Saturday in London: the clock starts Monday.
    let late_friday = DateTime::parse_from_rfc3339("2026-07-03T23:30:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        due_by(Source::Police, late_friday, &cal),
        NaiveDate::from_ymd_opt(2026, 7, 7).unwrap()
    );
    let thursday_before_easter = DateTime::parse_from_rfc3339("2026-04-02T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        due_by(Source::Police, thursday_before_easter, &cal),
        NaiveDate::from_ymd_opt(2026, 4, 8).unwrap()
    );
}
