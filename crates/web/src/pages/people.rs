//! People (staff accounts): list, view, add, deactivate and reactivate.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::agency::Agency;
use harbour_domain::ids::UserId;
use harbour_domain::permission::Action;
use harbour_domain::role::Role;
use harbour_domain::user::{User, UserInput};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    people: Vec<User>,
    can_manage: bool,
}

pub async fn list(staff: Staff) -> Result<Response, AppError> {
    Ok(render(&PeoplePage {
        people: staff.store.list_users().await?,
        can_manage: staff.store.may(Action::ManagePeople),
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/people"),
    }))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    person: User,
    can_manage: bool,
    is_self: bool,
    all_roles: Vec<Role>,
    errors: FieldErrors,
    /// What was just done, for the success banner.
    done: Option<&'static str>,
    /// Whether the person has an authenticator set up.
    two_factor: bool,
}

impl PersonPage {
    fn has_role(&self, role: &Role) -> bool {
        self.person.roles.contains(role)
    }
}

async fn person_page(
    staff: &Staff,
    id: &UserId,
    errors: FieldErrors,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let person = staff.store.get_user(id).await?;
    let two_factor = staff.store.user_two_factor_set_up(id).await?;
    let page = PersonPage {
        two_factor,
        is_self: person.id == staff.signed_in.session.user_id,
        person,
        can_manage: staff.store.may(Action::ManagePeople),
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/people"),
        all_roles: Role::STAFF.to_vec(),
        errors,
        done,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

pub async fn show(staff: Staff, Path(id): Path<UserId>) -> Result<Response, AppError> {
    person_page(&staff, &id, FieldErrors::new(), None).await
}

pub async fn set_roles(
    staff: Staff,
    Path(id): Path<UserId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    match staff
        .store
        .set_user_roles(&id, &form.get_all("roles"))
        .await
    {
        Ok(_) => {
            person_page(
                &staff,
                &id,
                FieldErrors::new(),
                Some("Roles saved. They apply from the person's next page."),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => person_page(&staff, &id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn set_password(
    staff: Staff,
    Path(id): Path<UserId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    match staff
        .store
        .set_user_password(&id, form.get("password"))
        .await
    {
        Ok(()) => {
            person_page(
                &staff,
                &id,
                FieldErrors::new(),
                Some("New password set. The person has been signed out everywhere."),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => person_page(&staff, &id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonForm {
    chrome: Chrome,
    display_name: String,
    email: String,
    agency_id: String,
    roles: Vec<String>,
    agencies: Vec<Agency>,
    all_roles: Vec<Role>,
    errors: FieldErrors,
}

impl PersonForm {
    fn has_role(&self, role: &Role) -> bool {
        self.roles.iter().any(|r| r == role.slug())
    }
}

async fn form_page(
    staff: &Staff,
    input: UserInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    // The password is never sent back to the browser, even when the form is re-shown.
    let form = PersonForm {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/people"),
        display_name: input.display_name,
        email: input.email,
        agency_id: input.agency_id,
        roles: input.roles,
        agencies: staff.store.list_agencies().await?,
        all_roles: Role::STAFF.to_vec(),
        errors,
    };
    Ok(if form.errors.is_empty() {
        render(&form)
    } else {
        render_invalid(&form)
    })
}

pub async fn new(staff: Staff) -> Result<Response, AppError> {
    form_page(&staff, UserInput::default(), FieldErrors::new()).await
}

pub async fn create(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    let input = UserInput {
        display_name: form.get("display_name").to_owned(),
        email: form.get("email").to_owned(),
        agency_id: form.get("agency_id").to_owned(),
        roles: form.get_all("roles"),
        password: form.get("password").to_owned(),
    };
    match staff.store.create_user(&input).await {
        Ok(user) => Ok(Redirect::to(&format!("/admin/people/{}", user.id)).into_response()),
        Err(StorageError::Invalid(errors)) => form_page(&staff, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn deactivate(
    staff: Staff,
    Path(id): Path<UserId>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    set_active(staff, id, false).await
}

pub async fn reactivate(
    staff: Staff,
    Path(id): Path<UserId>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    set_active(staff, id, true).await
}

async fn set_active(staff: Staff, id: UserId, active: bool) -> Result<Response, AppError> {
    match staff.store.set_user_active(&id, active).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/people/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => Err(AppError::BadRequest(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(". "),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Removes a person's authenticator and recovery codes when they have lost both.
pub async fn reset_two_factor(
    staff: Staff,
    Path(id): Path<UserId>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    match staff.store.reset_user_two_factor(&id).await {
        Ok(()) => {
            person_page(
                &staff,
                &id,
                FieldErrors::new(),
                Some("Two-factor sign-in reset. The person has been signed out everywhere; if their role needs it, they will set up a new authenticator when they next sign in."),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => person_page(&staff, &id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}
