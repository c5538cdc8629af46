//! Gathering everything Harbour holds about a person, across agencies, into the sections the
//! export shows: their details as held, each referral with the person as it recorded them, its
//! triage and advice, each referral on with its consent and contact, each case with its notes,
//! MARAC cases with the agencies' research, alerts subscriptions at their e-mail addresses, and
//! who has read their records. Items about someone else, naming staff, or restricted by the
//! agency that wrote them are flagged for the officer's review.

use crate::db::Db;
use crate::error::Result;
use crate::referrals::from_json;
use crate::sealed::Opened;
use harbour_domain::case::{CaseStatus, ClosureReason, NoteKind};
use harbour_domain::crime::CrimeCategory;
use harbour_domain::ids::PersonId;
use harbour_domain::instrument::RiskLevel;
use harbour_domain::needs::ServiceTier;
use harbour_domain::onward::{Outcome, State};
use harbour_domain::referral::{Child, Perpetrator, Person, Status};
use harbour_domain::safe_contact::SafeContact;
use harbour_domain::subject_access::{Flag, Item, Section};

fn label<T: Copy>(slug: &str, from: fn(&str) -> Option<T>, label: fn(T) -> &'static str) -> String {
    from(slug).map_or_else(|| slug.replace('_', " "), |x| label(x).to_owned())
}

pub(crate) fn day(t: &str) -> String {
    t.get(..10)
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .map_or_else(|| t.to_owned(), |d| d.format("%-d %B %Y").to_string())
}

struct Items(Vec<Item>);

impl Items {
    fn add(&mut self, key: String, label: &str, text: impl Into<String>, flag: Option<Flag>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.0.push(Item {
                key,
                label: label.to_owned(),
                text,
                flag,
            });
        }
    }
}

fn person_items(items: &mut Items, key: &str, p: &Person) {
    items.add(format!("{key}.name"), "Name", p.full_name(), None);
    items.add(
        format!("{key}.previous"),
        "Previous names",
        p.previous_names.join(", "),
        None,
    );
    if let Some(d) = p.date_of_birth {
        items.add(
            format!("{key}.born"),
            "Date of birth",
            d.format("%-d %B %Y").to_string(),
            None,
        );
    }
    items.add(format!("{key}.address"), "Address", p.address.clone(), None);
    items.add(
        format!("{key}.postcode"),
        "Postcode",
        p.postcode.clone(),
        None,
    );
    items.add(
        format!("{key}.gender"),
        "Gender",
        p.gender.replace('_', " "),
        None,
    );
    items.add(
        format!("{key}.language"),
        "Language",
        p.language.clone(),
        None,
    );
    items.add(
        format!("{key}.disability"),
        "Disability",
        p.disability.clone(),
        None,
    );
    items.add(
        format!("{key}.vulnerability"),
        "Vulnerability",
        p.vulnerability.clone(),
        None,
    );
    items.add(
        format!("{key}.ethnicity"),
        "Ethnicity",
        p.ethnicity.replace('_', " "),
        None,
    );
}

fn contact_items(items: &mut Items, key: &str, s: &SafeContact) {
    for (i, c) in s.channels.iter().enumerate() {
        items.add(
            format!("{key}.channel.{i}"),
            c.channel.label(),
            c.value.clone(),
            None,
        );
    }
    if let Some(w) = &s.code_word {
        items.add(format!("{key}.code_word"), "Code word", w.clone(), None);
    }
    if s.do_not_contact {
        items.add(format!("{key}.dnc"), "Contact", "Do not contact", None);
    }
}

#[derive(sqlx::FromRow)]
struct ReferralRow {
    id: String,
    reference: String,
    received_at: String,
    status: String,
    crime_category: String,
    police_reference: Option<String>,
    notes: Opened,
    perpetrators: String,
    children: String,
    person_details: String,
    person_safe_contact: String,
    agency: Option<String>,
}

