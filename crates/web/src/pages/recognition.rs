//! Person recognition for people: the hub's possible matches (two records side by side, why
//! Harbour thinks they may be one person, and the decision), a person's history across agencies,
//! undoing a merge, and the administrator's settings (thresholds, training).

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::{MatchId, MergeId, PersonId};
use harbour_domain::linkage::Contribution;
use harbour_domain::linkage::known::Thresholds;
use harbour_domain::person_details::Details;
use harbour_domain::safe_contact::Channel;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::recognition::history::PersonHistory;
use harbour_storage::recognition::matches::{Decision, MatchState, MatchSummary, PossibleMatch};
use harbour_storage::recognition::model::TrainReport;

/// A probability in words: "97% likely".
pub fn likely(p: &f64) -> String {
    let percent = (p * 100.0).clamp(0.0, 100.0);
    if percent > 99.9 {
        "over 99.9% likely".into()
    } else if percent < 0.1 {
        "under 0.1% likely".into()
    } else if percent >= 99.0 {
        format!("{percent:.1}% likely")
    } else {
        format!("{percent:.0}% likely")
    }
}

fn date(d: &Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "not given".into(), |d| d.format("%-d %B %Y").to_string())
}

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchesPage {
    chrome: Chrome,
    matches: Vec<MatchSummary>,
    /// Just decided two people are different.
    decided: bool,
}

