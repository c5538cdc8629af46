use super::*;
use crate::contact_gate::{Refusal, decide};
use crate::safe_contact::AllowedChannel;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn person(address: &str, postcode: &str) -> Person {
    Person {
        given_name: "Alys".into(),
        family_name: "Brereton".into(),
        previous_names: vec![],
        date_of_birth: None,
        age: None,
        gender: String::new(),
        address: address.into(),
        postcode: postcode.into(),
        area: None,
        language: String::new(),
        interpreter_needed: false,
        disability: String::new(),
        vulnerability: String::new(),
        ethnicity: String::new(),
        sexual_orientation: String::new(),
        religion: String::new(),
    }
}

fn phone(number: &str) -> AllowedChannel {
    AllowedChannel {
        channel: Channel::PhoneCall,
        value: number.into(),
    }
}

/// The case independent testing reproduced: a police referral, then an API referral a week later.
fn first() -> Details {
    Details {
        person: person("4 First Road", "ST16 2DH"),
        safe_contact: SafeContact {
            channels: vec![phone("07700 900111")],
            safe_times: vec![SafeTime {
                days: vec![Weekday::Mon],
                from: t(9, 0),
                to: t(17, 0),
            }],
            code_word: Some("bluebell".into()),
            ..Default::default()
        },
    }
}

fn second() -> Details {
    Details {
        person: person("9 Other Street", "ST17 4AB"),
        safe_contact: SafeContact {
            channels: vec![phone("07700 900222")],
            safe_times: vec![SafeTime {
                days: vec![Weekday::Sat],
                from: t(20, 0),
                to: t(21, 0),
            }],
            code_word: None,
            ..Default::default()
        },
    }
}

/// A Monday at `h`:00 UK time (in winter, so UTC).
fn monday_at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()
}

#[test]
fn the_reproduced_case_differs_in_number_times_code_word_and_address() {
    let diffs = differences(&first(), &second());
    let fields: Vec<Field> = diffs.iter().map(|d| d.field).collect();
    assert_eq!(
        fields,
        vec![
            Field::Channel(Channel::PhoneCall),
            Field::SafeTimes,
            Field::CodeWord,
            Field::Address
        ]
    );
    assert_eq!(diffs[0].held, "07700 900111");
    assert_eq!(diffs[0].referred, "07700 900222");
    assert_eq!(diffs[1].held, "Monday, 9:00 to 17:00");
    assert_eq!(diffs[2].referred, "None");
    assert_eq!(diffs[3].held, "4 First Road, ST16 2DH");
}

#[test]
fn the_gate_uses_neither_number_and_no_time_while_they_disagree() {
    let both = most_restrictive(&first().safe_contact, &[&second().safe_contact]);
    assert_eq!(
        decide(&both, &[], Channel::PhoneCall, monday_at(10)),
        Err(Refusal::DetailsUnconfirmed(Channel::PhoneCall)),
        "the old number may be the one the abuser now holds"
    );
    assert!(
        both.no_common_safe_time,
        "Monday 9-5 and Saturday 8-9pm share nothing"
    );
    assert_eq!(
        both.code_word.as_deref(),
        Some("bluebell"),
        "no code word lost"
    );
}

#[test]
fn the_same_number_written_differently_is_the_same() {
    let mut later = first();
    later.safe_contact.channels = vec![phone("+44 7700 900111")];
    later.person.address = "4 first road,".into();
    later.person.postcode = "st162dh".into();
    assert_eq!(differences(&first(), &later), vec![]);
    let both = most_restrictive(&first().safe_contact, &[&later.safe_contact]);
    let permit = decide(&both, &[], Channel::PhoneCall, monday_at(10)).unwrap();
    assert_eq!(permit.to, "07700 900111");
}

#[test]
fn blanks_in_a_referral_are_not_differences_but_a_new_value_is() {
    let mut held = first();
    held.person.gender = "Female".into();
    held.person.language = "Polish".into();
    let mut later = held.clone();
    later.person.gender = String::new();
    later.person.language = String::new();
    later.person.address = String::new();
    later.person.postcode = String::new();
    assert_eq!(differences(&held, &later), vec![]);
    later.person.language = "English".into();
    later.person.interpreter_needed = true;
    let d = differences(&held, &later);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].field, Field::Language);
    assert_eq!(d[0].referred, "English (needs an interpreter)");
}

#[test]
fn the_officer_chooses_field_by_field() {
    let chosen = apply(
        &first(),
        &second(),
        &[Field::Channel(Channel::PhoneCall), Field::Address],
    )
    .unwrap();
    assert_eq!(chosen.safe_contact.channels, vec![phone("07700 900222")]);
    assert_eq!(chosen.person.address, "9 Other Street");
    assert_eq!(chosen.person.postcode, "ST17 4AB");
    assert_eq!(
        chosen.safe_contact.safe_times,
        first().safe_contact.safe_times,
        "times not chosen are kept"
    );
    assert_eq!(chosen.safe_contact.code_word.as_deref(), Some("bluebell"));
}

#[test]
fn previous_names_are_added_never_replaced() {
    let mut held = first();
    held.person.previous_names = vec!["Alys Jones".into()];
    let mut later = first();
    later.person.previous_names = vec!["Alys Smith".into(), "alys jones".into()];
    let d = differences(&held, &later);
    assert_eq!(d[0].referred, "Alys Jones, Alys Smith");
    let chosen = apply(&held, &later, &[Field::PreviousNames]).unwrap();
    assert_eq!(
        chosen.person.previous_names,
        vec!["Alys Jones", "Alys Smith"]
    );
}