/// Everything about `person`, and the ids of the records it came from (for who read them).
pub(crate) async fn gather(
    db: &Db,
    person: &PersonId,
    emails: &mut Vec<String>,
) -> Result<(Vec<Section>, Vec<String>)> {
    let pool = db.pool();
    let mut sections = Vec::new();
    let mut ids: Vec<String> = vec![person.to_string()];

    let (details, safe): (String, String) =
        sqlx::query_as("SELECT details, safe_contact FROM persons WHERE id = $1")
            .bind(person)
            .fetch_one(pool)
            .await?;
    let mut items = Items(Vec::new());
    let held: Person = from_json(&details)?;
    let held_contact: SafeContact = from_json(&safe)?;
    person_items(&mut items, "person", &held);
    contact_items(&mut items, "person.contact", &held_contact);
    emails.extend(
        held_contact
            .channels
            .iter()
            .filter(|c| c.value.contains('@'))
            .map(|c| c.value.to_lowercase()),
    );
    sections.push(Section {
        title: "Your details as we hold them".into(),
        items: items.0,
    });

    let referrals: Vec<ReferralRow> = sqlx::query_as(
        "SELECT r.id, r.reference, r.received_at, r.status, r.crime_category, r.police_reference, r.notes, \
         r.perpetrators, r.children, r.person_details, r.person_safe_contact, a.name AS agency \
         FROM referrals r LEFT JOIN agencies a ON a.id = r.submitting_agency WHERE r.person_id = $1 \
         AND r.erased_at IS NULL ORDER BY r.received_at",
    )
    .bind(person)
    .fetch_all(pool)
    .await?;
    for r in &referrals {
        ids.push(r.id.clone());
        let k = format!("referral.{}", r.id);
        let mut items = Items(Vec::new());
        items.add(
            format!("{k}.from"),
            "Referred by",
            r.agency
                .clone()
                .unwrap_or_else(|| "You, through the online form".into()),
            None,
        );
        items.add(
            format!("{k}.crime"),
            "What happened",
            label(
                &r.crime_category,
                CrimeCategory::from_slug,
                CrimeCategory::label,
            ),
            None,
        );
        items.add(
            format!("{k}.status"),
            "Where it stands",
            label(&r.status, Status::from_slug, Status::label),
            None,
        );
        items.add(
            format!("{k}.police"),
            "Police reference",
            r.police_reference.clone().unwrap_or_default(),
            None,
        );
        items.add(
            format!("{k}.notes"),
            "What the referral said",
            r.notes.clone(),
            None,
        );
        if !r.person_details.is_empty() {
            let as_referred: Person = from_json(&r.person_details)?;
            person_items(&mut items, &format!("{k}.person"), &as_referred);
        }
        if !r.person_safe_contact.is_empty() {
            let c: SafeContact = from_json(&r.person_safe_contact)?;
            emails.extend(
                c.channels
                    .iter()
                    .filter(|c| c.value.contains('@'))
                    .map(|c| c.value.to_lowercase()),
            );
            contact_items(&mut items, &format!("{k}.contact"), &c);
        }
        let perpetrators: Vec<Perpetrator> = from_json(&r.perpetrators)?;
        for (i, p) in perpetrators.iter().enumerate() {
            let text = [p.name.as_str(), p.relationship.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            items.add(
                format!("{k}.perpetrator.{i}"),
                "Who harmed you",
                text,
                Some(Flag::ThirdParty),
            );
        }
        let children: Vec<Child> = from_json(&r.children)?;
        for (i, c) in children.iter().enumerate() {
            let text = match c.age {
                Some(a) => format!("{} ({a})", c.name),
                None => c.name.clone(),
            };
            items.add(
                format!("{k}.child.{i}"),
                "Child",
                text,
                Some(Flag::ThirdParty),
            );
        }
        let triage: Vec<(String, String, String, String, Option<Opened>)> = sqlx::query_as(
            "SELECT id, decided_at, tier, risk_level, judgement_reason FROM triage_decisions WHERE referral_id = $1 ORDER BY decided_at",
        )
        .bind(&r.id)
        .fetch_all(pool)
        .await?;
        for (id, at, tier, risk, why) in triage {
            let text = format!(
                "{}: {}; risk {}{}",
                day(&at),
                label(&tier, ServiceTier::from_slug, ServiceTier::label),
                label(&risk, RiskLevel::from_slug, RiskLevel::label).to_lowercase(),
                why.map(|w| format!(". {}", w.0)).unwrap_or_default()
            );
            items.add(
                format!("{k}.triage.{id}"),
                "Assessed by the hub",
                text,
                None,
            );
        }
        let advice: Vec<(String, String, Option<Opened>)> = sqlx::query_as(
            "SELECT id, given_at, note FROM referral_advice WHERE referral_id = $1 ORDER BY given_at",
        )
        .bind(&r.id)
        .fetch_all(pool)
        .await?;
        for (id, at, note) in advice {
            items.add(
                format!("{k}.advice.{id}"),
                "Information and advice given",
                format!(
                    "{}{}",
                    day(&at),
                    note.map(|n| format!(": {}", n.0)).unwrap_or_default()
                ),
                None,
            );
        }
        sections.push(Section {
            title: format!("Referral {}, received {}", r.reference, day(&r.received_at)),
            items: items.0,
        });
    }

    #[derive(sqlx::FromRow)]
    struct OnwardRow {
        id: String,
        service: String,
        sent_at: String,
        state: String,
        note: Opened,
        outcome: Option<String>,
        outcome_note: Option<Opened>,
    }
    let onward: Vec<OnwardRow> = sqlx::query_as(
        "SELECT o.id, s.name AS service, o.sent_at, o.state, o.note, o.outcome, o.outcome_note FROM onward_referrals o \
         JOIN dir_services s ON s.id = o.service_id WHERE o.person_id = $1 AND o.erased_at IS NULL ORDER BY o.sent_at",
    )
    .bind(person)
    .fetch_all(pool)
    .await?;
    for OnwardRow {
        id,
        service,
        sent_at: sent,
        state,
        note: Opened(note),
        outcome,
        outcome_note,
    } in onward
    {
        ids.push(id.clone());
        let k = format!("onward.{id}");
        let mut items = Items(Vec::new());
        items.add(
            format!("{k}.state"),
            "Where it stands",
            label(&state, State::from_slug, State::label),
            None,
        );
        items.add(
            format!("{k}.note"),
            "What the hub told the service",
            note,
            None,
        );
        if let Some(o) = outcome {
            items.add(
                format!("{k}.outcome"),
                "How it ended",
                label(&o, Outcome::from_slug, Outcome::label),
                None,
            );
        }
        items.add(
            format!("{k}.outcome_note"),
            "About how it ended",
            outcome_note.unwrap_or_default(),
            None,
        );
        let consents: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT k.id, k.decision, k.recorded_at FROM consents k JOIN onward_referrals o ON o.consent_id = k.id WHERE o.id = $1",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        for (cid, decision, at) in consents {
            let said = match decision.as_str() {
                "given" => "You agreed to this referral",
                "refused" => "You did not agree to this referral",
                _ => "Shared without your agreement, on a legal basis, to keep someone safe",
            };
            items.add(
                format!("{k}.consent.{cid}"),
                "Consent",
                format!("{said} ({})", day(&at)),
                None,
            );
        }
        let attempts: Vec<(String, String, String, String, Opened)> = sqlx::query_as(
            "SELECT id, made_at, channel, result, note FROM contact_attempts WHERE onward_referral_id = $1 AND erased_at IS NULL ORDER BY made_at",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        for (aid, at, channel, result, Opened(note)) in attempts {
            let channel = label(
                &channel,
                harbour_domain::safe_contact::Channel::from_slug,
                harbour_domain::safe_contact::Channel::label,
            );
            let text = format!(
                "{}: {channel}, {}{}",
                day(&at),
                result.replace('_', " "),
                if note.is_empty() {
                    String::new()
                } else {
                    format!(". {note}")
                }
            );
            items.add(format!("{k}.contact.{aid}"), "Contact", text, None);
        }
        sections.push(Section {
            title: format!("Referral to {service}, sent {}", day(&sent)),
            items: items.0,
        });
    }

    #[derive(sqlx::FromRow)]
    struct CaseRow {
        id: String,
        agency: String,
        opened_at: String,
        status: String,
        closure_reason: Option<String>,
        closure_note: Option<Opened>,
    }
    let cases: Vec<CaseRow> = sqlx::query_as(
        "SELECT c.id, a.name AS agency, c.opened_at, c.status, c.closure_reason, c.closure_note FROM cases c \
         JOIN agencies a ON a.id = c.agency_id WHERE c.person_id = $1 AND c.erased_at IS NULL ORDER BY c.opened_at",
    )
    .bind(person)
    .fetch_all(pool)
    .await?;
    for CaseRow {
        id,
        agency,
        opened_at: opened,
        status,
        closure_reason: reason,
        closure_note: closing,
    } in cases
    {
        ids.push(id.clone());
        let k = format!("case.{id}");
        let mut items = Items(Vec::new());
        items.add(
            format!("{k}.status"),
            "Where it stands",
            label(&status, CaseStatus::from_slug, CaseStatus::label),
            None,
        );
        if let Some(r) = reason {
            items.add(
                format!("{k}.reason"),
                "Why it closed",
                label(&r, ClosureReason::from_slug, ClosureReason::label),
                None,
            );
        }
        items.add(
            format!("{k}.closing"),
            "About its closing",
            closing.unwrap_or_default(),
            None,
        );
        let notes: Vec<(String, String, String, Opened, crate::db::Flag)> = sqlx::query_as(
            "SELECT id, happened_on, kind, body, restricted FROM case_notes WHERE case_id = $1 ORDER BY happened_on, written_at",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        for (nid, on, kind, Opened(body), restricted) in notes {
            let label_text = format!(
                "{} note, {}",
                label(&kind, NoteKind::from_slug, NoteKind::label),
                day(&on)
            );
            items.add(
                format!("{k}.note.{nid}"),
                &label_text,
                body,
                restricted.0.then_some(Flag::Restricted),
            );
        }
        sections.push(Section {
            title: format!("Support from {agency}, from {}", day(&opened)),
            items: items.0,
        });
    }

    let marac: Vec<(String, String, String, String, Opened, String)> = sqlx::query_as(
        "SELECT id, reference, referred_at, status, afraid_of, perpetrators FROM marac_cases \
         WHERE person_id = $1 AND erased_at IS NULL ORDER BY referred_at",
    )
    .bind(person)
    .fetch_all(pool)
    .await?;
    for (id, reference, at, status, Opened(afraid_of), perpetrators) in marac {
        ids.push(id.clone());
        let k = format!("marac.{id}");
        let mut items = Items(Vec::new());
        items.add(
            format!("{k}.status"),
            "Where it stands",
            label(
                &status,
                harbour_domain::marac::meeting::CaseStatus::from_slug,
                harbour_domain::marac::meeting::CaseStatus::label,
            ),
            None,
        );
        items.add(
            format!("{k}.afraid"),
            "Who you were afraid of",
            afraid_of,
            Some(Flag::ThirdParty),
        );
        let list: Vec<Perpetrator> = from_json(&perpetrators)?;
        for (i, p) in list.iter().enumerate() {
            items.add(
                format!("{k}.perpetrator.{i}"),
                "Who harmed you",
                p.name.clone(),
                Some(Flag::ThirdParty),
            );
        }
        let research: Vec<(String, Opened, Opened)> = sqlx::query_as(
            "SELECT a.name, r.facts, r.opinion FROM marac_research r JOIN agencies a ON a.id = r.agency_id WHERE r.case_id = $1 ORDER BY a.name",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        for (agency, Opened(facts), Opened(opinion)) in research {
            let text = [facts, opinion]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            items.add(
                format!("{k}.research.{agency}"),
                &format!("What {agency} shared"),
                text,
                Some(Flag::Restricted),
            );
        }
        sections.push(Section {
            title: format!("MARAC case {reference}, referred {}", day(&at)),
            items: items.0,
        });
    }
    Ok((sections, ids))
}
