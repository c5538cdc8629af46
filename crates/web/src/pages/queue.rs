//! The hub's queue of referrals waiting for triage, and a referral in full.

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use harbour_domain::area::Area;
use harbour_domain::calendar::uk_date;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::ids::ReferralId;
use harbour_domain::instrument::RiskLevel;
use harbour_domain::referral::Source;
use harbour_domain::validation::FieldErrors;
use harbour_storage::areas::list_areas;
use harbour_storage::onward::OnwardSummary;
use harbour_storage::referrals::{QueueFilter, QueueItem, ReferralView};
use harbour_storage::triage::TriageRecord;
use serde::Deserialize;

const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    crime: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    after: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    q: QueueQuery,
    items: Vec<QueueItem>,
    areas: Vec<Area>,
    sources: [Source; 3],
    crimes: [CrimeCategory; 19],
    risks: [RiskLevel; 3],
    today: NaiveDate,
    next: Option<String>,
    errors: FieldErrors,
}

impl QueuePage {
    fn area_name(&self, code: &Option<String>) -> String {
        code.as_ref()
            .map(|c| {
                self.areas
                    .iter()
                    .find(|a| &a.gss_code == c)
                    .map_or(c.clone(), |a| a.name.clone())
            })
            .unwrap_or_else(|| "Not known".to_owned())
    }
    fn is_overdue(&self, item: &QueueItem) -> bool {
        item.due_on < self.today
    }
    fn is_due_today(&self, item: &QueueItem) -> bool {
        item.due_on == self.today
    }
    fn received(&self, item: &QueueItem) -> String {
        harbour_domain::calendar::uk_local(item.received_at)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
    fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "area" => &self.q.area,
            "source" => &self.q.source,
            "crime" => &self.q.crime,
            _ => &self.q.risk,
        };
        current == value
    }
}

pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let today = uk_date(Utc::now());
    let mut errors = FieldErrors::new();
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let source = some(&q.source).and_then(|s| {
        Source::from_slug(&s).or_else(|| {
            errors.add("source", "Choose a source from the list");
            None
        })
    });
    let crime = some(&q.crime).and_then(|s| {
        CrimeCategory::from_slug(&s).or_else(|| {
            errors.add("crime", "Choose a kind of crime from the list");
            None
        })
    });
    let risk = some(&q.risk).and_then(|s| {
        RiskLevel::from_slug(&s).or_else(|| {
            errors.add("risk", "Choose a risk level from the list");
            None
        })
    });
    // The next page starts after the last one shown; a cursor that does not read starts afresh.
    let after = q.after.split_once('|').and_then(|(at, id)| {
        let at = chrono::DateTime::parse_from_rfc3339(at).ok()?;
        Some((at.with_timezone(&chrono::Utc), ReferralId::from(id)))
    });
    let filter = QueueFilter {
        area: some(&q.area),
        source,
        crime_category: crime,
        risk_level: risk,
        due_by: (q.overdue == "yes").then(|| today.pred_opt().unwrap_or(today)),
        after,
        limit: PAGE,
    };
    let items = if errors.is_empty() {
        staff.store.queue(&filter).await?
    } else {
        Vec::new()
    };
    let next = (items.len() as i64 == PAGE)
        .then(|| {
            items.last().map(|i| {
                serde_urlencoded::to_string([
                    ("area", q.area.as_str()),
                    ("source", &q.source),
                    ("crime", &q.crime),
                    ("risk", &q.risk),
                    ("overdue", &q.overdue),
                    (
                        "after",
                        &format!(
                            "{}|{}",
                            i.received_at
                                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                            i.id
                        ),
                    ),
                ])
                .unwrap_or_default()
            })
        })
        .flatten();
    let page = QueuePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        areas: list_areas(&state.db).await?,
        sources: Source::ALL,
        crimes: CrimeCategory::ALL,
        risks: RiskLevel::ALL,
        today,
        next,
        items,
        q,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage {
    chrome: Chrome,
    r: ReferralView,
    area_names: Vec<(String, String)>,
    history: Vec<TriageRecord>,
    can_triage: bool,
    can_refer_on: bool,
    can_confirm: bool,
    /// May open the person's history.
    can_see_history: bool,
    /// What person recognition found for this referral.
    recognised: Vec<harbour_storage::recognition::matches::FoundFor>,
    /// The perpetrators it names, and where else they are named.
    named_elsewhere: Vec<harbour_storage::recognition::perpetrators::NamedElsewhere>,
    /// Just confirmed the person's details.
    confirmed: bool,
    onward: Vec<OnwardSummary>,
    /// Just referred on: how many were sent and how many consent refusals were recorded.
    referred: Option<(usize, usize)>,
    /// Information and advice recorded on the referral (for the hub).
    advice: Vec<harbour_storage::advice::AdviceRecord>,
    /// Just recorded advice.
    advised: bool,
    /// May refer the victim to MARAC from here.
    can_refer_marac: bool,
    today: NaiveDate,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    referred: Option<usize>,
    refused: Option<usize>,
    confirmed: Option<u8>,
    advised: Option<u8>,
}

impl ReferralPage {
    fn given_words(&self, a: &harbour_storage::advice::AdviceRecord) -> String {
        a.given
            .iter()
            .map(|g| g.label())
            .collect::<Vec<_>>()
            .join("; ")
    }
    fn likely(&self, p: &f64) -> String {
        crate::pages::recognition::likely(p)
    }
    fn safe_times(&self) -> String {
        harbour_domain::person_details::describe_safe_times(&self.r.safe_contact.safe_times)
    }
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
    fn area(&self, code: &Option<String>) -> String {
        code.as_ref()
            .map(|c| {
                self.area_names
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(c.clone(), |(_, n)| n.clone())
            })
            .unwrap_or_else(|| "Not given".to_owned())
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<ReferralId>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let can_refer_on = staff
        .store
        .may(harbour_domain::permission::Action::ReferOnward);
    let can_triage = staff
        .store
        .may(harbour_domain::permission::Action::TriageReferral);
    let (r, history) = if can_triage {
        let ctx = staff.store.triage_context(&id).await?;
        (ctx.referral, ctx.history)
    } else {
        (staff.store.get_referral(&id).await?, Vec::new())
    };
    let areas = list_areas(&state.db).await?;
    Ok(render(&ReferralPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/referrals/queue"),
        area_names: areas.into_iter().map(|a| (a.gss_code, a.name)).collect(),
        r,
        history,
        can_triage,
        onward: if can_refer_on {
            staff.store.onward_for_referral(&id).await?
        } else {
            Vec::new()
        },
        can_refer_on,
        can_confirm: staff
            .store
            .may(harbour_domain::permission::Action::ConfirmPersonDetails),
        can_see_history: staff
            .store
            .may(harbour_domain::permission::Action::ViewPersonHistory),
        recognised: if staff
            .store
            .may(harbour_domain::permission::Action::RecognisePeople)
        {
            staff.store.matches_for_referral(&id).await?
        } else {
            Vec::new()
        },
        named_elsewhere: staff.store.perpetrators_named_elsewhere(&id).await?,
        confirmed: q.confirmed.is_some(),
        referred: q.referred.map(|n| (n, q.refused.unwrap_or(0))),
        advice: if can_triage {
            staff.store.advice_for(&id).await?
        } else {
            Vec::new()
        },
        advised: q.advised.is_some(),
        can_refer_marac: can_triage
            && staff
                .store
                .may(harbour_domain::permission::Action::ReferToMarac),
        today: uk_date(Utc::now()),
    }))
}
