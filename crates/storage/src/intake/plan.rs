//! Each submission's fate, decided in Rust: a replay, a file row already imported, or a new
//! referral, and whether its person is new, already stored or met earlier in the same batch.

use super::*;

/// A batch once its look-ups are done: each submission's answer, and the rows and audit
/// entries that write it.
#[derive(Default)]
pub(super) struct Plan<'a> {
    pub(super) results: Vec<Result<Submitted>>,
    pub(super) new_people: Vec<PersonRow<'a>>,
    pub(super) referrals: Vec<ReferralRow<'a>>,
    pub(super) events: Vec<AuditEvent>,
}

/// Decides what becomes of each submission in `batch`, given what is already stored.
pub(super) fn plan(batch: &[Submission], found: Found) -> Result<Plan<'_>> {
    let Found {
        mut by_idem,
        mut by_import,
        mut known,
    } = found;
    let mut plan = Plan::default();
    for s in batch {
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
        // A person already known keeps the details held: the referral keeps its own record, and
        // where it differs it waits for someone to choose between them, the contact gate
        // meanwhile allowing only what both allow.
        let (person_id, details_review) = match person_key.as_ref().and_then(|k| known.get(k)) {
            Some(k) => {
                let referred = Details {
                    person: r.person.clone(),
                    safe_contact: r.safe_contact.clone(),
                };
                let differs = !person_details::differences(&k.held, &referred).is_empty();
                (k.id.clone(), differs.then_some(DETAILS_PENDING))
            }
            None => {
                let id = new_id();
                plan.new_people.push(PersonRow {
                    id: id.clone(),
                    given_name: &r.person.given_name,
                    family_name: &r.person.family_name,
                    date_of_birth: r.person.date_of_birth.map(|d| d.to_string()),
                    match_key: person_key.clone(),
                    postcode: &r.person.postcode,
                    area: r.person.area.as_deref(),
                    details: details.clone(),
                    safe_contact: safe_contact.clone(),
                    created_at: at.clone(),
                    updated_at: at.clone(),
                });
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
        };
        let id = new_id();
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
            perpetrators: to_json(&r.perpetrators)?,
            children: to_json(&r.children)?,
            consent_to_referral: r.consent_to_referral.slug(),
            consent_basis: r.crime_category.default_consent_basis_slug(),
            consent_to_aggregate: r.consent_to_aggregate,
            referrer_risk_level: r.referrer_risk_level.map(|l| l.slug()),
            risk_level: r.referrer_risk_level.map(|l| l.slug()),
            notes: &r.notes,
            person_details: details,
            person_safe_contact: safe_contact,
            details_review,
            idempotency_key: s.idempotency.as_ref().map(|(k, _)| k.as_str()),
            idempotency_hash: s.idempotency.as_ref().map(|(_, h)| h.as_str()),
            import_key: s.import_key.as_deref(),
            created_at: at.clone(),
            updated_at: at,
        });
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
