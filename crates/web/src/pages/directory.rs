//! The service directory for partners: the list, one entry with everything (confidential fields
//! marked), adding and editing entries, capacity, and confirming an entry is current. Every
//! change goes in the entry's history.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use harbour_domain::calendar::uk_date;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::directory::{
    CAPACITY_STALE_AFTER_HOURS, GenderEligibility, HarbourTaxonomy, ReferralRoute, ServiceInput,
    ServiceStatus, check_due, parse_capacity,
};
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::areas::list_areas;
use harbour_storage::directory::manage::{ChangeRow, OrganizationChoice, ServiceSummary};
use harbour_storage::directory::oruk::Service;

/// A choice in a list of radios or checkboxes: (value, label).
pub type Choice = (String, String);

fn choices<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&x| (value(x).to_owned(), label(x).to_owned()))
        .collect()
}

/// "2 days ago", "3 hours ago": how old a time is, in words.
fn age_in_words(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return String::new();
    };
    let minutes = (Utc::now() - t.with_timezone(&Utc)).num_minutes().max(0);
    match minutes {
        0..=1 => "just now".into(),
        2..=59 => format!("{minutes} minutes ago"),
        60..=119 => "an hour ago".into(),
        120..=2879 => format!("{} hours ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

fn capacity_is_stale(rfc3339: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(rfc3339).is_ok_and(|t| {
        (Utc::now() - t.with_timezone(&Utc)).num_hours() > CAPACITY_STALE_AFTER_HOURS
    })
}

fn parse_day(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn uk_day(d: &str) -> String {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| d.to_owned())
}

/// A row of the list, ready to show.
pub struct Row {
    pub summary: ServiceSummary,
    pub status_label: String,
    pub capacity: String,
    pub capacity_stale: bool,
    pub checked: String,
    pub check_due: bool,
    pub mine: bool,
}

fn capacity_text(s: &ServiceSummary) -> String {
    match (s.capacity_free, s.capacity_total, &s.capacity_unit) {
        (Some(f), Some(t), Some(u)) => format!("{f} of {t} {u} free"),
        (Some(f), None, Some(u)) => format!("{f} {u} free"),
        (None, _, Some(u)) => format!("No figure yet for {u}"),
        _ => String::new(),
    }
}

fn status_label(code: &str) -> String {
    ServiceStatus::from_code(code).map_or_else(|| code.to_owned(), |s| s.label().to_owned())
}

#[derive(Template)]
#[template(path = "directory.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    only_mine: bool,
    can_add: bool,
    due: usize,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListFilter {
    mine: Option<String>,
}

pub async fn list(staff: Staff, Query(filter): Query<ListFilter>) -> Result<Response, AppError> {
    let today = uk_date(Utc::now());
    let only_mine = filter.mine.as_deref() == Some("yes");
    let mut rows = Vec::new();
    for s in staff.store.list_directory().await? {
        let mine = s.agency_id.as_deref() == Some(staff.store.actor().agency_id.as_str());
        if only_mine && !mine {
            continue;
        }
        let due = check_due(parse_day(&s.last_checked_on), today);
        rows.push(Row {
            status_label: status_label(&s.status),
            capacity: capacity_text(&s),
            capacity_stale: s
                .capacity_updated_at
                .as_deref()
                .is_some_and(capacity_is_stale),
            checked: s
                .last_checked_on
                .as_deref()
                .map(uk_day)
                .unwrap_or_else(|| "Never".into()),
            check_due: due,
            mine,
            summary: s,
        });
    }
    let can_add = !staff
        .store
        .organizations_to_manage()
        .await
        .unwrap_or_default()
        .is_empty();
    let due = rows.iter().filter(|r| r.check_due).count();
    Ok(render(&ListPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/directory"),
        rows,
        only_mine,
        can_add,
        due,
    }))
}

/// One entry, shown to partners.
#[derive(Template)]
#[template(path = "directory_service.html")]
struct EntryPage {
    chrome: Chrome,
    service: Service,
    summary: ServiceSummary,
    history: Vec<ChangeRow>,
    can_manage: bool,
    status_label: String,
    needs: String,
    tiers: String,
    crimes: String,
    ages: String,
    gender: String,
    route: String,
    capacity: String,
    capacity_updated: String,
    capacity_stale: bool,
    checked: String,
    check_due: bool,
    free: String,
    total: String,
    errors: FieldErrors,
}

impl EntryPage {
    fn history_time(&self, at: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(at).map_or_else(
            |_| at.to_owned(),
            |t| t.format("%-d %b %Y %H:%M").to_string(),
        )
    }
}

fn term_names(s: &Service, t: HarbourTaxonomy) -> String {
    let names: Vec<String> = s.harbour_terms(t).map(|term| term.name.clone()).collect();
    if names.is_empty() {
        "Any".into()
    } else {
        names.join(", ")
    }
}

fn ages(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("{a} and over"),
        (None, Some(b)) => format!("Up to {b}"),
        (None, None) => "Any age".into(),
    }
}

