//! The staff referral form: one page, saved as a draft or submitted, that keeps everything
//! entered when it shows what to fix. Field names are the paths the rules report problems at
//! (`person/given_name`), so each message lands next to its field.

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
use harbour_domain::agency::AgencyKind;
use harbour_domain::area::Area;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::ids::{DraftId, ReferralId};
use harbour_domain::referral::{ChildInput, PerpetratorInput, PersonInput, ReferralInput};
use harbour_domain::safe_contact::{Channel, ChannelInput, SafeContactInput, SafeTimeInput};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::areas::list_areas;
use harbour_storage::intake::Submitted;
use harbour_storage::referrals::{Draft, ReferralStatus};

const PERPETRATOR_ROWS: usize = 2;
const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// The form's own fields, turned into the input every channel shares. Also returns, for
/// errors reported by position, the form field each position came from.
fn input_from_form(f: &FormData) -> (ReferralInput, Vec<(String, String)>) {
    let mut renames = Vec::new();
    let yes = |name: &str| f.get(name) == "yes";
    let mut channels = Vec::new();
    for c in Channel::ALL {
        if f.get_all("safe_contact/channels")
            .iter()
            .any(|v| v == c.slug())
        {
            renames.push((
                format!("safe_contact/channels/{}/value", channels.len()),
                format!("safe_contact/{}", c.slug()),
            ));
            channels.push(ChannelInput {
                channel: c.slug().to_owned(),
                value: f.get(&format!("safe_contact/{}", c.slug())).to_owned(),
            });
        }
    }
    let days = f.get_all("safe_contact/days");
    let (from, to) = (
        f.get("safe_contact/from").trim(),
        f.get("safe_contact/to").trim(),
    );
    let safe_times = if days.is_empty() && from.is_empty() && to.is_empty() {
        Vec::new()
    } else {
        renames.push((
            "safe_contact/safe_times/0/days".into(),
            "safe_contact/days".into(),
        ));
        renames.push((
            "safe_contact/safe_times/0/from".into(),
            "safe_contact/from".into(),
        ));
        renames.push((
            "safe_contact/safe_times/0/to".into(),
            "safe_contact/to".into(),
        ));
        vec![SafeTimeInput {
            days,
            from: from.to_owned(),
            to: to.to_owned(),
        }]
    };
    let mut perpetrators = Vec::new();
    for row in 0..PERPETRATOR_ROWS {
        let field = |n: &str| f.get(&format!("perpetrators/{row}/{n}")).to_owned();
        let p = PerpetratorInput {
            name: field("name"),
            relationship: field("relationship"),
            gender: field("gender"),
            age: None,
        };
        if !(p.name.trim().is_empty()
            && p.relationship.trim().is_empty()
            && p.gender.trim().is_empty())
        {
            renames.push((
                format!("perpetrators/{}/relationship", perpetrators.len()),
                format!("perpetrators/{row}/relationship"),
            ));
            perpetrators.push(p);
        }
    }
    let mut children = Vec::new();
    for part in f
        .get("children")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.parse::<u32>() {
            Ok(age) => children.push(ChildInput {
                name: String::new(),
                age: Some(age),
            }),
            Err(_) => children.push(ChildInput {
                name: part.to_owned(),
                age: None,
            }),
        }
    }
    for i in 0..children.len() {
        renames.push((format!("children/{i}/age"), "children".into()));
        renames.push((format!("children/{i}/name"), "children".into()));
    }
    let age = f.get("person/age").trim();
    let input = ReferralInput {
        source: f.get("source").to_owned(),
        crime_category: f.get("crime_category").to_owned(),
        reported_to_police: match f.get("reported_to_police") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        police_reference: f.get("police_reference").to_owned(),
        incident_date: f.get("incident_date").to_owned(),
        incident_area: f.get("incident_area").to_owned(),
        person: PersonInput {
            given_name: f.get("person/given_name").to_owned(),
            family_name: f.get("person/family_name").to_owned(),
            previous_names: f
                .get("person/previous_names")
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            date_of_birth: f.get("person/date_of_birth").to_owned(),
            age: if age.is_empty() {
                None
            } else {
                age.parse().ok().or(Some(u32::MAX))
            },
            gender: f.get("person/gender").to_owned(),
            address: f.get("person/address").to_owned(),
            postcode: f.get("person/postcode").to_owned(),
            area: f.get("person/area").to_owned(),
            language: f.get("person/language").to_owned(),
            interpreter_needed: yes("person/interpreter_needed"),
            disability: f.get("person/disability").to_owned(),
            vulnerability: f.get("person/vulnerability").to_owned(),
            ..Default::default()
        },
        perpetrators,
        children,
        consent_to_referral: f.get("consent_to_referral").to_owned(),
        consent_to_aggregate: Some(yes("consent_to_aggregate")),
        safe_contact: SafeContactInput {
            channels,
            safe_times,
            code_word: f.get("safe_contact/code_word").to_owned(),
            abuser_sees_phone: yes("safe_contact/abuser_sees_phone"),
            abuser_sees_post: yes("safe_contact/abuser_sees_post"),
            only_through_referrer: yes("safe_contact/only_through_referrer"),
            do_not_contact: yes("safe_contact/do_not_contact"),
        },
        risk_level: f.get("risk_level").to_owned(),
        notes: f.get("notes").to_owned(),
    };
    (input, renames)
}

