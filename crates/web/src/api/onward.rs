//! The partner inbox for an agency's own system: the onward referrals sent to its services,
//! one referral as far as the stage and consent allow, and the steps its side may take.

use crate::access::Api;
use crate::api::referrals::{json_response, parse_json};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use harbour_domain::contact_gate;
use harbour_domain::ids::OnwardId;
use harbour_storage::onward::{OnwardSummary, OnwardView, StepInput};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    all: bool,
}

fn summary(s: &OnwardSummary) -> Value {
    json!({
        "id": s.id,
        "service": { "id": s.service_id, "name": s.service_name },
        "sent_by": s.sender_agency_name,
        "sent_at": s.sent_at,
        "state": s.state.slug(),
        "state_at": s.state_at,
        "next_due": s.next_due_at.as_ref().map(|at| json!({
            "milestone": s.next_due_milestone.map(|m| m.slug()),
            "at": at,
            "overdue": s.overdue,
        })),
        "risk_level": s.risk_level.map(|r| r.slug()),
        "tier": s.tier.map(|t| t.slug()),
        "given_name": s.given_name,
        "area": s.area,
        "decline_reason": s.decline_reason.map(|r| r.slug()),
        "outcome": s.outcome.map(|o| o.slug()),
        "consent": s.consent_decision,
        "links": { "self": format!("/api/v1/onward/{}", s.id), "page": format!("/onward/{}", s.id) },
    })
}

fn view(v: &OnwardView) -> Value {
    let mut body = summary(&v.summary);
    body["age"] = json!(v.age);
    body["needs"] = json!(v.needs);
    body["crime_category"] = json!(v.crime_category);
    body["note"] = json!(v.note);
    // None for a service no longer working the referral.
    body["safe_contact"] = v.safe_contact.as_ref().map_or(Value::Null, |safe| {
        let channels: Vec<Value> = contact_gate::channels_now(safe, &v.suspended, Utc::now())
            .into_iter()
            .map(|(channel, decision)| match decision {
                // The number or address only while it is safe to use.
                Ok(p) => json!({ "channel": channel.slug(), "usable_now": true, "to": p.to }),
                Err(r) => json!({
                    "channel": channel.slug(),
                    "usable_now": false,
                    "reason": r.slug(),
                    "message": r.message(),
                }),
            })
            .collect();
        json!({
            "channels": channels,
            // None while the person's referrals give safe times with nothing in common.
            "safe_times": if safe.no_common_safe_time { json!(null) } else { json!(safe.safe_times) },
            "code_word": safe.code_word,
            "only_through_referrer": safe.only_through_referrer,
            "do_not_contact": safe.do_not_contact,
        })
    });
    // The summary's `consent` stays the decision (a string), as for every item in the list;
    // the record in full is beside it.
    body["consent_record"] = json!({
        "decision": v.consent.decision,
        "shares": v.consent.shares,
        "valid_until": v.consent.valid_until,
        "legal_basis": v.consent.legal_basis,
        "justification": v.consent.justification,
    });
    let s = &v.shared;
    body["shared"] = json!({
        "full_name": s.full_name,
        "date_of_birth": s.date_of_birth,
        "address": s.address,
        "postcode": s.postcode,
        "incident_date": s.incident_date,
        "police_reference": s.police_reference,
        "referral_notes": s.referral_notes,
        "perpetrators": s.perpetrators.as_ref().map(|ps| ps.iter().map(|p| json!({"name": p.name, "relationship": p.relationship})).collect::<Vec<_>>()),
        "children": s.children.as_ref().map(|cs| cs.iter().map(|c| json!({"name": c.name, "age": c.age})).collect::<Vec<_>>()),
        "risk_score": s.risk_score,
        "marac_referral": s.marac_referral,
        "language": s.language,
        "interpreter_needed": s.interpreter_needed,
        "disability": s.disability,
    });
    body["deadlines"] = json!(
        v.deadlines
            .iter()
            .map(|d| json!({
                "milestone": d.milestone.slug(),
                "due_at": d.due_at,
                "met_at": d.met_at,
                "overdue": d.overdue,
                "rule": d.rule_name,
            }))
            .collect::<Vec<_>>()
    );
    body["history"] = json!(
        v.events
            .iter()
            .map(|e| json!({
                "step": e.step,
                "state": e.to_state.slug(),
                "at": e.at,
                "by_agency": e.agency,
                "reason": e.reason,
                "note": e.note,
            }))
            .collect::<Vec<_>>()
    );
    body["steps_open"] = json!(v.steps.iter().map(|s| s.slug()).collect::<Vec<_>>());
    body
}

/// GET /api/v1/onward: the referrals sent to this agency's services (`?all=true` for finished
/// ones too), awaiting an answer first, then by the next deadline.
pub async fn list(
    Api(store): Api,
    super::extract::ApiQuery(q): super::extract::ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let items: Vec<Value> = store.inbox(q.all).await?.iter().map(summary).collect();
    Ok(json_response(
        StatusCode::OK,
        json!({ "onward_referrals": items }).to_string(),
    ))
}

/// GET /api/v1/onward/{id}
pub async fn show(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<OnwardId>,
) -> Result<Response, ApiError> {
    let v = store.onward_referral(&id).await?;
    Ok(json_response(StatusCode::OK, view(&v).to_string()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    step: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
}

/// POST /api/v1/onward/{id}/steps: takes one step (acknowledge, accept, decline with a
/// reason, start_service, record_outcome with an outcome, close). Answers with the referral.
pub async fn step(
    Api(store): Api,
    super::extract::ApiPath(id): super::extract::ApiPath<OnwardId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: StepBody = parse_json(&headers, &body)?;
    store
        .take_step(
            &id,
            &StepInput {
                step: b.step,
                reason: b.reason,
                note: b.note,
                outcome: b.outcome,
                reroute: None,
            },
        )
        .await?;
    let v = store.onward_referral(&id).await?;
    Ok(json_response(StatusCode::OK, view(&v).to_string()))
}
