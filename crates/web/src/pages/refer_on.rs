//! Referring a triaged person on: choose among the services that fit, then record consent for
//! each organisation that will receive the referral, and send them all at once.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::triage::service_matches;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveTime;
use harbour_domain::consent::{ConsentInput, LegalBasis, Share};
use harbour_domain::contact_gate::uk_time;
use harbour_domain::deadline::Circumstance;
use harbour_domain::ids::ReferralId;
use harbour_domain::permission::Action;
use harbour_domain::triage::TriageInput;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::onward::{OnwardSummary, ReferOnInput, Referable, ReferredOn};
use harbour_storage::referrals::ReferralView;

/// A service the person can be referred to through Harbour, with why it fits.
pub struct Choice {
    pub service_id: String,
    pub name: String,
    pub organization: String,
    pub reasons: Vec<String>,
}

/// A suitable service that takes referrals some other way (phone, e-mail, self-referral).
pub struct Elsewhere {
    pub service_id: String,
    pub name: String,
    pub organization: String,
}

#[derive(Template)]
#[template(path = "refer_on.html")]
struct ChoosePage {
    chrome: Chrome,
    r: ReferralView,
    choices: Vec<Choice>,
    elsewhere: Vec<Elsewhere>,
    matched_on: String,
    onward: Vec<OnwardSummary>,
    chosen: Vec<String>,
    errors: FieldErrors,
}

impl ChoosePage {
    fn is_chosen(&self, id: &str) -> bool {
        self.chosen.iter().any(|c| c == id)
    }
    fn open_with(&self, id: &str) -> Option<&OnwardSummary> {
        self.onward
            .iter()
            .find(|o| o.service_id == *id && !o.state.is_final())
    }
}

/// One organisation's part of the consent form: its services and what was entered for it.
pub struct Group {
    pub prefix: String,
    pub organization: String,
    pub services: Vec<(String, String)>,
    pub consent: ConsentInput,
    pub note: String,
}

#[derive(Template)]
#[template(path = "refer_on_consent.html")]
struct ConsentPage {
    chrome: Chrome,
    r: ReferralView,
    groups: Vec<Group>,
    shares: [Share; 6],
    bases: [LegalBasis; 3],
    may_override: bool,
    returned: bool,
    returned_date: String,
    returned_time: String,
    errors: FieldErrors,
}

impl ConsentPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    fn shares_has(&self, g: &Group, share: &Share) -> bool {
        g.consent.shares.iter().any(|s| s == share.slug())
    }
}