/// A saved draft back into the form's fields.
fn form_from_input(i: &ReferralInput) -> FormData {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, val: &str| {
        if !val.is_empty() {
            v.push((k.to_owned(), val.to_owned()));
        }
    };
    put("source", &i.source);
    put("crime_category", &i.crime_category);
    put(
        "reported_to_police",
        match i.reported_to_police {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        },
    );
    put("police_reference", &i.police_reference);
    put("incident_date", &i.incident_date);
    put("incident_area", &i.incident_area);
    let p = &i.person;
    put("person/given_name", &p.given_name);
    put("person/family_name", &p.family_name);
    put("person/previous_names", &p.previous_names.join(", "));
    put("person/date_of_birth", &p.date_of_birth);
    put(
        "person/age",
        &p.age.map(|a| a.to_string()).unwrap_or_default(),
    );
    put("person/gender", &p.gender);
    put("person/address", &p.address);
    put("person/postcode", &p.postcode);
    put("person/area", &p.area);
    put("person/language", &p.language);
    put(
        "person/interpreter_needed",
        if p.interpreter_needed { "yes" } else { "" },
    );
    put("person/disability", &p.disability);
    put("person/vulnerability", &p.vulnerability);
    for (row, x) in i.perpetrators.iter().enumerate() {
        put(&format!("perpetrators/{row}/name"), &x.name);
        put(&format!("perpetrators/{row}/relationship"), &x.relationship);
        put(&format!("perpetrators/{row}/gender"), &x.gender);
    }
    let children: Vec<String> = i
        .children
        .iter()
        .map(|c| c.age.map_or_else(|| c.name.clone(), |a| a.to_string()))
        .collect();
    put("children", &children.join(", "));
    put("consent_to_referral", &i.consent_to_referral);
    put(
        "consent_to_aggregate",
        if i.consent_to_aggregate == Some(true) {
            "yes"
        } else {
            ""
        },
    );
    let s = &i.safe_contact;
    for c in &s.channels {
        put("safe_contact/channels", &c.channel);
        put(&format!("safe_contact/{}", c.channel), &c.value);
    }
    if let Some(t) = s.safe_times.first() {
        for d in &t.days {
            put("safe_contact/days", d);
        }
        put("safe_contact/from", &t.from);
        put("safe_contact/to", &t.to);
    }
    put("safe_contact/code_word", &s.code_word);
    put(
        "safe_contact/abuser_sees_phone",
        if s.abuser_sees_phone { "yes" } else { "" },
    );
    put(
        "safe_contact/abuser_sees_post",
        if s.abuser_sees_post { "yes" } else { "" },
    );
    put(
        "safe_contact/only_through_referrer",
        if s.only_through_referrer { "yes" } else { "" },
    );
    put(
        "safe_contact/do_not_contact",
        if s.do_not_contact { "yes" } else { "" },
    );
    put("risk_level", &i.risk_level);
    put("notes", &i.notes);
    FormData::from_pairs(v)
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct ReferralForm {
    chrome: Chrome,
    form: FormData,
    draft_id: Option<DraftId>,
    saved: bool,
    errors: FieldErrors,
    areas: Vec<Area>,
    crimes: [CrimeCategory; 19],
    channels: [Channel; 6],
    days: [(&'static str, &'static str); 7],
    perpetrator_rows: Vec<usize>,
}

impl ReferralForm {
    fn v(&self, name: impl AsRef<str>) -> &str {
        self.form.get(name.as_ref())
    }
    fn is(&self, name: &str, value: &str) -> bool {
        self.form.get_all(name).iter().any(|v| v == value)
    }
    fn err(&self, name: impl AsRef<str>) -> Option<&str> {
        self.errors.get(name.as_ref())
    }
    fn row(&self, row: &usize, field: &str) -> String {
        format!("perpetrators/{row}/{field}")
    }
    fn channel_field(&self, c: &Channel) -> String {
        format!("safe_contact/{}", c.slug())
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    form: FormData,
    draft_id: Option<DraftId>,
    saved: bool,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let page = ReferralForm {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/new"),
        form,
        draft_id,
        saved,
        errors,
        areas: list_areas(&state.db)
            .await?
            .into_iter()
            .filter(|a| a.kind != "county")
            .collect(),
        crimes: CrimeCategory::ALL,
        channels: Channel::ALL,
        days: DAYS,
        perpetrator_rows: (0..PERPETRATOR_ROWS).collect(),
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    // Agencies are not personal data: any signed-in person may know their own agency's kind.
    let police = harbour_storage::agencies::list_all(&state.db)
        .await?
        .iter()
        .any(|a| a.id == staff.signed_in.session.agency_id && a.kind == AgencyKind::Police);
    let source = if police { "police" } else { "partner_agency" };
    page(
        &state,
        &staff,
        FormData::from_pairs(vec![("source".into(), source.into())]),
        None,
        false,
        FieldErrors::new(),
    )
    .await
}

pub async fn open_draft(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<DraftId>,
) -> Result<Response, AppError> {
    let Draft { id, input, .. } = staff.store.draft(&id).await?;
    page(
        &state,
        &staff,
        form_from_input(&input),
        Some(id),
        false,
        FieldErrors::new(),
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let (input, renames) = input_from_form(&form);
    let draft_id = Some(form.get("draft_id"))
        .filter(|d| !d.is_empty())
        .map(DraftId::from);
    if form.get("action") == "draft" {
        let id = staff.store.save_draft(draft_id.as_ref(), &input).await?;
        return page(&state, &staff, form, Some(id), true, FieldErrors::new()).await;
    }
    match staff
        .store
        .submit_referral(&input, None, "staff form")
        .await
    {
        Ok(Submitted::Created(receipt)) => {
            // A draft already removed (a second click of "Send") is no reason to fail.
            if let Some(d) = &draft_id {
                match staff.store.delete_draft(d).await {
                    Ok(()) | Err(StorageError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Redirect::to(&format!("/referrals/sent/{}", receipt.id)).into_response())
        }
        Ok(_) => Err(AppError::Internal),
        Err(StorageError::Invalid(errors)) => {
            let mut shown = FieldErrors::new();
            for e in errors.iter() {
                let field = renames
                    .iter()
                    .find(|(from, _)| *from == e.field)
                    .map_or(e.field.as_str(), |(_, to)| to.as_str());
                shown.add(field, e.message.clone());
            }
            page(&state, &staff, form, draft_id, false, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_draft(
    staff: Staff,
    Path(id): Path<DraftId>,
    _form: CsrfForm,
) -> Result<Response, AppError> {
    staff.store.delete_draft(&id).await?;
    Ok(Redirect::to("/referrals/mine").into_response())
}

#[derive(Template)]
#[template(path = "my_referrals.html")]
struct MyReferrals {
    chrome: Chrome,
    referrals: Vec<ReferralStatus>,
    drafts: Vec<Draft>,
    can_submit: bool,
    can_import: bool,
}

impl MyReferrals {
    fn draft_name(&self, d: &Draft) -> String {
        let name = format!(
            "{} {}",
            d.input.person.given_name, d.input.person.family_name
        );
        if name.trim().is_empty() {
            "Unnamed".to_owned()
        } else {
            name.trim().to_owned()
        }
    }
}

pub async fn mine(staff: Staff) -> Result<Response, AppError> {
    let can_submit = staff
        .store
        .may(harbour_domain::permission::Action::SubmitReferral);
    Ok(render(&MyReferrals {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/mine"),
        referrals: staff.store.own_referrals(200).await?,
        drafts: if can_submit {
            staff.store.drafts().await?
        } else {
            Vec::new()
        },
        can_submit,
        can_import: staff
            .store
            .may(harbour_domain::permission::Action::ImportReferrals),
    }))
}

#[derive(Template)]
#[template(path = "referral_sent.html")]
struct Sent {
    chrome: Chrome,
    r: ReferralStatus,
    /// Where the hub referred the person on, and how each stands.
    onward: Vec<harbour_storage::onward::OnwardSummary>,
    /// May refer the person to MARAC from here.
    may_refer_marac: bool,
}

pub async fn sent(staff: Staff, Path(id): Path<ReferralId>) -> Result<Response, AppError> {
    Ok(render(&Sent {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/mine"),
        r: staff.store.own_referral(&id).await?,
        onward: staff.store.onward_for_referral(&id).await?,
        may_refer_marac: staff
            .store
            .may(harbour_domain::permission::Action::ReferToMarac),
    }))
}
