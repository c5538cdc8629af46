//! The triage page: Harbour's proposal, the officer's decision, the checklist, MARAC and tier.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::ReferralId;
use harbour_domain::matching::{Seeker, ServiceMatch, match_services};
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_domain::triage::TriageInput;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::triage::TriageContext;

const FLAGS: [(&str, &str); 5] = [
    (
        "persistently_targeted",
        "Persistently targeted (repeatedly targeted, harassed or stalked)",
    ),
    ("mental_disorder", "Has a mental disorder"),
    (
        "impaired_functioning",
        "Significant impairment of intelligence and social functioning",
    ),
    (
        "physical_disability",
        "Physical disability likely to affect their evidence",
    ),
    (
        "intimidated",
        "Intimidated: fear or distress about giving evidence",
    ),
];
const ANSWERS: [(&str, &str); 4] = [
    ("yes", "Yes"),
    ("no", "No"),
    ("dont_know", "Don't know"),
    ("not_asked", "Not asked"),
];

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    chrome: Chrome,
    ctx: TriageContext,
    input: TriageInput,
    errors: FieldErrors,
    flags: [(&'static str, &'static str); 5],
    answers: [(&'static str, &'static str); 4],
    needs: [NeedCategory; 8],
    tiers: [ServiceTier; 4],
    /// Services for this person, best first, from the needs and tier chosen (or decided last).
    suitable: Vec<ServiceMatch>,
    unsuitable: Vec<ServiceMatch>,
    matched_on: String,
}

impl TriagePage {
    fn flag(&self, name: &str) -> bool {
        match name {
            "persistently_targeted" => self.input.persistently_targeted,
            "mental_disorder" => self.input.mental_disorder,
            "impaired_functioning" => self.input.impaired_functioning,
            "physical_disability" => self.input.physical_disability,
            _ => self.input.intimidated,
        }
    }
    fn answer_is(&self, item: &str, value: &str) -> bool {
        self.input.answers.get(item).map(String::as_str) == Some(value)
    }
    fn entitlement_is(&self, value: &str) -> bool {
        let chosen = if self.input.entitlement.is_empty() {
            self.ctx.proposal.entitlement.slug()
        } else {
            self.input.entitlement.as_str()
        };
        chosen == value
    }
    fn has_need(&self, slug: &str) -> bool {
        self.input.needs.iter().any(|n| n == slug)
    }
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    fn answer_error(&self, item: &str) -> Option<&str> {
        self.errors.get(&format!("answers/{item}"))
    }
}

fn input_from(form: &FormData) -> TriageInput {
    let flags = form.get_all("flags");
    let has = |f: &str| flags.iter().any(|x| x == f);
    let answers = form
        .get_all("answered")
        .into_iter()
        .filter_map(|item| {
            let value = form.get(&format!("answer_{item}")).to_owned();
            (!value.is_empty()).then_some((item, value))
        })
        .collect();
    TriageInput {
        persistently_targeted: has("persistently_targeted"),
        mental_disorder: has("mental_disorder"),
        impaired_functioning: has("impaired_functioning"),
        physical_disability: has("physical_disability"),
        intimidated: has("intimidated"),
        entitlement: form.get("entitlement").to_owned(),
        entitlement_override_reason: form.get("entitlement_override_reason").to_owned(),
        needs: form.get_all("needs"),
        answers,
        judgement_level: form.get("judgement_level").to_owned(),
        judgement_reason: form.get("judgement_reason").to_owned(),
        marac_judgement: form.get("marac_judgement").to_owned(),
        tier: form.get("tier").to_owned(),
        tier_reason: form.get("tier_reason").to_owned(),
    }
}

/// Who the person is, for matching: where they live, age, gender, crime, and the needs and tier
/// on the form (or, before any are chosen, those decided last); and what that matched on.
async fn seeker(
    state: &AppState,
    ctx: &TriageContext,
    input: &TriageInput,
) -> Result<(Seeker, String), AppError> {
    let r = &ctx.referral;
    let latest = ctx
        .history
        .iter()
        .max_by(|a, b| a.decided_at.cmp(&b.decided_at));
    let need_slugs: Vec<String> = if input.needs.is_empty() {
        latest.map(|d| d.needs.clone()).unwrap_or_default()
    } else {
        input.needs.clone()
    };
    let tier_slug = if input.tier.is_empty() {
        latest.map(|d| d.tier.clone()).unwrap_or_default()
    } else {
        input.tier.clone()
    };
    let seeker = harbour_storage::seeker::seeker_for(
        &state.db,
        r,
        ctx.facts.age_at_offence.or(r.person.age),
        &need_slugs,
        &tier_slug,
    )
    .await?;
    let mut on: Vec<String> = seeker
        .needs
        .iter()
        .map(|n| n.label().to_lowercase())
        .collect();
    if let Some(t) = seeker.tier {
        on.push(format!("{} tier", t.label().to_lowercase()));
    }
    Ok((seeker, on.join(", ")))
}

/// The services for the person on `ctx`, split into those that fit (best first) and those
/// that do not, and what they were matched on.
pub(crate) async fn service_matches(
    state: &AppState,
    staff: &Staff,
    ctx: &TriageContext,
    input: &TriageInput,
) -> Result<(Vec<ServiceMatch>, Vec<ServiceMatch>, String), AppError> {
    let profiles = staff.store.matching_profiles().await?;
    let (seeker, matched_on) = seeker(state, ctx, input).await?;
    let (suitable, unsuitable): (Vec<ServiceMatch>, Vec<ServiceMatch>) =
        match_services(&seeker, &profiles)
            .into_iter()
            .partition(|m| m.eligible);
    Ok((suitable, unsuitable, matched_on))
}

async fn page(
    state: &AppState,
    staff: &Staff,
    id: &ReferralId,
    input: TriageInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let ctx = staff.store.triage_context(id).await?;
    let (suitable, unsuitable, matched_on) = service_matches(state, staff, &ctx, &input).await?;
    let page = TriagePage {
        suitable,
        unsuitable,
        matched_on,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        ctx,
        input,
        errors,
        flags: FLAGS,
        answers: ANSWERS,
        needs: NeedCategory::ALL,
        tiers: ServiceTier::ALL,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<ReferralId>,
) -> Result<Response, AppError> {
    page(
        &state,
        &staff,
        &id,
        TriageInput::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    match staff.store.triage(&id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => page(&state, &staff, &id, input, errors).await,
        Err(e) => Err(e.into()),
    }
}
