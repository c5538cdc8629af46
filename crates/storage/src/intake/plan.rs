//! Each submission's fate, decided in Rust: a replay, a file row already imported, or a new
//! referral, and whether its person is new, already stored or met earlier in the same batch.

use super::*;
use crate::reports::facts::{Arrival, FactRow};
use crate::sealed::{self, Keyring};
use chrono::Datelike;
use harbour_domain::linkage::perpetrator;

/// A batch once its look-ups are done: each submission's answer, and the rows and audit
/// entries that write it.
#[derive(Default)]
pub(super) struct Plan<'a> {
    pub(super) results: Vec<Result<Submitted>>,
    pub(super) new_people: Vec<PersonRow<'a>>,
    pub(super) referrals: Vec<ReferralRow<'a>>,
    /// Each new referral's blocking keys.
    pub(super) blocks: Vec<BlockRow>,
    /// What recognition found: links made and possible matches for the hub.
    pub(super) matches: Vec<MatchRow>,
    /// Each new referral's facts for the reports.
    pub(super) facts: Vec<FactRow>,
    pub(super) events: Vec<AuditEvent>,
}

/// How a batch recognises people: the model and thresholds, and the earlier referrals that share
/// a blocking key with any in the batch. Without a trained model, only an exact match of names
/// and date of birth links a referral to a known person.
pub(super) struct Recognising {
    pub(super) recogniser: Recogniser,
    pub(super) pool: Pool,
}

