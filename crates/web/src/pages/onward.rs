//! Onward referrals at work: the partner inbox, the hub's follow-up list, and one referral on
//! with the steps the viewer's side may take, the contact log and the contact gate's answer.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::triage::service_matches;
use crate::pages::{render, render_invalid, under};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use harbour_domain::consent::{ConsentInput, LegalBasis, Share};
use harbour_domain::contact_gate::{self, AttemptResult, Permit, Refusal};
use harbour_domain::ids::{OnwardId, ServiceId};
use harbour_domain::onward::{DeclineReason, Outcome, Party, State as OnwardState, Step};
use harbour_domain::permission::Action;
use harbour_domain::safe_contact::Channel;
use harbour_domain::triage::TriageInput;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::onward::{
    AttemptInput, MessageQueued, MessageRecord, OnwardSummary, OnwardView, ReferOnInput, StepInput,
};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    all: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    /// The inbox (the receiving side) or the hub's list of referrals it sent.
    inbox: bool,
    all: bool,
    items: Vec<OnwardSummary>,
}

impl ListPage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

/// GET /inbox: the referrals sent to the caseworker's agency, awaiting an answer first, then
/// by the next deadline.
pub async fn inbox(staff: Staff, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let all = q.all == "yes";
    Ok(render(&ListPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/inbox"),
        title: "Referrals to your services",
        inbox: true,
        items: staff.store.inbox(all).await?,
        all,
    }))
}

/// GET /onward: the hub's follow-up list of the referrals it sent on, overdue first.
pub async fn sent(staff: Staff, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    let all = q.all == "yes";
    Ok(render(&ListPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/onward"),
        title: "Referrals on",
        inbox: false,
        items: staff.store.sent_onward(all).await?,
        all,
    }))
}

/// A channel the person allows, as the contact gate answers for it now.
pub struct ChannelNow {
    pub channel: Channel,
    pub permit: Option<Permit>,
    pub refusal: Option<String>,
    pub suspended: bool,
}

/// A service the declined referral can be re-routed to.
pub struct RerouteChoice {
    pub service_id: String,
    pub name: String,
    pub organization: String,
}

#[derive(Template)]
#[template(path = "onward.html")]
struct OnwardPage {
    chrome: Chrome,
    v: OnwardView,
    /// Areas' names by GSS code, so none is shown as a code.
    area_names: Vec<(String, String)>,
    channels: Vec<ChannelNow>,
    /// Why no channel may be used at all (do not contact, only through the referrer).
    blocked: Option<String>,
    may_record_contact: bool,
    reroute_to: Vec<RerouteChoice>,
    /// Why there is no service to re-route to, when there is none.
    no_reroute_why: String,
    may_override: bool,
    /// May open the person's history, and whether it is the whole of it.
    may_see_history: bool,
    whole_history: bool,
    /// The case the viewer's service opened when it accepted, to work it.
    case: Option<harbour_domain::ids::CaseId>,
    decline_reasons: [DeclineReason; 8],
    outcomes: [Outcome; 7],
    results: [AttemptResult; 6],
    shares: [Share; 6],
    bases: [LegalBasis; 3],
    /// Messages queued to the person through Harbour (for those who may contact them).
    messages: Vec<MessageRecord>,
    /// Whether Harbour may e-mail the person at all (they allowed e-mail and it is not stopped).
    may_email: bool,
    /// Now is outside the person's safe times.
    outside_safe_times: bool,
    /// Whether to ask why contact is being logged: the gate would refuse some channel now.
    ask_reason: bool,
    /// What was entered in the form that failed, to show again.
    form: FormData,
    errors: FieldErrors,
}

