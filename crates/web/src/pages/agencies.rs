//! Agencies: list, view, add, change; and their API tokens.

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
use harbour_domain::agency::{Agency, AgencyInput, AgencyKind};
use harbour_domain::area::Area;
use harbour_domain::ids::AgencyId;
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::areas::list_areas;
use harbour_storage::tokens::ApiToken;

#[derive(Template)]
#[template(path = "agencies.html")]
struct AgenciesPage {
    chrome: Chrome,
    agencies: Vec<Agency>,
    area_names: Vec<(String, String)>,
    can_manage: bool,
}

impl AgenciesPage {
    fn area_list(&self, agency: &Agency) -> String {
        area_names(&self.area_names, &agency.areas)
    }
}

fn area_names(names: &[(String, String)], codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| {
            names
                .iter()
                .find(|(code, _)| code == c)
                .map_or(c.as_str(), |(_, n)| n.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn named_areas(state: &AppState) -> Result<(Vec<Area>, Vec<(String, String)>), AppError> {
    let areas = list_areas(&state.db).await?;
    let names = areas
        .iter()
        .map(|a| (a.gss_code.clone(), a.name.clone()))
        .collect();
    Ok((areas, names))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    let agencies = staff.store.list_agencies().await?;
    let (_, area_names) = named_areas(&state).await?;
    Ok(render(&AgenciesPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
        agencies,
        area_names,
        can_manage: staff.store.may(Action::ManageAgencies),
    }))
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    chrome: Chrome,
    agency: Agency,
    areas: String,
    can_manage: bool,
    tokens: Vec<ApiToken>,
    token_name: String,
    /// Where the agency's system hears about referrals (for those who manage agencies).
    webhook_url: Option<String>,
    /// Whether its community alerts wait for a colleague's approval (for those who manage).
    alerts_need_approval: bool,
    errors: FieldErrors,
}

async fn agency_page(
    state: &AppState,
    staff: &Staff,
    id: &AgencyId,
    token_name: String,
    errors: FieldErrors,
) -> Result<AgencyPage, AppError> {
    let agency = staff.store.get_agency(id).await?;
    let (_, names) = named_areas(state).await?;
    let can_manage_tokens = staff.store.may(Action::ManageApiTokens);
    Ok(AgencyPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
        areas: area_names(&names, &agency.areas),
        tokens: if can_manage_tokens {
            staff.store.list_api_tokens(id).await?
        } else {
            Vec::new()
        },
        webhook_url: if staff.store.may(Action::ManageAgencies) {
            staff.store.agency_webhook(id).await?
        } else {
            None
        },
        alerts_need_approval: if staff.store.may(Action::ManageAgencies) {
            staff.store.agency_alert_approval(id).await?
        } else {
            false
        },
        can_manage: staff.store.may(Action::ManageAgencies),
        agency,
        token_name,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
) -> Result<Response, AppError> {
    Ok(render(
        &agency_page(&state, &staff, &id, String::new(), FieldErrors::new()).await?,
    ))
}

#[derive(Template)]
#[template(path = "agency_form.html")]
struct AgencyForm {
    chrome: Chrome,
    /// None when adding.
    agency_id: Option<AgencyId>,
    name: String,
    kind: String,
    selected_areas: Vec<String>,
    kinds: Vec<AgencyKind>,
    areas: Vec<Area>,
    errors: FieldErrors,
}

impl AgencyForm {
    fn is_selected(&self, code: &str) -> bool {
        self.selected_areas.iter().any(|a| a == code)
    }
    fn action(&self) -> String {
        match &self.agency_id {
            Some(id) => format!("/admin/agencies/{id}"),
            None => "/admin/agencies".to_owned(),
        }
    }
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    agency_id: Option<AgencyId>,
    input: AgencyInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (areas, _) = named_areas(state).await?;
    let form = AgencyForm {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
        agency_id,
        name: input.name,
        kind: input.kind,
        selected_areas: input.areas,
        kinds: AgencyKind::ALL.to_vec(),
        areas,
        errors,
    };
    Ok(if form.errors.is_empty() {
        render(&form)
    } else {
        render_invalid(&form)
    })
}

fn input_from(form: &FormData) -> AgencyInput {
    AgencyInput {
        name: form.get("name").to_owned(),
        kind: form.get("kind").to_owned(),
        areas: form.get_all("areas"),
    }
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    form_page(
        &state,
        &staff,
        None,
        AgencyInput::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
) -> Result<Response, AppError> {
    let agency = staff.store.get_agency(&id).await?;
    let input = AgencyInput {
        name: agency.name,
        kind: agency.kind.slug().to_owned(),
        areas: agency.areas,
    };
    form_page(&state, &staff, Some(id), input, FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    match staff.store.create_agency(&input).await {
        Ok(agency) => Ok(Redirect::to(&format!("/admin/agencies/{}", agency.id)).into_response()),
        Err(StorageError::Invalid(errors)) => form_page(&state, &staff, None, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    match staff.store.update_agency(&id, &input).await {
        Ok(agency) => Ok(Redirect::to(&format!("/admin/agencies/{}", agency.id)).into_response()),
        Err(StorageError::Invalid(errors)) => {
            form_page(&state, &staff, Some(id), input, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "token_created.html")]
struct TokenCreated {
    chrome: Chrome,
    agency: Agency,
    name: String,
    secret: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let name = form.get("name").to_owned();
    match staff.store.create_api_token(&id, &name).await {
        Ok((_, secret)) => Ok(render(&TokenCreated {
            chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
            agency: staff.store.get_agency(&id).await?,
            name: name.trim().to_owned(),
            secret,
        })),
        Err(StorageError::Invalid(errors)) => Ok(render_invalid(
            &agency_page(&state, &staff, &id, name, errors).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    staff: Staff,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    let agency_id = staff.store.revoke_api_token(&id).await?;
    Ok(Redirect::to(&format!("/admin/agencies/{agency_id}")).into_response())
}

/// POST /admin/agencies/{id}/alerts: whether its community alerts wait for approval.
pub async fn set_alert_approval(
    staff: Staff,
    Path(id): Path<AgencyId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    staff
        .store
        .set_agency_alert_approval(&id, form.get("alerts_need_approval") == "yes")
        .await?;
    Ok(Redirect::to(&format!("/admin/agencies/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "webhook_set.html")]
struct WebhookSet {
    chrome: Chrome,
    agency: Agency,
    url: String,
    secret: String,
}

/// POST /admin/agencies/{id}/webhook: sets the agency's webhook address (shows the new
/// signing secret once) or, left empty, removes it.
pub async fn set_webhook(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let url = form.get("webhook_url").trim().to_owned();
    match staff
        .store
        .set_agency_webhook(&id, &url, state.config.webhook_allow_loopback)
        .await
    {
        Ok(Some(secret)) => Ok(render(&WebhookSet {
            chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
            agency: staff.store.get_agency(&id).await?,
            url,
            secret,
        })),
        Ok(None) => Ok(Redirect::to(&format!("/admin/agencies/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            let mut page = agency_page(&state, &staff, &id, String::new(), errors).await?;
            page.webhook_url = Some(url);
            Ok(render_invalid(&page))
        }
        Err(e) => Err(e.into()),
    }
}