async fn choose_page(
    state: &AppState,
    staff: &Staff,
    id: &ReferralId,
    chosen: Vec<String>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let ctx = staff.store.triage_context(id).await?;
    if ctx.history.is_empty() {
        return Ok(Redirect::to(&format!("/referrals/{id}/triage")).into_response());
    }
    let (suitable, _, matched_on) =
        service_matches(state, staff, &ctx, &TriageInput::default()).await?;
    let referable = staff.store.referable_services().await?;
    let mut choices = Vec::new();
    let mut elsewhere = Vec::new();
    for m in suitable {
        let sid = m.service_id.to_string();
        if referable.iter().any(|r| r.service_id == sid) {
            choices.push(Choice {
                service_id: sid,
                name: m.name,
                organization: m.organization,
                reasons: m.reasons.into_iter().map(|r| r.text).collect(),
            });
        } else {
            elsewhere.push(Elsewhere {
                service_id: sid,
                name: m.name,
                organization: m.organization,
            });
        }
    }
    let page = ChoosePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        onward: staff.store.onward_for_referral(id).await?,
        r: ctx.referral,
        choices,
        elsewhere,
        matched_on,
        chosen,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /referrals/{id}/refer-on: the services that fit, to choose from.
pub async fn choose(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<ReferralId>,
) -> Result<Response, AppError> {
    choose_page(&state, &staff, &id, Vec::new(), FieldErrors::new()).await
}

/// Groups the chosen services by organisation, in the order chosen.
fn groups_for(chosen: &[String], referable: &[Referable], form: &FormData) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for id in chosen {
        let Some(s) = referable.iter().find(|r| &r.service_id == id) else {
            continue;
        };
        let at = groups
            .iter()
            .position(|g| g.organization == s.organization_name);
        let group = match at {
            Some(i) => &mut groups[i],
            None => {
                let prefix = format!("o{}/", groups.len() + 1);
                let field = |f: &str| form.get(&format!("{prefix}{f}")).to_owned();
                groups.push(Group {
                    consent: ConsentInput {
                        decision: field("consent/decision"),
                        shares: form.get_all(&format!("{prefix}consent/shares")),
                        until: field("consent/until"),
                        basis: field("consent/basis"),
                        justification: field("consent/justification"),
                    },
                    note: field("note"),
                    organization: s.organization_name.clone(),
                    services: Vec::new(),
                    prefix,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        if !group.services.iter().any(|(sid, _)| sid == id) {
            group
                .services
                .push((s.service_id.clone(), s.service_name.clone()));
        }
    }
    groups
}

async fn consent_page(
    staff: &Staff,
    id: &ReferralId,
    form: &FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let r = staff.store.get_referral(id).await?;
    let referable = staff.store.referable_services().await?;
    let page = ConsentPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        groups: groups_for(&form.get_all("services"), &referable, form),
        shares: Share::ALL,
        bases: LegalBasis::ALL,
        may_override: staff.store.may(Action::ShareWithoutConsent),
        returned: form
            .get_all("circumstances")
            .iter()
            .any(|c| c == Circumstance::ChildReturnedFromMissing.slug()),
        returned_date: form.get("returned_date").to_owned(),
        returned_time: form.get("returned_time").to_owned(),
        r,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /referrals/{id}/refer-on/consent?services=…: consent for each organisation chosen.
pub async fn consent(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<ReferralId>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let form = FormData::parse(query.unwrap_or_default().as_bytes())
        .map_err(|_| AppError::BadRequest("The address could not be read as text.".into()))?;
    let chosen = form.get_all("services");
    if chosen.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("services", "Choose at least one service to refer to");
        return choose_page(&state, &staff, &id, chosen, errors).await;
    }
    consent_page(&staff, &id, &form, FieldErrors::new()).await
}

/// POST /referrals/{id}/refer-on: records consent for each organisation and sends the
/// referrals it permits, all or nothing.
pub async fn send(
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let referable = staff.store.referable_services().await?;
    let groups = groups_for(&form.get_all("services"), &referable, &form);
    let mut errors = FieldErrors::new();
    let returned = form
        .get_all("circumstances")
        .iter()
        .any(|c| c == Circumstance::ChildReturnedFromMissing.slug());
    let returned_at = if returned {
        let date = chrono::NaiveDate::parse_from_str(form.get("returned_date").trim(), "%Y-%m-%d");
        let time = NaiveTime::parse_from_str(form.get("returned_time").trim(), "%H:%M");
        match (date, time) {
            (Ok(d), Ok(t)) => Some(uk_time(d, t)),
            (Err(_), _) => {
                errors.add(
                    "returned_date",
                    "Enter the date the child came home, like 2026-11-20",
                );
                None
            }
            (_, Err(_)) => {
                errors.add(
                    "returned_time",
                    "Enter the time the child came home, like 21:30",
                );
                None
            }
        }
    } else {
        None
    };
    if groups.is_empty() {
        errors.add("services", "Choose at least one service to refer to");
    }
    if !errors.is_empty() {
        return consent_page(&staff, &id, &form, errors).await;
    }
    let circumstances = if returned {
        vec![Circumstance::ChildReturnedFromMissing]
    } else {
        Vec::new()
    };
    let inputs: Vec<ReferOnInput> = groups
        .iter()
        .flat_map(|g| {
            g.services.iter().map(|(sid, _)| ReferOnInput {
                field_prefix: g.prefix.clone(),
                service_id: sid.clone(),
                consent: g.consent.clone(),
                note: g.note.clone(),
                circumstances: circumstances.clone(),
                returned_at,
                sent_at: None,
            })
        })
        .collect();
    match staff.store.refer_onward_many(&id, &inputs).await {
        Ok(results) => {
            let sent = results
                .iter()
                .filter(|r| matches!(r, ReferredOn::Sent { .. }))
                .count();
            let refused = results.len() - sent;
            Ok(Redirect::to(&format!(
                "/referrals/{id}?referred={sent}&refused={refused}#onward"
            ))
            .into_response())
        }
        Err(StorageError::Invalid(errors)) => consent_page(&staff, &id, &form, errors).await,
        Err(e) => Err(e.into()),
    }
}