async fn entry_page(
    staff: &Staff,
    id: &str,
    free: String,
    total: String,
    errors: FieldErrors,
) -> Result<EntryPage, AppError> {
    let (service, summary, history) = staff.store.directory_entry(id).await?;
    let today = uk_date(Utc::now());
    Ok(EntryPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/directory"),
        can_manage: staff.store.may_manage(&summary),
        status_label: status_label(&summary.status),
        needs: term_names(&service, HarbourTaxonomy::Needs),
        tiers: term_names(&service, HarbourTaxonomy::Tiers),
        crimes: term_names(&service, HarbourTaxonomy::Crimes),
        ages: ages(service.minimum_age, service.maximum_age),
        gender: GenderEligibility::from_slug(&summary.gender)
            .map_or("Anyone", |g| g.label())
            .to_owned(),
        route: ReferralRoute::from_slug(&summary.referral_route)
            .map_or("", |r| r.label())
            .to_owned(),
        capacity: capacity_text(&summary),
        capacity_updated: summary
            .capacity_updated_at
            .as_deref()
            .map(age_in_words)
            .unwrap_or_default(),
        capacity_stale: summary
            .capacity_updated_at
            .as_deref()
            .is_some_and(capacity_is_stale),
        checked: summary
            .last_checked_on
            .as_deref()
            .map(uk_day)
            .unwrap_or_else(|| "Never".into()),
        check_due: check_due(parse_day(&summary.last_checked_on), today),
        free: if free.is_empty() {
            summary
                .capacity_free
                .map(|f| f.to_string())
                .unwrap_or_default()
        } else {
            free
        },
        total: if total.is_empty() && errors.is_empty() {
            summary
                .capacity_total
                .map(|f| f.to_string())
                .unwrap_or_default()
        } else {
            total
        },
        service,
        summary,
        history,
        errors,
    })
}

pub async fn show(staff: Staff, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(render(
        &entry_page(
            &staff,
            &id,
            String::new(),
            String::new(),
            FieldErrors::new(),
        )
        .await?,
    ))
}

pub async fn capacity(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let (free, total) = (form.get("free").to_owned(), form.get("total").to_owned());
    match parse_capacity(&free, &total) {
        Ok((f, t)) => {
            staff.store.update_capacity(&id, f, t).await?;
            Ok(Redirect::to(&format!("/directory/services/{id}#capacity")).into_response())
        }
        Err(errors) => Ok(render_invalid(
            &entry_page(&staff, &id, free, total, errors).await?,
        )),
    }
}

