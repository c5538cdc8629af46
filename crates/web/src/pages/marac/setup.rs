//! Setting a MARAC up, or changing its settings: its name, the areas it covers (each in one
//! MARAC), the agencies that attend, the cases a meeting can hear and the posts that carry it.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::MaracId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::marac::MaracInput;

use crate::state::AppState;

#[derive(Template)]
#[template(path = "marac_form.html")]
struct SetupPage {
    chrome: Chrome,
    id: Option<MaracId>,
    areas: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    typed: FormData,
    errors: FieldErrors,
}

impl SetupPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.typed.get_all(name)
    }
}

async fn setup_page(
    state: &AppState,
    staff: &Staff,
    id: Option<MaracId>,
    typed: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let areas = harbour_storage::areas::list_areas(&state.db)
        .await?
        .into_iter()
        .filter(|a| a.kind != "county")
        .map(|a| (a.gss_code, a.name))
        .collect();
    let agencies = staff
        .store
        .list_agencies()
        .await?
        .into_iter()
        .filter(|a| a.active)
        .map(|a| (a.id.to_string(), a.name))
        .collect();
    let page = SetupPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        id,
        areas,
        agencies,
        typed,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

fn input(form: &FormData) -> MaracInput {
    MaracInput {
        name: form.get("name").to_owned(),
        areas: form.get_all("areas"),
        members: form.get_all("members"),
        capacity: form.get("capacity").to_owned(),
        idva_posts: form.get("idva_posts").to_owned(),
        coordinator_posts: form.get("coordinator_posts").to_owned(),
    }
}

/// GET /marac/new
pub async fn new(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    let typed = FormData::from_pairs(vec![
        ("capacity".into(), "16".into()),
        ("idva_posts".into(), "0".into()),
        ("coordinator_posts".into(), "1".into()),
    ]);
    setup_page(&state, &staff, None, typed, FieldErrors::new()).await
}

/// POST /marac/new
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    match staff.store.save_marac(None, &input(&form)).await {
        Ok(_) => Ok(Redirect::to("/marac").into_response()),
        Err(StorageError::Invalid(errors)) => setup_page(&state, &staff, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// GET /marac/{id}/edit
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<MaracId>,
) -> Result<Response, AppError> {
    let s = staff.store.marac_settings(&id).await?;
    let mut pairs = vec![
        ("name".to_owned(), s.name),
        ("capacity".to_owned(), s.capacity.to_string()),
        ("idva_posts".to_owned(), s.idva_posts.to_string()),
        (
            "coordinator_posts".to_owned(),
            s.coordinator_posts.to_string(),
        ),
    ];
    pairs.extend(s.areas.into_iter().map(|a| ("areas".to_owned(), a)));
    pairs.extend(s.members.into_iter().map(|m| ("members".to_owned(), m)));
    setup_page(
        &state,
        &staff,
        Some(id),
        FormData::from_pairs(pairs),
        FieldErrors::new(),
    )
    .await
}

/// POST /marac/{id}/edit
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<MaracId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    match staff.store.save_marac(Some(&id), &input(&form)).await {
        Ok(_) => Ok(Redirect::to("/marac").into_response()),
        Err(StorageError::Invalid(errors)) => {
            setup_page(&state, &staff, Some(id), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