impl MatchesPage {
    fn likely(&self, p: &f64) -> String {
        likely(p)
    }
    fn born(&self, d: &Option<chrono::NaiveDate>) -> String {
        date(d)
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

#[derive(serde::Deserialize)]
pub struct Decided {
    decided: Option<String>,
}

pub async fn list(staff: Staff, Query(q): Query<Decided>) -> Result<Response, AppError> {
    let matches = staff.store.possible_matches().await?;
    Ok(render(&MatchesPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        matches,
        decided: q.decided.is_some(),
    }))
}

/// One row of the side-by-side comparison.
pub struct Row {
    pub label: &'static str,
    pub this: String,
    pub other: String,
}

fn channel(d: &Details, wanted: &[Channel]) -> String {
    d.safe_contact
        .channels
        .iter()
        .filter(|c| wanted.contains(&c.channel))
        .map(|c| c.value.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

fn rows(a: &Details, b: &Details) -> Vec<Row> {
    let or_none = |s: String| {
        if s.trim().is_empty() {
            "Not given".into()
        } else {
            s
        }
    };
    let field = |label, f: &dyn Fn(&Details) -> String| Row {
        label,
        this: or_none(f(a)),
        other: or_none(f(b)),
    };
    vec![
        field("Given name", &|d| d.person.given_name.clone()),
        field("Family name", &|d| d.person.family_name.clone()),
        field("Previous names", &|d| d.person.previous_names.join(", ")),
        field("Date of birth", &|d| date(&d.person.date_of_birth)),
        field("Gender", &|d| d.person.gender.clone()),
        field("Address", &|d| d.person.address.clone()),
        field("Postcode", &|d| d.person.postcode.clone()),
        field("Phone", &|d| {
            channel(d, &[Channel::PhoneCall, Channel::Sms, Channel::Voicemail])
        }),
        field("Email", &|d| channel(d, &[Channel::Email])),
    ]
}

/// One bar of the waterfall: a field, what its comparison found, and its weight.
pub struct Step {
    pub label: &'static str,
    pub meaning: &'static str,
    pub weight: String,
    /// "for", "against" or "" (no weight), and the bar's width class (0 to 20).
    pub direction: &'static str,
    pub width: u8,
}

fn step(label: &'static str, meaning: &'static str, weight: f64) -> Step {
    Step {
        label,
        meaning,
        weight: if weight.abs() < 0.05 {
            "0".into()
        } else {
            format!("{weight:+.1}")
        },
        direction: if weight >= 0.05 {
            "for"
        } else if weight <= -0.05 {
            "against"
        } else {
            ""
        },
        width: weight.abs().round().clamp(0.0, 20.0) as u8,
    }
}

fn waterfall(m: &PossibleMatch) -> Vec<Step> {
    let mut steps = vec![step(
        "Starting point",
        "how rarely two records chosen at random are one person",
        m.explanation.prior_weight,
    )];
    steps.extend(
        m.explanation
            .contributions
            .iter()
            .map(|c: &Contribution| step(c.field.label(), c.meaning(), c.weight)),
    );
    steps
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    chrome: Chrome,
    m: PossibleMatch,
    rows: Vec<Row>,
    steps: Vec<Step>,
    total: String,
    decision: String,
    reason: String,
    errors: FieldErrors,
}

impl MatchPage {
    fn likely(&self, p: &f64) -> String {
        likely(p)
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn open(&self) -> bool {
        self.m.state == MatchState::Possible && self.m.this.person_id != self.m.other.person_id
    }
    fn state(&self) -> &'static str {
        self.m.state.label()
    }
    fn decisions(&self) -> Vec<(String, String)> {
        vec![
            ("same".into(), "The same person: join their records".into()),
            (
                "different".into(),
                "Different people: do not suggest this again".into(),
            ),
        ]
    }
}

fn match_page(
    staff: &Staff,
    m: PossibleMatch,
    decision: String,
    reason: String,
    errors: FieldErrors,
) -> Response {
    let p = MatchPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        rows: rows(&m.this.details, &m.other.details),
        steps: waterfall(&m),
        total: format!("{:+.1}", m.explanation.score),
        m,
        decision,
        reason,
        errors,
    };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

pub async fn show(staff: Staff, Path(id): Path<MatchId>) -> Result<Response, AppError> {
    let m = staff.store.possible_match(&id).await?;
    Ok(match_page(
        &staff,
        m,
        String::new(),
        String::new(),
        FieldErrors::new(),
    ))
}

pub async fn decide(
    staff: Staff,
    Path(id): Path<MatchId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let decision = form.get("decision").to_owned();
    let reason = form.get("reason").trim().to_owned();
    let mut errors = FieldErrors::new();
    let chosen = match decision.as_str() {
        "same" => Some(Decision::Same),
        "different" => Some(Decision::Different),
        _ => {
            errors.add(
                "decision",
                "Choose whether these are the same person or different people",
            );
            None
        }
    };
    if reason.chars().count() > 1000 {
        errors.add("reason", "Reason must be 1,000 characters or fewer");
    }
    let Some(chosen) = chosen.filter(|_| errors.is_empty()) else {
        let m = staff.store.possible_match(&id).await?;
        return Ok(match_page(&staff, m, decision, reason, errors));
    };
    match staff.store.decide_match(&id, chosen, &reason).await {
        Ok(_) => {
            let m = staff.store.possible_match(&id).await?;
            let person = m.other.person_id;
            Ok(Redirect::to(&match chosen {
                Decision::Same => format!("/persons/{person}?merged=1"),
                Decision::Different => "/recognition/matches?decided=1".to_owned(),
            })
            .into_response())
        }
        Err(StorageError::Invalid(errors)) => {
            let m = staff.store.possible_match(&id).await?;
            Ok(match_page(&staff, m, decision, reason, errors))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "person_history.html")]
struct HistoryPage {
    chrome: Chrome,
    h: PersonHistory,
    /// What was just done: "merged" or "unmerged".
    done: &'static str,
    can_unmerge: bool,
    reason: String,
    errors: FieldErrors,
}

impl HistoryPage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn born(&self) -> String {
        date(&self.h.born)
    }
    fn escalation(&self) -> bool {
        self.h.police_reported_12_months >= 3
    }
}

fn history_page(
    staff: &Staff,
    h: PersonHistory,
    done: &'static str,
    reason: String,
    errors: FieldErrors,
) -> Response {
    let p = HistoryPage {
        done,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        can_unmerge: staff
            .store
            .may(harbour_domain::permission::Action::RecognisePeople),
        h,
        reason,
        errors,
    };
    if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    }
}

/// What the person's page was sent back to say.
#[derive(serde::Deserialize)]
pub struct Done {
    merged: Option<String>,
    unmerged: Option<String>,
}

pub async fn person(
    staff: Staff,
    Path(id): Path<PersonId>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let h = staff.store.person_history(&id).await?;
    let done = if q.merged.is_some() {
        "Their records are joined. Every referral about them is below."
    } else if q.unmerged.is_some() {
        "The records are separated again, as they were before they were joined."
    } else {
        ""
    };
    Ok(history_page(
        &staff,
        h,
        done,
        String::new(),
        FieldErrors::new(),
    ))
}

pub async fn unmerge(
    staff: Staff,
    Path(id): Path<MergeId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let reason = form.get("reason").trim().to_owned();
    match staff.store.unmerge(&id, &reason).await {
        Ok(person) => Ok(Redirect::to(&format!("/persons/{person}?unmerged=1")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            let h = staff
                .store
                .person_history(&PersonId::from(form.get("person")))
                .await?;
            Ok(history_page(&staff, h, "", reason, errors))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "recognition_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    thresholds: Thresholds,
    link: String,
    possible: String,
    models: Vec<TrainReport>,
    errors: FieldErrors,
}

impl SettingsPage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn percent(&self, p: &f64) -> String {
        format!("{}", (p * 1000.0).round() / 10.0)
    }
    fn one_in(&self, p: &f64) -> String {
        format!("{:.0}", 1.0 / p.max(1e-12))
    }
}

async fn settings_page(
    staff: &Staff,
    form: Option<(String, String)>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (thresholds, models) = staff.store.recognition_settings().await?;
    let (link, possible) = form.unwrap_or_else(|| {
        (
            format!("{}", (thresholds.link * 1000.0).round() / 10.0),
            format!("{}", (thresholds.possible * 1000.0).round() / 10.0),
        )
    });
    let p = SettingsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/home"),
        thresholds,
        link,
        possible,
        models,
        errors,
    };
    Ok(if p.errors.is_empty() {
        render(&p)
    } else {
        render_invalid(&p)
    })
}

pub async fn settings(staff: Staff) -> Result<Response, AppError> {
    settings_page(&staff, None, FieldErrors::new()).await
}

/// A percentage as typed ("99", "99.5%") as a probability, or an error for the field.
fn percent(text: &str, field: &str, errors: &mut FieldErrors) -> f64 {
    match text.trim().trim_end_matches('%').trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p < 100.0 => p / 100.0,
        _ => {
            errors.add(field, "Enter a percentage between 0 and 100, such as 99");
            0.0
        }
    }
}

pub async fn set_thresholds(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    let (link_text, possible_text) = (form.get("link").to_owned(), form.get("possible").to_owned());
    let mut errors = FieldErrors::new();
    let link = percent(&link_text, "link", &mut errors);
    let possible = percent(&possible_text, "possible", &mut errors);
    if errors.is_empty() && possible >= link {
        errors.add(
            "possible",
            "The level for a possible match must be below the level for linking",
        );
    }
    if !errors.is_empty() {
        return settings_page(&staff, Some((link_text, possible_text)), errors).await;
    }
    match staff
        .store
        .set_recognition_thresholds(Thresholds { link, possible })
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/recognition?saved=1").into_response()),
        Err(StorageError::Invalid(errors)) => {
            settings_page(&staff, Some((link_text, possible_text)), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn train(staff: Staff, CsrfForm(_form): CsrfForm) -> Result<Response, AppError> {
    match staff.store.train_recognition().await {
        Ok(_) => Ok(Redirect::to("/admin/recognition?trained=1").into_response()),
        Err(StorageError::Invalid(errors)) => settings_page(&staff, None, errors).await,
        Err(e) => Err(e.into()),
    }
}