pub async fn checked(
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, AppError> {
    staff.store.mark_checked(&id, uk_date(Utc::now())).await?;
    Ok(Redirect::to(&format!("/directory/services/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "directory_form.html")]
struct FormPage {
    chrome: Chrome,
    service_id: Option<String>,
    input: ServiceInput,
    organization_id: String,
    organizations: Vec<OrganizationChoice>,
    statuses: Vec<Choice>,
    genders: Vec<Choice>,
    routes: Vec<Choice>,
    needs: Vec<Choice>,
    tiers: Vec<Choice>,
    crimes: Vec<Choice>,
    areas: Vec<Choice>,
    errors: FieldErrors,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.service_id {
            Some(id) => format!("/directory/services/{id}"),
            None => "/directory/services".into(),
        }
    }
    fn cancel(&self) -> String {
        match &self.service_id {
            Some(id) => format!("/directory/services/{id}"),
            None => "/directory".into(),
        }
    }
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    service_id: Option<String>,
    organization_id: String,
    input: ServiceInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let mut areas: Vec<Choice> = list_areas(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.gss_code, a.name))
        .collect();
    areas.push(("E92000001".into(), "All of England".into()));
    let page = FormPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/directory"),
        organizations: if service_id.is_none() {
            staff.store.organizations_to_manage().await?
        } else {
            Vec::new()
        },
        service_id,
        input,
        organization_id,
        statuses: choices(
            &ServiceStatus::ALL,
            ServiceStatus::code,
            ServiceStatus::label,
        ),
        genders: choices(
            &GenderEligibility::ALL,
            GenderEligibility::slug,
            GenderEligibility::label,
        ),
        routes: choices(
            &ReferralRoute::ALL,
            ReferralRoute::slug,
            ReferralRoute::label,
        ),
        needs: choices(&NeedCategory::ALL, NeedCategory::slug, NeedCategory::label),
        tiers: choices(&ServiceTier::ALL, ServiceTier::slug, ServiceTier::label),
        crimes: choices(
            &CrimeCategory::ALL,
            CrimeCategory::slug,
            CrimeCategory::label,
        ),
        areas,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

fn input_from(form: &FormData) -> ServiceInput {
    ServiceInput {
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
        status: form.get("status").to_owned(),
        url: form.get("url").to_owned(),
        email: form.get("email").to_owned(),
        alert: form.get("alert").to_owned(),
        minimum_age: form.get("minimum_age").to_owned(),
        maximum_age: form.get("maximum_age").to_owned(),
        gender: form.get("gender").to_owned(),
        crime_categories: form.get_all("crime_categories"),
        tiers: form.get_all("tiers"),
        needs: form.get_all("needs"),
        areas: form.get_all("areas"),
        referral_route: form.get("referral_route").to_owned(),
        referral_email: form.get("referral_email").to_owned(),
        referral_phone: form.get("referral_phone").to_owned(),
        public_phone: form.get("public_phone").to_owned(),
        capacity_unit: form.get("capacity_unit").to_owned(),
    }
}

fn input_of(s: &Service, summary: &ServiceSummary) -> ServiceInput {
    let whole = |a: Option<f64>| a.map(|a| (a as i64).to_string()).unwrap_or_default();
    ServiceInput {
        name: s.name.clone(),
        description: s.description.clone().unwrap_or_default(),
        status: s.status.clone(),
        url: s.url.clone().unwrap_or_default(),
        email: s.email.clone().unwrap_or_default(),
        alert: s.alert.clone().unwrap_or_default(),
        minimum_age: whole(s.minimum_age),
        maximum_age: whole(s.maximum_age),
        gender: summary.gender.clone(),
        crime_categories: s.harbour_codes(HarbourTaxonomy::Crimes),
        tiers: s.harbour_codes(HarbourTaxonomy::Tiers),
        needs: s.harbour_codes(HarbourTaxonomy::Needs),
        areas: s
            .service_areas
            .iter()
            .filter(|a| a.extent_type.as_deref() != Some("geojson"))
            .filter_map(|a| {
                a.uri
                    .as_deref()
                    .and_then(|u| u.rsplit('/').next())
                    .map(str::to_owned)
            })
            .collect(),
        referral_route: summary.referral_route.clone(),
        referral_email: summary.referral_email.clone().unwrap_or_default(),
        referral_phone: summary.referral_phone.clone().unwrap_or_default(),
        public_phone: s
            .phones
            .iter()
            .find(|p| !p.confidential)
            .map(|p| p.number.clone())
            .unwrap_or_default(),
        capacity_unit: summary.capacity_unit.clone().unwrap_or_default(),
    }
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    let input = ServiceInput {
        status: "active".into(),
        gender: "any".into(),
        referral_route: "harbour".into(),
        ..ServiceInput::default()
    };
    form_page(
        &state,
        &staff,
        None,
        String::new(),
        input,
        FieldErrors::new(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (service, summary, _) = staff.store.directory_entry(&id).await?;
    if !staff.store.may_manage(&summary) {
        return Err(AppError::Forbidden);
    }
    let input = input_of(&service, &summary);
    form_page(
        &state,
        &staff,
        Some(id),
        summary.organization_id,
        input,
        FieldErrors::new(),
    )
    .await
}

async fn known_areas(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(harbour_storage::areas::area_codes(&state.db).await?)
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    let organization_id = form.get("organization_id").to_owned();
    let mut result = input.validate(&known_areas(&state).await?);
    if organization_id.is_empty() {
        let mut e = result.clone().err().unwrap_or_default();
        e.add(
            "organization_id",
            "Choose the organisation that runs the service",
        );
        result = Err(e);
    }
    match result {
        Ok(entry) => match staff.store.create_service(&organization_id, &entry).await {
            Ok(id) => Ok(Redirect::to(&format!("/directory/services/{id}")).into_response()),
            Err(StorageError::Invalid(errors)) => {
                form_page(&state, &staff, None, organization_id, input, errors).await
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => form_page(&state, &staff, None, organization_id, input, errors).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    match input.validate(&known_areas(&state).await?) {
        Ok(entry) => match staff.store.update_service(&id, &entry).await {
            Ok(()) => Ok(Redirect::to(&format!("/directory/services/{id}")).into_response()),
            Err(StorageError::Invalid(errors)) => {
                form_page(&state, &staff, Some(id), String::new(), input, errors).await
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => form_page(&state, &staff, Some(id), String::new(), input, errors).await,
    }
}