impl OnwardPage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    fn value(&self, field: &str) -> &str {
        self.form.get(field)
    }
    fn has(&self, field: &str, value: &str) -> bool {
        self.form.get_all(field).iter().any(|v| v == value)
    }
    /// A decline reason or outcome, as stored on a step, in words.
    fn reason_label(&self, slug: &str) -> &str {
        DeclineReason::from_slug(slug)
            .map(DeclineReason::label)
            .or_else(|| Outcome::from_slug(slug).map(Outcome::label))
            .unwrap_or("")
    }
    /// Why a message was held back, in words.
    fn held_reason(&self, outcome: &str) -> String {
        match outcome.strip_prefix("held back: ") {
            Some("channel_suspended") => "E-mail was stopped after an unsafe contact.".into(),
            Some("do_not_contact") => "The person asked not to be contacted.".into(),
            Some("only_through_referrer") => {
                "The person asked to be contacted only through the referrer.".into()
            }
            Some("channel_not_allowed") => "The person no longer allows e-mail.".into(),
            _ => outcome.to_owned(),
        }
    }
    fn area_name(&self, code: &Option<String>) -> String {
        code.as_ref()
            .map(|c| {
                self.area_names
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or_else(|| "Not known".to_owned(), |(_, n)| n.clone())
            })
            .unwrap_or_else(|| "Not known".to_owned())
    }
    fn safe_times(&self) -> String {
        self.v
            .safe_contact
            .as_ref()
            .map(|s| harbour_domain::person_details::describe_safe_times(&s.safe_times))
            .unwrap_or_default()
    }
    fn is_sender(&self) -> bool {
        self.v.party == Party::Sender
    }
    fn can(&self, step: &str) -> bool {
        self.v.steps.iter().any(|s| s.slug() == step)
    }
    fn shared_any(&self) -> bool {
        self.v.shared != Default::default()
    }
    fn plain_steps(&self) -> Vec<Step> {
        self.v
            .steps
            .iter()
            .copied()
            .filter(|s| {
                matches!(
                    s,
                    Step::Acknowledge | Step::Accept | Step::StartService | Step::Close
                )
            })
            .collect()
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    id: &OnwardId,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let mut v = staff.store.onward_referral(id).await?;
    // Once the service has a case, support is worked there: the case starts it, records how it
    // ended when it closes, and resumes it when reopened.
    let case = staff.store.case_for_onward(id).await?;
    if case.is_some() {
        v.steps.retain(|s| {
            !matches!(
                s,
                Step::StartService | Step::RecordOutcome | Step::Resume | Step::Close
            )
        });
    }
    let now = Utc::now();
    let blocked = match &v.safe_contact {
        Some(safe) => contact_gate::blocked(safe).map(|r| r.message()),
        None => Some(Refusal::NotWorkingReferral.message()),
    };
    let outside_safe_times = v
        .safe_contact
        .as_ref()
        .is_some_and(|safe| !contact_gate::is_safe_time(safe, now));
    let channels: Vec<ChannelNow> = v
        .safe_contact
        .as_ref()
        .map(|safe| contact_gate::channels_now(safe, &v.suspended, now))
        .unwrap_or_default()
        .into_iter()
        .map(|(channel, decision)| match decision {
            Ok(p) => ChannelNow {
                channel,
                permit: Some(p),
                refusal: None,
                suspended: false,
            },
            Err(r) => ChannelNow {
                channel,
                permit: None,
                suspended: matches!(r, Refusal::ChannelSuspended(_)),
                refusal: Some(r.message()),
            },
        })
        .collect();
    let may_record_contact = staff.store.may(Action::RecordContact)
        && !v.summary.state.is_final()
        && v.safe_contact.is_some();
    // An attempt the gate would refuse now is logged only with a reason: ask for one.
    let ask_reason =
        channels.iter().any(|c| c.refusal.is_some()) || errors.get("attempt/reason").is_some();
    let messages = if may_record_contact {
        staff.store.messages(id).await?
    } else {
        Vec::new()
    };
    let may_email = blocked.is_none()
        && v.safe_contact
            .as_ref()
            .is_some_and(|safe| safe.channels.iter().any(|c| c.channel == Channel::Email))
        && !v.suspended.contains(&Channel::Email);
    let (reroute_to, no_reroute_why) = if v.steps.contains(&Step::Reroute) {
        reroute_choices(state, staff, &v).await?
    } else {
        (Vec::new(), String::new())
    };
    let page = OnwardPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current(if v.party == Party::Sender {
            "/onward"
        } else {
            "/inbox"
        }),
        channels,
        blocked,
        may_record_contact,
        messages,
        may_email,
        outside_safe_times,
        ask_reason,
        area_names: harbour_storage::areas::list_areas(&state.db)
            .await?
            .into_iter()
            .map(|a| (a.gss_code, a.name))
            .collect(),
        reroute_to,
        no_reroute_why,
        may_override: staff.store.may(Action::ShareWithoutConsent),
        may_see_history: staff.store.may(Action::ViewPersonHistory),
        case,
        whole_history: staff.store.scope_of(Action::ViewPersonHistory)
            == Some(harbour_domain::permission::Scope::Partnership),
        decline_reasons: DeclineReason::ALL,
        outcomes: Outcome::ALL,
        results: AttemptResult::ALL,
        shares: Share::ALL,
        bases: LegalBasis::ALL,
        v,
        form,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// The services that fit the person and take referrals through Harbour, other than the one
/// that declined.
async fn reroute_choices(
    state: &AppState,
    staff: &Staff,
    v: &OnwardView,
) -> Result<(Vec<RerouteChoice>, String), AppError> {
    let ctx = staff.store.triage_context(&v.summary.referral_id).await?;
    let (suitable, _, _) = service_matches(state, staff, &ctx, &TriageInput::default()).await?;
    let referable = staff.store.referable_services().await?;
    // A service already working this referral cannot be sent it again.
    let open: Vec<ServiceId> = staff
        .store
        .onward_for_referral(&v.summary.referral_id)
        .await?
        .into_iter()
        .filter(|o| !o.state.is_final() && o.state != OnwardState::Declined)
        .map(|o| o.service_id)
        .collect();
    let takes_referrals = |id: &str| referable.iter().any(|r| r.service_id == id);
    // Why there is nothing to choose, if there is not: said plainly, so the officer knows where
    // to look instead.
    let others: Vec<&String> = suitable
        .iter()
        .filter(|m| v.summary.service_id != m.service_id.to_string().as_str())
        .map(|m| &m.name)
        .collect();
    let why = if suitable.is_empty() {
        "No other service in the directory fits this person's needs, area and age.".to_owned()
    } else if others.is_empty() {
        format!(
            "{} was the only service in the directory that fits this person's needs, area and age, and it declined.",
            v.summary.service_name
        )
    } else if !suitable
        .iter()
        .any(|m| takes_referrals(&m.service_id.to_string()))
    {
        "The other services that fit do not take referrals through Harbour: refer by the route each gives in the directory.".to_owned()
    } else {
        "The other services that fit and take referrals through Harbour are already working this referral.".to_owned()
    };
    let choices = suitable
        .into_iter()
        .filter_map(|m| {
            let id = ServiceId::from(m.service_id.to_string());
            let fits =
                id != v.summary.service_id && !open.contains(&id) && takes_referrals(id.as_str());
            fits.then_some(RerouteChoice {
                service_id: id.into_string(),
                name: m.name,
                organization: m.organization,
            })
        })
        .collect();
    Ok((choices, why))
}

/// GET /onward/{id}
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<OnwardId>,
) -> Result<Response, AppError> {
    page(&state, &staff, &id, FormData::default(), FieldErrors::new()).await
}

