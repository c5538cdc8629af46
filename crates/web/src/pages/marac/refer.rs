//! Referring a victim to MARAC from a triaged referral. What Harbour holds (the criteria from
//! triage, the perpetrators and children the referral names) is shown, not typed again; the form
//! asks the rest.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::ReferralId;
use harbour_domain::marac::MaracCriteria;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::marac::MaracReferralInput;
use harbour_storage::referrals::ReferralView;

#[derive(Template)]
#[template(path = "marac_refer.html")]
struct ReferPage {
    chrome: Chrome,
    r: ReferralView,
    criteria: Option<MaracCriteria>,
    /// The hub refers her to an IDVA too; other agencies leave that to the hub.
    offers_idva: bool,
    maracs: Vec<(String, String)>,
    /// The MARAC chosen, or the one covering the victim's area.
    marac: String,
    yes_no: Vec<(String, String)>,
    known: Vec<(String, String)>,
    /// The IDVA services to choose from (an IDVA service first), and the consent choices.
    idva_services: Vec<(String, String)>,
    idva_service: String,
    decisions: Vec<(String, String)>,
    shares: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
}

impl ReferPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn shares_chosen(&self) -> Vec<String> {
        self.typed.get_all("idva/consent/shares")
    }
    /// The criteria met at triage, in words.
    fn reasons(&self) -> Vec<String> {
        self.criteria
            .as_ref()
            .map(MaracCriteria::reasons)
            .unwrap_or_default()
    }
}

async fn refer_page(
    staff: &Staff,
    id: &ReferralId,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let ctx = staff.store.referral_for_marac(id).await?;
    let visible = staff.store.maracs().await?;
    let area = ctx
        .referral
        .area
        .clone()
        .or_else(|| ctx.referral.incident_area.clone())
        .unwrap_or_default();
    let covering = visible
        .iter()
        .find(|m| m.areas.contains(&area))
        .map(|m| m.id.to_string())
        .unwrap_or_default();
    let marac = if typed.get("marac_id").is_empty() {
        covering
    } else {
        typed.get("marac_id").to_owned()
    };
    let referable = if staff
        .store
        .may(harbour_domain::permission::Action::ReferOnward)
    {
        staff.store.referable_services().await?
    } else {
        Vec::new()
    };
    let mut services: Vec<(String, String)> = referable
        .into_iter()
        .map(|s| {
            (
                s.service_id,
                format!("{} ({})", s.service_name, s.organization_name),
            )
        })
        .collect();
    // IDVA services first.
    services.sort_by_key(|(_, name)| !name.contains("IDVA"));
    let idva_service = match typed.get("idva/service_id") {
        "" => services
            .iter()
            .find(|(_, n)| n.contains("IDVA"))
            .map(|(id, _)| id.clone())
            .unwrap_or_default(),
        chosen => chosen.to_owned(),
    };
    services.push((
        "none".into(),
        "She already has an IDVA: do not refer her again".into(),
    ));
    let page = ReferPage {
        idva_services: services,
        idva_service,
        decisions: vec![
            ("given".into(), "Yes, she agreed".into()),
            (
                "refused".into(),
                "No, she refused: record it and send nothing".into(),
            ),
        ],
        shares: harbour_domain::consent::Share::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), s.label().to_owned()))
            .collect(),
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        maracs: visible
            .into_iter()
            .map(|m| (m.id.to_string(), m.name))
            .collect(),
        marac,
        criteria: ctx.criteria,
        offers_idva: staff
            .store
            .may(harbour_domain::permission::Action::ReferOnward),
        r: ctx.referral,
        yes_no: vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
        known: vec![
            ("yes".into(), "Yes".into()),
            ("no".into(), "No".into()),
            ("not_known".into(), "Not known".into()),
        ],
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /referrals/{id}/marac
pub async fn show(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    let typed = FormData::from_pairs(vec![(
        "referring_officer".into(),
        staff.signed_in.session.display_name.clone(),
    )]);
    refer_page(&staff, &id, typed, FieldErrors::new()).await
}

/// POST /referrals/{id}/marac
pub async fn refer(
    staff: Staff,
    Path(id): Path<ReferralId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let f = |name: &str| form.get(name).to_owned();
    let input = MaracReferralInput {
        marac_id: f("marac_id"),
        referring_officer: f("referring_officer"),
        judgement_reason: f("judgement_reason"),
        victim_aware: f("victim_aware"),
        victim_consented: f("victim_consented"),
        no_consent_reason: f("no_consent_reason"),
        afraid_of: f("afraid_of"),
        safe_to_talk: f("safe_to_talk"),
        unsafe_to_talk: f("unsafe_to_talk"),
        previous_maracs: f("previous_maracs"),
        minoritised: f("minoritised"),
        lgbt: f("lgbt"),
        disabled: f("disabled"),
        // "none": she already has an IDVA.
        idva: (f("idva/service_id") != "none").then(|| harbour_storage::onward::ReferOnInput {
            service_id: f("idva/service_id"),
            consent: harbour_domain::consent::ConsentInput {
                decision: f("idva/consent/decision"),
                shares: form.get_all("idva/consent/shares"),
                until: String::new(),
                basis: f("idva/consent/basis"),
                justification: f("idva/consent/justification"),
            },
            ..Default::default()
        }),
    };
    match staff.store.refer_to_marac(&id, &input).await {
        Ok(done) => Ok(match done.meeting {
            Some(meeting) => Redirect::to(&format!("/marac/meetings/{meeting}")),
            None => Redirect::to("/marac"),
        }
        .into_response()),
        Err(StorageError::Invalid(errors)) => refer_page(&staff, &id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