#[test]
fn a_choice_that_leaves_no_way_of_contact_is_refused() {
    let mut later = second();
    later.safe_contact.channels = vec![AllowedChannel {
        channel: Channel::Email,
        value: "a@b.example".into(),
    }];
    let e = apply(&first(), &later, &[Field::Channel(Channel::PhoneCall)]).unwrap_err();
    assert!(e.get("channels").unwrap().contains("at least one safe way"));
}

#[test]
fn overlapping_safe_times_leave_only_the_overlap() {
    let mut later = first();
    later.safe_contact.safe_times = vec![SafeTime {
        days: vec![Weekday::Mon, Weekday::Tue],
        from: t(12, 0),
        to: t(20, 0),
    }];
    let both = most_restrictive(&first().safe_contact, &[&later.safe_contact]);
    assert_eq!(
        both.safe_times,
        vec![SafeTime {
            days: vec![Weekday::Mon],
            from: t(12, 0),
            to: t(17, 0)
        }]
    );
    assert!(decide(&both, &[], Channel::PhoneCall, monday_at(13)).is_ok());
    assert!(decide(&both, &[], Channel::PhoneCall, monday_at(10)).is_err());
}

#[test]
fn safe_times_read_as_a_person_writes_them() {
    let times = vec![SafeTime {
        days: vec![Weekday::Mon, Weekday::Wed, Weekday::Fri],
        from: t(9, 30),
        to: t(12, 0),
    }];
    assert_eq!(
        describe_safe_times(&times),
        "Monday, Wednesday and Friday, 9:30 to 12:00"
    );
    assert_eq!(describe_safe_times(&[]), "Any time");
}

fn arb_safe_contact() -> impl Strategy<Value = SafeContact> {
    let channel = prop::sample::select(vec![
        (Channel::PhoneCall, "07700 900111"),
        (Channel::PhoneCall, "07700 900222"),
        (Channel::Sms, "07700 900111"),
        (Channel::Sms, "+44 7700 900333"),
        (Channel::Email, "safe@example.org"),
        (Channel::Email, "other@example.org"),
        (Channel::Post, "4 First Road"),
    ]);
    let window =
        (prop::collection::vec(0u32..7, 1..4), 0u32..23, 1u32..6).prop_map(|(days, from, len)| {
            SafeTime {
                days: {
                    let mut d: Vec<Weekday> = days
                        .into_iter()
                        .map(|n| Weekday::try_from(n as u8).unwrap())
                        .collect();
                    d.dedup();
                    d
                },
                from: t(from, 0),
                to: t((from + len).min(23), 59),
            }
        });
    (
        prop::collection::vec(channel, 0..4),
        prop::collection::vec(window, 0..3),
        prop::option::of(prop::sample::select(vec!["bluebell", "daffodil"])),
        any::<[bool; 4]>(),
    )
        .prop_map(|(chs, safe_times, word, flags)| {
            let mut channels: Vec<AllowedChannel> = Vec::new();
            for (channel, value) in chs {
                if !channels.iter().any(|c| c.channel == channel) {
                    channels.push(AllowedChannel {
                        channel,
                        value: value.into(),
                    });
                }
            }
            SafeContact {
                channels,
                safe_times,
                code_word: word.map(str::to_owned),
                abuser_sees_phone: flags[0],
                abuser_sees_post: flags[1],
                only_through_referrer: flags[2],
                do_not_contact: flags[3],
                ..Default::default()
            }
        })
}

proptest! {
    /// The combination never allows what any one of them refuses, and never to another number.
    #[test]
    fn the_combination_allows_only_what_every_one_allows(
        held in arb_safe_contact(),
        others in prop::collection::vec(arb_safe_contact(), 1..3),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        minutes in 0i64..(7 * 24 * 60),
    ) {
        let at = monday_at(0) + chrono::Duration::minutes(minutes);
        let refs: Vec<&SafeContact> = others.iter().collect();
        let both = most_restrictive(&held, &refs);
        if let Ok(permit) = decide(&both, &[], channel, at) {
            for one in std::iter::once(&held).chain(others.iter()) {
                let alone = decide(one, &[], channel, at);
                prop_assert!(alone.is_ok(), "{channel:?} at {at} refused alone: {alone:?}");
                let alone = alone.unwrap();
                prop_assert_eq!(value_key(channel, &alone.to), value_key(channel, &permit.to));
            }
            for one in std::iter::once(&held).chain(others.iter()) {
                if let Some(w) = &one.code_word {
                    prop_assert!(permit.code_word.as_deref().unwrap_or_default().contains(w.as_str()));
                }
            }
        }
    }

    /// Details compared with themselves differ in nothing, and choosing everything a referral
    /// says leaves nothing that still differs.
    #[test]
    fn choosing_every_difference_settles_them_all(
        held in arb_safe_contact(),
        referred in arb_safe_contact(),
    ) {
        let held = Details { person: person("4 First Road", "ST16 2DH"), safe_contact: held };
        let referred = Details { person: person("9 Other Street", "ST17 4AB"), safe_contact: referred };
        prop_assert!(differences(&held, &held).is_empty());
        let take: Vec<Field> = differences(&held, &referred).iter().map(|d| d.field).collect();
        if let Ok(chosen) = apply(&held, &referred, &take) {
            prop_assert!(differences(&chosen, &referred).is_empty(), "{:?}", differences(&chosen, &referred));
        }
        prop_assert_eq!(apply(&held, &referred, &[]).ok().map(|d| d.safe_contact), (!held.safe_contact.channels.is_empty() || held.safe_contact.only_through_referrer || held.safe_contact.do_not_contact).then(|| held.safe_contact.clone()));
    }
}