/// POST /onward/{id}/step: takes one step of the lifecycle.
pub async fn step(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<OnwardId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let step = form.get("step").to_owned();
    let reroute = (step == Step::Reroute.slug() && !form.get("service_id").is_empty()).then(|| {
        ReferOnInput {
            field_prefix: String::new(),
            service_id: form.get("service_id").to_owned(),
            consent: ConsentInput {
                decision: form.get("consent/decision").to_owned(),
                shares: form.get_all("consent/shares"),
                until: form.get("consent/until").to_owned(),
                basis: form.get("consent/basis").to_owned(),
                justification: form.get("consent/justification").to_owned(),
            },
            note: form.get("reroute/note").to_owned(),
            circumstances: Vec::new(),
            returned_at: None,
            sent_at: None,
        }
    });
    let input = StepInput {
        note: form.get(&format!("{step}/note")).to_owned(),
        reason: form.get("reason").to_owned(),
        outcome: form.get("outcome").to_owned(),
        reroute,
        step: step.clone(),
    };
    match staff.store.take_step(&id, &input).await {
        Ok(to) => Ok(
            Redirect::to(&format!("/onward/{id}?done={}", OnwardState::slug(to))).into_response(),
        ),
        Err(StorageError::Invalid(errors)) => {
            page(
                &state,
                &staff,
                &id,
                form,
                under(&format!("{step}/"), errors),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /onward/{id}/contact: logs an attempt to contact the person.
pub async fn contact(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<OnwardId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = AttemptInput {
        channel: form.get("attempt/channel").to_owned(),
        result: form.get("attempt/result").to_owned(),
        note: form.get("attempt/note").to_owned(),
        reason: form.get("attempt/reason").to_owned(),
    };
    match staff.store.record_contact_attempt(&id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/onward/{id}#contact")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            page(&state, &staff, &id, form, under("attempt/", errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /onward/{id}/review: lifts a channel's suspension after someone has checked it is safe.
pub async fn review(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<OnwardId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let Some(channel) = Channel::from_slug(form.get("channel")) else {
        return Err(AppError::NotFound);
    };
    match staff
        .store
        .review_channel(&id, channel, form.get("review_note"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/onward/{id}#contact")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            let prefix = format!("review/{}/", channel.slug());
            page(&state, &staff, &id, form, under(&prefix, errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /onward/{id}/message: queues an e-mail to the person, which goes now if it is a safe
/// time and otherwise at the next one.
pub async fn message(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<OnwardId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    match staff
        .store
        .send_message(&id, "email", form.get("message/text"), Utc::now())
        .await
    {
        Ok(MessageQueued::Now) => {
            Ok(Redirect::to(&format!("/onward/{id}?message=sent#messages")).into_response())
        }
        Ok(MessageQueued::At(_)) => {
            Ok(Redirect::to(&format!("/onward/{id}?message=waiting#messages")).into_response())
        }
        Err(StorageError::Invalid(errors)) => {
            page(&state, &staff, &id, form, under("message/", errors)).await
        }
        Err(e) => Err(e.into()),
    }
}
