//! Casework for people: a caseworker's caseload (a manager's whole team's), one case with its
//! notes and what happened to it, writing and correcting notes, and allocating a case.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid, under};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use harbour_domain::calendar::uk_date;
use harbour_domain::case::{
    COPE_QUESTION, CaseStatus, ClosureReason, NoteKind, OutcomeAnswer, RECOVER_QUESTION, ReviewDue,
};
use harbour_domain::ids::{CaseId, CaseNoteId, UserId};
use harbour_domain::instrument::RiskLevel;
use harbour_domain::outcome::{ReadingKind, distance};
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::cases::{
    Allocatable, CaseNote, CaseSummary, CaseView, CaseloadFilter, ChangeInput, NoteInput,
    NoteVersion, Reading, Whose,
};
use serde::Deserialize;

pub mod plan;
pub mod risk;
pub mod safety;
pub mod transfer;

pub(crate) fn day(d: &NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A review date in words, with how it stands: "3 March 2026 (overdue)".
fn review_words(c: &CaseSummary) -> String {
    match (c.next_review_on, c.review, c.status) {
        (_, _, CaseStatus::Paused) => "Not while paused".into(),
        (_, _, CaseStatus::Closed) | (None, _, _) => "None due".into(),
        (Some(d), Some(ReviewDue::Overdue), _) => format!("{} (overdue)", day(&d)),
        (Some(d), Some(ReviewDue::DueSoon), _) => format!("{} (this week)", day(&d)),
        (Some(d), _, _) => day(&d),
    }
}

/// What every case page shows of a case, in words.
pub struct CaseLine {
    pub case: CaseSummary,
    pub review: String,
    pub risk: String,
    pub tier: String,
    pub last_contact: String,
    pub caseworker: String,
    pub overdue: bool,
}

impl CaseLine {
    pub(crate) fn new(case: CaseSummary) -> CaseLine {
        CaseLine {
            review: review_words(&case),
            risk: case
                .risk_level
                .map_or_else(|| "Not assessed".into(), |r| r.label().to_owned()),
            tier: case
                .tier
                .map_or_else(|| "Not set".into(), |t| t.label().to_owned()),
            last_contact: case
                .last_contact_at
                .map_or_else(|| "None recorded".into(), |t| day(&uk_date(t))),
            caseworker: case
                .caseworker_name
                .clone()
                .unwrap_or_else(|| "Not allocated".into()),
            overdue: case.review == Some(ReviewDue::Overdue),
            case,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CaseloadQuery {
    #[serde(default)]
    whose: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    review: String,
}

impl CaseloadPage {
    /// A count as the page writes it: "10,000".
    fn thousands(&self, n: &i64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    chrome: Chrome,
    manager: bool,
    heading: String,
    cases: Vec<CaseLine>,
    total: i64,
    page: i64,
    count_up_to: i64,
    whose: String,
    status: String,
    risk: String,
    review: String,
    whose_options: Vec<(String, String)>,
    status_options: Vec<(String, String)>,
    risk_options: Vec<(String, String)>,
    review_options: Vec<(String, String)>,
}

/// GET /cases: the caseworker's own cases, or for a manager whoever's they choose, with the
/// next review first.
pub async fn caseload(staff: Staff, Query(q): Query<CaseloadQuery>) -> Result<Response, AppError> {
    let store = &staff.store;
    let manager = store.may(Action::ManageCases);
    let staff_list = if manager {
        store.allocatable().await?
    } else {
        Vec::new()
    };
    let whose = match q.whose.as_str() {
        "everyone" if manager => Whose::Everyone,
        "unallocated" if manager => Whose::Unallocated,
        id if manager && staff_list.iter().any(|s| s.id == id) => Whose::Of(UserId::from(id)),
        _ => Whose::Mine,
    };
    let filter = CaseloadFilter {
        whose: whose.clone(),
        status: CaseStatus::from_slug(&q.status),
        risk: RiskLevel::from_slug(&q.risk),
        review_overdue: q.review == "overdue",
        review_due_soon: q.review == "soon",
    };
    let load = store.caseload(&filter).await?;
    let heading = match &whose {
        Whose::Mine => "Your cases".to_owned(),
        Whose::Everyone => "Your service's cases".to_owned(),
        Whose::Unallocated => "Cases waiting for a caseworker".to_owned(),
        Whose::Of(id) => staff_list
            .iter()
            .find(|s| s.id == *id)
            .map_or_else(|| "Cases".into(), |s| format!("{}'s cases", s.name)),
    };
    let mut whose_options = vec![("mine".to_owned(), "Mine".to_owned())];
    if manager {
        whose_options.push(("everyone".into(), "Everyone in the service".into()));
        whose_options.push(("unallocated".into(), "Not yet allocated".into()));
        whose_options.extend(staff_list.iter().map(|s: &Allocatable| {
            (
                s.id.to_string(),
                format!("{} ({} open)", s.name, s.open_cases),
            )
        }));
    }
    let whose_value = match &whose {
        Whose::Mine => "mine".to_owned(),
        Whose::Everyone => "everyone".to_owned(),
        Whose::Unallocated => "unallocated".to_owned(),
        Whose::Of(id) => id.to_string(),
    };
    let mut status_options = vec![(String::new(), "Open or paused".to_owned())];
    status_options.extend(
        CaseStatus::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), s.label().to_owned())),
    );
    let mut risk_options = vec![(String::new(), "Any".to_owned())];
    risk_options.extend(
        RiskLevel::ALL
            .iter()
            .map(|r| (r.slug().to_owned(), r.label().to_owned())),
    );
    let review_options = vec![
        (String::new(), "Any".to_owned()),
        ("overdue".to_owned(), "Overdue".to_owned()),
        (
            "soon".to_owned(),
            "Due within a week, or overdue".to_owned(),
        ),
    ];
    Ok(render(&CaseloadPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        manager,
        heading,
        total: load.total,
        page: harbour_storage::cases::PAGE,
        count_up_to: harbour_storage::cases::COUNT_UP_TO,
        cases: load.cases.into_iter().map(CaseLine::new).collect(),
        whose: whose_value,
        status: CaseStatus::from_slug(&q.status)
            .map(|s| s.slug().to_owned())
            .unwrap_or_default(),
        risk: RiskLevel::from_slug(&q.risk)
            .map(|r| r.slug().to_owned())
            .unwrap_or_default(),
        review: if matches!(q.review.as_str(), "overdue" | "soon") {
            q.review.clone()
        } else {
            String::new()
        },
        whose_options,
        status_options,
        risk_options,
        review_options,
    }))
}

/// A note's form as typed, to show again with its errors.
#[derive(Debug, Clone, Default)]
pub struct NoteForm {
    pub kind: String,
    pub body: String,
    pub restricted: bool,
    pub happened_on: String,
}

impl NoteForm {
    fn from(form: &FormData) -> NoteForm {
        NoteForm {
            kind: form.get("kind").to_owned(),
            body: form.get("body").to_owned(),
            restricted: form.get("restricted") == "yes",
            happened_on: form.get("happened_on").to_owned(),
        }
    }

    fn today() -> NoteForm {
        NoteForm {
            kind: NoteKind::Contact.slug().to_owned(),
            happened_on: uk_date(Utc::now()).format("%-d/%-m/%Y").to_string(),
            ..NoteForm::default()
        }
    }

    fn input(&self) -> NoteInput {
        NoteInput {
            kind: self.kind.clone(),
            body: self.body.clone(),
            restricted: self.restricted,
            happened_on: self.happened_on.clone(),
        }
    }
}

fn kind_options() -> Vec<(String, String)> {
    NoteKind::ALL
        .iter()
        .map(|k| (k.slug().to_owned(), k.label().to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    line: CaseLine,
    view: CaseView,
    note: NoteForm,
    kinds: Vec<(String, String)>,
    staff: Vec<(String, String)>,
    caseworker: String,
    /// What was typed in the status and review forms, by field name, to show again.
    typed: FormData,
    closure_reasons: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    cope_question: &'static str,
    recover_question: &'static str,
    /// Distance travelled from the first reading to the latest, when there are two.
    chart: Option<Chart>,
    /// The scores to choose from for each area, with the stage each is in.
    score_options: Vec<(String, String)>,
    reading_kinds: Vec<(String, String)>,
    /// The rights to choose from (number, words), and explained or offered.
    right_options: Vec<(String, String)>,
    right_actions: Vec<(String, String)>,
    errors: FieldErrors,
    saved: bool,
}

impl CasePage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name).to_owned()
    }
    fn open(&self) -> bool {
        self.line.case.status == CaseStatus::Open
    }
    fn paused(&self) -> bool {
        self.line.case.status == CaseStatus::Paused
    }
    fn closed(&self) -> bool {
        self.line.case.status == CaseStatus::Closed
    }
    fn reading_errors(&self) -> bool {
        self.errors
            .iter()
            .any(|e| e.field == "reading_kind" || e.field.starts_with("score/"))
    }
    fn closing_errors(&self) -> bool {
        self.errors.iter().any(|e| e.field.starts_with("close/"))
    }
    fn closure(&self) -> String {
        self.line
            .case
            .closure_reason
            .map_or_else(String::new, |r| r.label().to_owned())
    }
    fn answer(&self, a: &Option<OutcomeAnswer>) -> &'static str {
        a.map_or("Not recorded", |a| a.label())
    }
    /// A reading's score for an area, or a dash where it has none.
    fn score(&self, r: &Reading, area: &str) -> String {
        r.scores
            .get(area)
            .map_or_else(|| "–".into(), |s| s.to_string())
    }
    fn rights_chosen(&self) -> Vec<String> {
        self.typed.get_all("rights")
    }
    fn rights_errors(&self) -> bool {
        self.errors.get("rights").is_some() || self.errors.get("rights_action").is_some()
    }
    fn score_field(&self, area: &str) -> String {
        format!("score/{area}")
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
    fn kind(&self, n: &CaseNote) -> &'static str {
        n.kind.label()
    }
    fn opened(&self) -> String {
        day(&uk_date(self.line.case.opened_at))
    }
}