/// Decides what becomes of each submission in `batch`, given what is already stored; `records`
/// are the submissions' records of the person, prepared, with their blocking keys.
pub(super) fn plan<'a>(
    batch: &'a [Submission],
    found: Found,
    records: Vec<(Prepared, Vec<i64>)>,
    mut recognising: Option<Recognising>,
    keyring: &Keyring,
) -> Result<Plan<'a>> {
    let Found {
        mut by_idem,
        mut by_import,
        mut known,
    } = found;
    let mut plan = Plan::default();
    for (s, (prepared, keys)) in batch.iter().zip(records) {
        let agency = s.origin.submitting_agency.clone();
        if let Some((key, hash)) = &s.idempotency
            && let Some((receipt, stored_hash)) = by_idem.get(&(agency.clone(), key.clone()))
        {
            plan.results
                .push(Ok(if stored_hash.as_deref() == Some(hash.as_str()) {
                    Submitted::Replayed(receipt.clone())
                } else {
                    Submitted::KeyReused
                }));
            continue;
        }
        if let Some(key) = &s.import_key
            && let Some((receipt, _)) = by_import.get(&(agency.clone(), key.clone()))
        {
            plan.results
                .push(Ok(Submitted::AlreadyImported(receipt.clone())));
            continue;
        }
        let r = &s.referral;
        let at = format_time(s.received_at);
        let person_key = r.person.match_key();
        let details = to_json(&r.person)?;
        let safe_contact = to_json(&r.safe_contact)?;
        // Sealed once for the person (if new) and once for the referral's own record: each
        // table has its own data key.
        let person_sealed = || -> Result<(String, String)> {
            Ok((
                keyring.seal(sealed::PERSON_DETAILS, &details)?,
                keyring.seal(sealed::PERSON_SAFE_CONTACT, &safe_contact)?,
            ))
        };
        // A person already known keeps the details held: the referral keeps its own record, and
        // where it differs it waits for someone to choose between them, the contact gate
        // meanwhile allowing only what both allow.
        let referred = || Details {
            person: r.person.clone(),
            safe_contact: r.safe_contact.clone(),
        };
        let id = new_id();
        let recognised = recognising.as_ref().map(|g| {
            recognise(
                &g.recogniser.model,
                g.recogniser.thresholds,
                &prepared,
                g.pool
                    .sharing(&keys)
                    .into_iter()
                    .map(|e| (e.person_id.clone(), e.referral_id.clone(), &e.prepared)),
            )
        });
        let linked = match (&recognised, &mut recognising) {
            (Some(Recognised::Known(c, _)), Some(g)) => g.pool.held(&c.person)?.map(|held| {
                let differs = !person_details::differences(&held, &referred()).is_empty();
                (c.person.clone(), differs.then_some(DETAILS_PENDING), held)
            }),
            _ => None,
        };
        let (person_id, details_review) = match linked {
            Some((person, review, _)) => (person, review),
            None if recognised.is_some() => (
                new_person(&mut plan, r, &person_key, person_sealed()?, &at),
                None,
            ),
            None => match person_key.as_ref().and_then(|k| known.get(k)) {
                Some(k) => {
                    let referred = Details {
                        person: r.person.clone(),
                        safe_contact: r.safe_contact.clone(),
                    };
                    let differs = !person_details::differences(&k.held, &referred).is_empty();
                    (k.id.clone(), differs.then_some(DETAILS_PENDING))
                }
                None => {
                    let id = new_person(&mut plan, r, &person_key, person_sealed()?, &at);
                    if let Some(k) = person_key {
                        let held = Details {
                            person: r.person.clone(),
                            safe_contact: r.safe_contact.clone(),
                        };
                        known.insert(
                            k,
                            Known {
                                id: id.clone(),
                                held,
                            },
                        );
                    }
                    (id, None)
                }
            },
        };
        if let (Some(found), Some(g)) = (recognised, &recognising) {
            let model_version = g.recogniser.version;
            let row = |c: Candidate<String, String>, state: &'static str| -> Result<MatchRow> {
                Ok(MatchRow {
                    id: new_id(),
                    referral_id: id.clone(),
                    person_id: person_id.clone(),
                    candidate_id: c.person,
                    candidate_referral_id: c.record,
                    probability: c.explanation.probability,
                    explanation: to_json(&c.explanation)?,
                    model_version,
                    state,
                    created_at: at.clone(),
                })
            };
            match found {
                Recognised::Known(c, also) => {
                    plan.matches.push(row(c, MATCH_LINKED)?);
                    // The person it was linked to may be these people too: the hub decides.
                    for c in also {
                        plan.matches.push(row(c, MATCH_POSSIBLE)?);
                    }
                }
                Recognised::Possible(cs) => {
                    for c in cs {
                        plan.matches.push(row(c, MATCH_POSSIBLE)?);
                    }
                }
                Recognised::New => {}
            }
        }
        // The victim's keys, and each perpetrator's (a key space of their own), in one table.
        let year = r
            .incident_date
            .map_or_else(|| s.received_at.year(), |d| d.year());
        plan.blocks.extend(
            keys.iter()
                .copied()
                .chain(perpetrator::keys_of(&r.perpetrators, year))
                .map(|block_key| BlockRow {
                    block_key,
                    referral_id: id.clone(),
                }),
        );
        if let Some(g) = &mut recognising {
            // A person this referral made known is held as it gave them.
            let held = g
                .pool
                .held(&person_id)?
                .is_none()
                .then(|| std::sync::Arc::new(referred()));
            g.pool.add(
                Entry {
                    person_id: person_id.clone(),
                    referral_id: id.clone(),
                    prepared,
                },
                &keys,
                held,
            );
        }
        let receipt = Receipt {
            id: id.clone().into(),
            reference: new_reference(),
            status: Status::Received,
            received_at: at.clone(),
            due_on: s.due_on.to_string(),
        };
        plan.referrals.push(ReferralRow {
            id: id.clone(),
            reference: receipt.reference.clone(),
            person_id,
            status: Status::Received.slug(),
            source: r.source.slug(),
            submitted_by: s.origin.submitted_by.as_deref(),
            submitting_agency: s.origin.submitting_agency.as_deref(),
            api_token_id: s.origin.api_token_id.as_deref(),
            received_at: at.clone(),
            due_on: receipt.due_on.clone(),
            crime_category: r.crime_category.slug(),
            reported_to_police: r.reported_to_police,
            police_reference: r.police_reference.as_deref(),
            incident_date: r.incident_date.map(|d| d.to_string()),
            incident_area: r.incident_area.as_deref(),
            area: r.person.area.as_deref().or(r.incident_area.as_deref()),
            perpetrators: keyring.seal_json(sealed::REFERRAL_PERPETRATORS, &r.perpetrators)?,
            children: keyring.seal_json(sealed::REFERRAL_CHILDREN, &r.children)?,
            consent_to_referral: r.consent_to_referral.slug(),
            consent_basis: r.crime_category.default_consent_basis_slug(),
            consent_to_aggregate: r.consent_to_aggregate,
            referrer_risk_level: r.referrer_risk_level.map(|l| l.slug()),
            risk_level: r.referrer_risk_level.map(|l| l.slug()),
            notes: keyring.seal(sealed::REFERRAL_NOTES, &r.notes)?,
            block_keys: KEYS_VERSION,
            person_details: keyring.seal(sealed::REFERRAL_PERSON_DETAILS, &details)?,
            person_safe_contact: keyring.seal(sealed::REFERRAL_SAFE_CONTACT, &safe_contact)?,
            details_review,
            idempotency_key: s.idempotency.as_ref().map(|(k, _)| k.as_str()),
            idempotency_hash: s.idempotency.as_ref().map(|(_, h)| h.as_str()),
            import_key: s.import_key.as_deref(),
            created_at: at.clone(),
            updated_at: at,
        });
        if let Some(row) = plan.referrals.last() {
            let facts = Arrival {
                referral_id: &row.id,
                person_id: &row.person_id,
                received_at: &row.received_at,
                due_on: &row.due_on,
                area: row.area,
                source: row.source,
                crime_category: row.crime_category,
                consent_to_aggregate: row.consent_to_aggregate,
                risk_level: row.risk_level,
                person: &r.person,
            }
            .facts()?;
            plan.facts.push(facts);
        }
        let mut event = s.event.clone();
        event.entity_id = Some(id);
        plan.events.push(event);
        if let Some((key, hash)) = &s.idempotency {
            by_idem.insert(
                (agency.clone(), key.clone()),
                (receipt.clone(), Some(hash.clone())),
            );
        }
        if let Some(key) = &s.import_key {
            by_import.insert((agency, key.clone()), (receipt.clone(), None));
        }
        plan.results.push(Ok(Submitted::Created(receipt)));
    }
    Ok(plan)
}

/// Adds a new person, made known by `r`, to the plan; returns their id.
fn new_person<'a>(
    plan: &mut Plan<'a>,
    r: &'a NewReferral,
    person_key: &Option<String>,
    (details, safe_contact): (String, String),
    at: &str,
) -> String {
    let id = new_id();
    plan.new_people.push(PersonRow {
        id: id.clone(),
        given_name: &r.person.given_name,
        family_name: &r.person.family_name,
        date_of_birth: r.person.date_of_birth.map(|d| d.to_string()),
        match_key: person_key.clone(),
        postcode: &r.person.postcode,
        area: r.person.area.as_deref(),
        details,
        safe_contact,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    });
    id
}