/// What a case page shows again after an error: the note being written, the caseworker being
/// chosen, and whatever else was typed.
#[derive(Default)]
struct Typed {
    note: Option<NoteForm>,
    caseworker: String,
    form: FormData,
}

async fn case_page(
    staff: &Staff,
    id: &CaseId,
    typed: Typed,
    errors: FieldErrors,
    saved: bool,
) -> Result<Response, AppError> {
    let Typed {
        note,
        caseworker,
        form,
    } = typed;
    let note = note.unwrap_or_else(NoteForm::today);
    let view = staff.store.case(id).await?;
    let staff_options = if view.may_allocate {
        staff
            .store
            .allocatable()
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.id.to_string(),
                    format!("{} ({} open)", s.name, s.open_cases),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let caseworker = if caseworker.is_empty() {
        view.summary
            .caseworker_id
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default()
    } else {
        caseworker
    };
    let chart = chart(&view);
    let tool = &view.tool_now;
    let score_options = (tool.min..=tool.max)
        .map(|n| (n.to_string(), format!("{n}: {}", tool.stage(n).label)))
        .collect();
    let page = CasePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        line: CaseLine::new(view.summary.clone()),
        chart,
        score_options,
        right_options: harbour_domain::victims_code::RIGHTS
            .iter()
            .enumerate()
            .map(|(i, r)| ((i + 1).to_string(), format!("{}. {r}", i + 1)))
            .collect(),
        right_actions: harbour_domain::victims_code::RightAction::ALL
            .iter()
            .map(|a| (a.slug().to_owned(), a.label().to_owned()))
            .collect(),
        reading_kinds: ReadingKind::ALL
            .iter()
            .map(|k| (k.slug().to_owned(), k.label().to_owned()))
            .collect(),
        view,
        note,
        kinds: kind_options(),
        staff: staff_options,
        caseworker,
        typed: form,
        closure_reasons: ClosureReason::ALL
            .iter()
            .map(|r| (r.slug().to_owned(), r.label().to_owned()))
            .collect(),
        answers: OutcomeAnswer::ALL
            .iter()
            .map(|a| (a.slug().to_owned(), a.label().to_owned()))
            .collect(),
        cope_question: COPE_QUESTION,
        recover_question: RECOVER_QUESTION,
        errors,
        saved,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

impl Saved {
    /// The page was reached straight after a save.
    pub fn saved(&self) -> bool {
        !self.saved.is_empty()
    }
}

/// GET /cases/{id}
pub async fn show(
    staff: Staff,
    Path(id): Path<CaseId>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    case_page(&staff, &id, Typed::default(), FieldErrors::new(), q.saved()).await
}

/// How a form on the case page is answered: on success, back to the case saying it was saved
/// (`saved` is the query and anchor, e.g. `note#notes`); on invalid input, the case page again
/// with what was typed and each error (named by `rename` as the form names its fields).
async fn answered<T>(
    staff: &Staff,
    id: &CaseId,
    result: Result<T, StorageError>,
    saved: &str,
    typed: Typed,
    rename: impl FnOnce(FieldErrors) -> FieldErrors,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?saved={saved}")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            case_page(staff, id, typed, rename(errors), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /cases/{id}/notes: writes a note; on an error the page comes back with what was typed.
pub async fn add_note(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let note = NoteForm::from(&form);
    let result = staff.store.add_case_note(&id, &note.input()).await;
    let typed = Typed {
        note: Some(note),
        ..Typed::default()
    };
    answered(&staff, &id, result, "note#notes", typed, |e| e).await
}

/// POST /cases/{id}/allocate: a manager allocates or reassigns the case.
pub async fn allocate(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let to = form.get("caseworker").to_owned();
    let result = staff
        .store
        .allocate_case(&id, &UserId::from(to.as_str()))
        .await;
    let typed = Typed {
        caseworker: to,
        ..Typed::default()
    };
    answered(&staff, &id, result, "allocated", typed, |e| e).await
}

#[derive(Template)]
#[template(path = "case_note.html")]
struct NotePage {
    chrome: Chrome,
    case_id: CaseId,
    note: CaseNote,
    versions: Vec<NoteVersion>,
    form: NoteForm,
    kinds: Vec<(String, String)>,
    errors: FieldErrors,
}

impl NotePage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
}

async fn note_page(
    staff: &Staff,
    case: &CaseId,
    note: &CaseNoteId,
    form: Option<NoteForm>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (current, versions) = staff.store.case_note_history(case, note).await?;
    let form = form.unwrap_or_else(|| NoteForm {
        kind: current.kind.slug().to_owned(),
        body: current.body.clone(),
        restricted: current.restricted,
        happened_on: current.happened_on.format("%-d/%-m/%Y").to_string(),
    });
    let page = NotePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/cases"),
        case_id: case.clone(),
        note: current,
        versions,
        form,
        kinds: kind_options(),
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /cases/{id}/notes/{note}: a note with its earlier versions, and (for its author) the form
/// to correct it.
pub async fn note(
    staff: Staff,
    Path((case, note)): Path<(CaseId, CaseNoteId)>,
) -> Result<Response, AppError> {
    note_page(&staff, &case, &note, None, FieldErrors::new()).await
}

/// POST /cases/{id}/notes/{note}: the author corrects a note; the earlier text is kept.
pub async fn edit_note(
    staff: Staff,
    Path((case, note)): Path<(CaseId, CaseNoteId)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let typed = NoteForm::from(&form);
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    match staff
        .store
        .edit_case_note(&case, &note, version, &typed.input())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{case}?saved=corrected#notes")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            note_page(&staff, &case, &note, Some(typed), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /cases/{id}/status: pauses, resumes, closes or reopens the case.
pub async fn change_status(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let change = form.get("change").to_owned();
    let field = |name: &str| form.get(&format!("{change}/{name}")).to_owned();
    let input = ChangeInput {
        change: change.clone(),
        reason: field("reason"),
        note: field("note"),
        cope: field("cope"),
        recover: field("recover"),
    };
    let result = staff.store.change_case(&id, &input).await;
    // Each error is named after the form it came from (`close/reason`), as its fields are.
    let prefix = if change.is_empty() {
        "status/".to_owned()
    } else {
        format!("{change}/")
    };
    let typed = Typed {
        form,
        ..Typed::default()
    };
    answered(&staff, &id, result, &change, typed, |e| under(&prefix, e)).await
}

/// POST /cases/{id}/review: records a review and sets the next one.
pub async fn review(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let result = staff.store.review_case(&id, form.get("review")).await;
    let typed = Typed {
        form,
        ..Typed::default()
    };
    answered(&staff, &id, result, "review", typed, |e| e).await
}

/// One area's bar on the distance-travelled chart, placed in the SVG's coordinates.
pub struct ChartRow {
    pub label: String,
    pub first: u8,
    pub latest: u8,
    pub change: String,
    /// The label's and the line's baseline.
    pub y: u32,
    pub x_first: u32,
    pub x_latest: u32,
}

/// The distance-travelled chart: each area's first score and latest on the tool's scale, drawn
/// on the server as SVG (no script), with the same figures in a table beside it.
pub struct Chart {
    pub rows: Vec<ChartRow>,
    pub ticks: Vec<(u32, u8)>,
    pub height: u32,
    pub first_on: String,
    pub latest_on: String,
    pub overall: String,
}

const CHART_LEFT: u32 = 250;
const CHART_RIGHT: u32 = 620;
const CHART_TOP: u32 = 40;
const CHART_ROW: u32 = 34;

/// A change in words a reader can take in: "up 3", "down 1", "no change".
fn change_words(change: i16) -> String {
    match change {
        0 => "no change".into(),
        c if c > 0 => format!("up {c}"),
        c => format!("down {}", -c),
    }
}

fn chart(view: &CaseView) -> Option<Chart> {
    let r = &view.readings;
    let (first, latest) = r.first_and_latest()?;
    let tool = &r.tool;
    let (areas, mean) = distance(tool, &first.scores, &latest.scores);
    let span = u32::from(tool.max - tool.min);
    let x =
        |score: u8| CHART_LEFT + (CHART_RIGHT - CHART_LEFT) * u32::from(score - tool.min) / span;
    let rows: Vec<ChartRow> = areas
        .into_iter()
        .enumerate()
        .map(|(i, t)| ChartRow {
            y: CHART_TOP + CHART_ROW * u32::try_from(i).unwrap_or(0) + CHART_ROW / 2,
            x_first: x(t.first),
            x_latest: x(t.latest),
            change: change_words(t.change),
            label: t.label,
            first: t.first,
            latest: t.latest,
        })
        .collect();
    Some(Chart {
        height: CHART_TOP + CHART_ROW * u32::try_from(rows.len()).unwrap_or(0) + 10,
        ticks: (tool.min..=tool.max).map(|n| (x(n), n)).collect(),
        rows,
        first_on: day(&first.taken_on),
        latest_on: day(&latest.taken_on),
        overall: mean.map_or_else(String::new, |m| {
            let m = (m * 10.0).round() / 10.0;
            if m > 0.0 {
                format!("up {m} on average")
            } else if m < 0.0 {
                format!("down {} on average", -m)
            } else {
                "no change on average".into()
            }
        }),
    })
}

/// POST /cases/{id}/readings: an outcome reading with the tool in use.
pub async fn add_reading(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let scores = form.with_prefix("score/");
    let result = staff
        .store
        .record_reading(&id, form.get("reading_kind"), &scores)
        .await;
    let typed = Typed {
        form,
        ..Typed::default()
    };
    // The store names the reading's "kind", which the page calls "reading_kind" (the note form
    // has a "kind" of its own).
    let rename = |errors: FieldErrors| {
        let mut named = FieldErrors::new();
        for e in errors.iter() {
            let field = if e.field == "kind" {
                "reading_kind"
            } else {
                e.field.as_str()
            };
            named.add(field, e.message.clone());
        }
        named
    };
    answered(&staff, &id, result, "reading#outcomes", typed, rename).await
}

/// POST /cases/{id}/rights: records Victims' Code rights explained or offered today.
pub async fn add_rights(
    staff: Staff,
    Path(id): Path<CaseId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let chosen = form.get_all("rights");
    let result = staff
        .store
        .record_rights(&id, &chosen, form.get("rights_action"))
        .await;
    let typed = Typed {
        form,
        ..Typed::default()
    };
    answered(&staff, &id, result, "rights#rights", typed, |e| e).await
}
