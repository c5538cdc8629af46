//! Every route Harbour serves, with the access it needs, in one table. The router is built
//! from this table alone, so no route exists without a declared access; the route-walk test
//! reads the same table.

use crate::access::{Access, enforce};
use crate::access::{SESSION_COOKIE, SignedIn, cookie, request_id};
use crate::error::AppError;
use crate::headers::{MatchedRoute, security_headers};
use crate::pages::chrome::Chrome;
use crate::state::AppState;
use crate::{api, assets, pages};
use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use harbour_domain::permission::Action;
use harbour_storage::auth;
use tower_http::catch_panic::CatchPanicLayer;

/// A route's declaration: method, path template, and who may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

fn r(
    method: &'static str,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> (RouteSpec, MethodRouter<AppState>) {
    (
        RouteSpec {
            method,
            path,
            access,
        },
        handler,
    )
}

/// The route table.
#[rustfmt::skip]
pub fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::{Api, Open, Public, Staff};
    vec![
        r("GET", "/", Public, get(pages::start::start)),
        r("GET", "/healthz", Open, get(healthz)),
        r("GET", "/assets/{*path}", Open, get(assets::serve)),
        r("GET", "/exit", Open, get(pages::self_referral::exit)),
        r("GET", "/help", Public, get(pages::self_referral::help)),
        r("GET", "/help/refer", Public, get(pages::self_referral::form)),
        r("POST", "/help/refer", Public, post(pages::self_referral::submit)),
        // Community alerts: the public pages, subscribing without an account, the open feed. The
        // pages a subscriber's link opens are open: the signed link is the authority, and no
        // session is looked up (a forged post would carry no one's).
        r("GET", "/alerts", Public, get(pages::alerts::public::list)),
        r("GET", "/alerts/feed.atom", Open, get(pages::alerts::public::feed)),
        r("GET", "/alerts/subscribe", Public, get(pages::alerts::subscribe::form)),
        r("POST", "/alerts/subscribe", Public, post(pages::alerts::subscribe::submit)),
        r("GET", "/alerts/confirm/{token}", Open, get(pages::alerts::subscribe::confirm_page)),
        r("POST", "/alerts/confirm/{token}", Open, post(pages::alerts::subscribe::confirm)),
        r("GET", "/alerts/manage", Public, get(pages::alerts::subscribe::request_page)),
        r("POST", "/alerts/manage", Public, post(pages::alerts::subscribe::request_link)),
        r("GET", "/alerts/manage/{token}", Open, get(pages::alerts::subscribe::manage)),
        r("POST", "/alerts/manage/{token}", Open, post(pages::alerts::subscribe::save)),
        r("GET", "/alerts/manage/{token}/saved", Open, get(pages::alerts::subscribe::saved)),
        r("POST", "/alerts/manage/{token}/delete", Open, post(pages::alerts::subscribe::delete)),
        r("GET", "/alerts/unsubscribe/{token}", Open, get(pages::alerts::subscribe::unsubscribe_page)),
        r("POST", "/alerts/unsubscribe/{token}", Open, post(pages::alerts::subscribe::unsubscribe)),
        r("GET", "/alerts/{id}", Public, get(pages::alerts::public::show)),
        r("GET", "/alerts/{id}/cap.xml", Open, get(pages::alerts::public::cap)),
        r("GET", "/sign-in", Public, get(pages::sign_in::show)),
        r("POST", "/sign-in", Public, post(pages::sign_in::submit)),
        r("POST", "/sign-in/sso", Public, post(pages::sso::start)),
        r("GET", "/sign-in/sso/callback", Public, get(pages::sso::callback)),
        r("GET", "/sign-in/code", Public, get(pages::second_factor::code_form)),
        r("POST", "/sign-in/code", Public, post(pages::second_factor::submit)),
        r("GET", "/sign-in/set-up", Public, get(pages::second_factor::set_up_form)),
        r("POST", "/sign-in/set-up", Public, post(pages::second_factor::submit)),
        r("POST", "/sign-out", Staff(Action::ViewOwnAccount), post(pages::sign_in::sign_out)),
        r("GET", "/home", Staff(Action::ViewOwnAccount), get(pages::start::home)),
        r("GET", "/account", Staff(Action::ViewOwnAccount), get(pages::account::show)),
        r("POST", "/account/password", Staff(Action::ViewOwnAccount), post(pages::account::change_password)),
        r("POST", "/account/sign-out-everywhere", Staff(Action::ViewOwnAccount), post(pages::account::sign_out_everywhere)),
        r("GET", "/account/two-factor", Staff(Action::ViewOwnAccount), get(pages::second_factor::account_set_up)),
        r("POST", "/account/two-factor", Staff(Action::ViewOwnAccount), post(pages::second_factor::account_confirm)),
        r("POST", "/account/two-factor/recovery-codes", Staff(Action::ViewOwnAccount), post(pages::second_factor::account_new_codes)),
        r("POST", "/account/two-factor/off", Staff(Action::ViewOwnAccount), post(pages::account::turn_off_two_factor)),
        r("POST", "/account/sessions/{id}/end", Staff(Action::ViewOwnAccount), post(pages::account::end_session)),
        r("POST", "/account/devices/{id}/confirm", Staff(Action::ViewOwnAccount), post(pages::account::confirm_device)),
        r("GET", "/admin/agencies", Staff(Action::ViewAgencies), get(pages::agencies::list)),
        r("GET", "/admin/agencies/new", Staff(Action::ManageAgencies), get(pages::agencies::new)),
        r("POST", "/admin/agencies", Staff(Action::ManageAgencies), post(pages::agencies::create)),
        r("GET", "/admin/agencies/{id}", Staff(Action::ViewAgencies), get(pages::agencies::show)),
        r("GET", "/admin/agencies/{id}/edit", Staff(Action::ManageAgencies), get(pages::agencies::edit)),
        r("POST", "/admin/agencies/{id}", Staff(Action::ManageAgencies), post(pages::agencies::update)),
        r("POST", "/admin/agencies/{id}/tokens", Staff(Action::ManageApiTokens), post(pages::agencies::create_token)),
        r("GET", "/admin/agencies/{id}/sign-in", Staff(Action::ManageAgencies), get(pages::sso::settings)),
        r("POST", "/admin/agencies/{id}/sign-in", Staff(Action::ManageAgencies), post(pages::sso::save_settings)),
        r("POST", "/admin/agencies/{id}/webhook", Staff(Action::ManageAgencies), post(pages::agencies::set_webhook)),
        r("POST", "/admin/agencies/{id}/alerts", Staff(Action::ManageAgencies), post(pages::agencies::set_alert_approval)),
        r("POST", "/admin/tokens/{id}/revoke", Staff(Action::ManageApiTokens), post(pages::agencies::revoke_token)),
        r("GET", "/admin/people", Staff(Action::ViewPeople), get(pages::people::list)),
        r("GET", "/admin/people/new", Staff(Action::ManagePeople), get(pages::people::new)),
        r("POST", "/admin/people", Staff(Action::ManagePeople), post(pages::people::create)),
        r("GET", "/admin/people/{id}", Staff(Action::ViewPeople), get(pages::people::show)),
        r("POST", "/admin/people/{id}/roles", Staff(Action::ManagePeople), post(pages::people::set_roles)),
        r("POST", "/admin/people/{id}/password", Staff(Action::ManagePeople), post(pages::people::set_password)),
        r("POST", "/admin/people/{id}/two-factor/reset", Staff(Action::ManagePeople), post(pages::people::reset_two_factor)),
        r("POST", "/admin/people/{id}/deactivate", Staff(Action::ManagePeople), post(pages::people::deactivate)),
        r("POST", "/admin/people/{id}/reactivate", Staff(Action::ManagePeople), post(pages::people::reactivate)),
        r("GET", "/audit", Staff(Action::ViewAudit), get(pages::audit::search)),
        r("GET", "/referrals/new", Staff(Action::SubmitReferral), get(pages::referral_form::new)),
        r("POST", "/referrals/new", Staff(Action::SubmitReferral), post(pages::referral_form::submit)),
        r("GET", "/referrals/drafts/{id}", Staff(Action::SubmitReferral), get(pages::referral_form::open_draft)),
        r("POST", "/referrals/drafts/{id}/delete", Staff(Action::SubmitReferral), post(pages::referral_form::delete_draft)),
        r("GET", "/referrals/mine", Staff(Action::ViewOwnReferrals), get(pages::referral_form::mine)),
        r("GET", "/referrals/sent/{id}", Staff(Action::ViewOwnReferrals), get(pages::referral_form::sent)),
        r("GET", "/referrals/import", Staff(Action::ImportReferrals), get(pages::import::show)),
        r("POST", "/referrals/import", Staff(Action::ImportReferrals), post(pages::import::upload).layer(axum::extract::DefaultBodyLimit::max(pages::import::MAX_FILE_BYTES + 64 * 1024))),
        r("GET", "/referrals/queue", Staff(Action::ViewReferrals), get(pages::queue::queue)),
        r("GET", "/referrals/{id}", Staff(Action::ViewReferrals), get(pages::queue::show)),
        r("GET", "/referrals/{id}/triage", Staff(Action::TriageReferral), get(pages::triage::show)),
        r("POST", "/referrals/{id}/triage", Staff(Action::TriageReferral), post(pages::triage::submit)),
        r("GET", "/referrals/{id}/advice", Staff(Action::TriageReferral), get(pages::advice::show)),
        r("GET", "/referrals/{id}/marac", Staff(Action::ReferToMarac), get(pages::marac::refer::show)),
        r("POST", "/referrals/{id}/marac", Staff(Action::ReferToMarac), post(pages::marac::refer::refer)),
        r("GET", "/marac", Staff(Action::AttendMarac), get(pages::marac::home)),
        r("GET", "/marac/new", Staff(Action::ManageMarac), get(pages::marac::setup::new)),
        r("POST", "/marac/new", Staff(Action::ManageMarac), post(pages::marac::setup::create)),
        r("GET", "/marac/{id}/edit", Staff(Action::ManageMarac), get(pages::marac::setup::edit)),
        r("POST", "/marac/{id}/edit", Staff(Action::ManageMarac), post(pages::marac::setup::update)),
        r("GET", "/marac/{id}/meetings/new", Staff(Action::ManageMarac), get(pages::marac::meetings::new)),
        r("POST", "/marac/{id}/meetings/new", Staff(Action::ManageMarac), post(pages::marac::meetings::schedule)),
        r("GET", "/marac/meetings/{id}", Staff(Action::AttendMarac), get(pages::marac::meetings::agenda)),
        r("GET", "/marac/cases/{id}", Staff(Action::AttendMarac), get(pages::marac::cases::show)),
        r("POST", "/marac/cases/{id}/research", Staff(Action::AttendMarac), post(pages::marac::cases::research)),
        r("POST", "/marac/cases/{id}/shared", Staff(Action::ManageMarac), post(pages::marac::record::shared)),
        r("POST", "/marac/cases/{id}/risks", Staff(Action::ManageMarac), post(pages::marac::record::risks)),
        r("POST", "/marac/cases/{id}/actions", Staff(Action::ManageMarac), post(pages::marac::record::add_action)),
        r("POST", "/marac/cases/{id}/close", Staff(Action::ManageMarac), post(pages::marac::record::close)),
        r("POST", "/marac/cases/{id}/move", Staff(Action::ManageMarac), post(pages::marac::record::move_case)),
        r("POST", "/marac/meetings/{id}/attendance", Staff(Action::ManageMarac), post(pages::marac::record::attendance)),
        r("POST", "/marac/meetings/{id}/held", Staff(Action::ManageMarac), post(pages::marac::record::held)),
        r("GET", "/marac/meetings/{id}/minutes", Staff(Action::AttendMarac), get(pages::marac::actions::minutes)),
        r("GET", "/marac/actions", Staff(Action::AttendMarac), get(pages::marac::actions::list)),
        r("GET", "/marac/{id}/return", Staff(Action::ManageMarac), get(pages::marac::returns::page)),
        r("GET", "/marac/{id}/return.csv", Staff(Action::ManageMarac), get(pages::marac::returns::csv)),
        r("POST", "/marac/actions/{id}", Staff(Action::AttendMarac), post(pages::marac::actions::update)),
        r("POST", "/referrals/{id}/advice", Staff(Action::TriageReferral), post(pages::advice::record)),
        r("GET", "/referrals/{id}/details", Staff(Action::ConfirmPersonDetails), get(pages::person_details::show)),
        r("POST", "/referrals/{id}/details", Staff(Action::ConfirmPersonDetails), post(pages::person_details::confirm)),
        r("GET", "/recognition/matches", Staff(Action::RecognisePeople), get(pages::recognition::list)),
        r("GET", "/recognition/matches/{id}", Staff(Action::RecognisePeople), get(pages::recognition::show)),
        r("POST", "/recognition/matches/{id}", Staff(Action::RecognisePeople), post(pages::recognition::decide)),
        r("POST", "/recognition/merges/{id}/undo", Staff(Action::RecognisePeople), post(pages::recognition::unmerge)),
        r("GET", "/persons/{id}", Staff(Action::ViewPersonHistory), get(pages::recognition::person)),
        r("GET", "/admin/recognition", Staff(Action::ManageRecognition), get(pages::recognition::settings)),
        r("POST", "/admin/recognition/thresholds", Staff(Action::ManageRecognition), post(pages::recognition::set_thresholds)),
        r("POST", "/admin/recognition/train", Staff(Action::ManageRecognition), post(pages::recognition::train)),
        r("GET", "/referrals/{id}/refer-on", Staff(Action::ReferOnward), get(pages::refer_on::choose)),
        r("GET", "/referrals/{id}/refer-on/consent", Staff(Action::ReferOnward), get(pages::refer_on::consent)),
        r("POST", "/referrals/{id}/refer-on", Staff(Action::ReferOnward), post(pages::refer_on::send)),
        r("GET", "/referrals/{id}/contacts", Staff(Action::WorkOnwardReferral), get(pages::bundle::show)),
        r("GET", "/referrals/{id}/contacts.vcf", Staff(Action::WorkOnwardReferral), get(pages::bundle::vcard)),
        r("POST", "/referrals/{id}/resources", Staff(Action::WorkOnwardReferral), post(pages::bundle::record_resource)),
        r("GET", "/inbox", Staff(Action::ReceiveReferrals), get(pages::onward::inbox)),
        r("GET", "/cases", Staff(Action::WorkCases), get(pages::cases::caseload)),
        r("GET", "/cases/{id}", Staff(Action::WorkCases), get(pages::cases::show)),
        r("POST", "/cases/{id}/notes", Staff(Action::WorkCases), post(pages::cases::add_note)),
        r("GET", "/cases/{id}/notes/{note}", Staff(Action::WorkCases), get(pages::cases::note)),
        r("POST", "/cases/{id}/notes/{note}", Staff(Action::WorkCases), post(pages::cases::edit_note)),
        r("POST", "/cases/{id}/allocate", Staff(Action::ManageCases), post(pages::cases::allocate)),
        r("POST", "/cases/{id}/status", Staff(Action::WorkCases), post(pages::cases::change_status)),
        r("POST", "/cases/{id}/review", Staff(Action::WorkCases), post(pages::cases::review)),
        r("POST", "/cases/{id}/readings", Staff(Action::WorkCases), post(pages::cases::add_reading)),
        r("POST", "/cases/{id}/rights", Staff(Action::WorkCases), post(pages::cases::add_rights)),
        r("GET", "/cases/{id}/plan", Staff(Action::WorkCases), get(pages::cases::plan::show)),
        r("POST", "/cases/{id}/plan/goals", Staff(Action::WorkCases), post(pages::cases::plan::add_goal)),
        r("POST", "/cases/{id}/plan/goals/{goal}", Staff(Action::WorkCases), post(pages::cases::plan::update_goal)),
        r("POST", "/cases/{id}/plan/goals/{goal}/actions", Staff(Action::WorkCases), post(pages::cases::plan::add_action)),
        r("POST", "/cases/{id}/plan/actions/{action}/done", Staff(Action::WorkCases), post(pages::cases::plan::action_done)),
        r("GET", "/cases/{id}/safety", Staff(Action::WorkCases), get(pages::cases::safety::show)),
        r("POST", "/cases/{id}/safety", Staff(Action::WorkCases), post(pages::cases::safety::save)),
        r("POST", "/cases/{id}/safety/resources", Staff(Action::WorkCases), post(pages::cases::safety::issue_resource)),
        r("GET", "/cases/{id}/safety/print", Staff(Action::WorkCases), get(pages::cases::safety::print)),
        r("GET", "/cases/{id}/risk", Staff(Action::WorkCases), get(pages::cases::risk::show)),
        r("POST", "/cases/{id}/risk", Staff(Action::WorkCases), post(pages::cases::risk::reassess)),
        r("GET", "/cases/{id}/transfer", Staff(Action::WorkCases), get(pages::cases::transfer::show)),
        r("POST", "/cases/{id}/transfer", Staff(Action::WorkCases), post(pages::cases::transfer::send)),
        r("GET", "/onward", Staff(Action::ReferOnward), get(pages::onward::sent)),
        r("GET", "/onward/{id}", Staff(Action::WorkOnwardReferral), get(pages::onward::show)),
        r("POST", "/onward/{id}/step", Staff(Action::WorkOnwardReferral), post(pages::onward::step)),
        r("POST", "/onward/{id}/contact", Staff(Action::RecordContact), post(pages::onward::contact)),
        r("POST", "/onward/{id}/message", Staff(Action::RecordContact), post(pages::onward::message)),
        r("POST", "/onward/{id}/review", Staff(Action::RecordContact), post(pages::onward::review)),
        // Find support: the public directory search; open so no session is ever looked up.
        r("GET", "/find-support", Open, get(pages::find_support::show)),
        r("POST", "/find-support", Open, post(pages::find_support::search)),
        r("GET", "/directory", Staff(Action::ViewDirectory), get(pages::directory::list)),
        r("GET", "/directory/services/new", Staff(Action::ManageDirectory), get(pages::directory::new)),
        r("POST", "/directory/services", Staff(Action::ManageDirectory), post(pages::directory::create)),
        r("GET", "/directory/services/{id}", Staff(Action::ViewDirectory), get(pages::directory::show)),
        r("GET", "/directory/services/{id}/edit", Staff(Action::ManageDirectory), get(pages::directory::edit)),
        r("POST", "/directory/services/{id}", Staff(Action::ManageDirectory), post(pages::directory::update)),
        r("POST", "/directory/services/{id}/capacity", Staff(Action::ManageDirectory), post(pages::directory::capacity)),
        r("POST", "/directory/services/{id}/checked", Staff(Action::ManageDirectory), post(pages::directory::checked)),
        r("GET", "/community-alerts", Staff(Action::SendAlerts), get(pages::alerts::compose::list)),
        r("GET", "/community-alerts/new", Staff(Action::SendAlerts), get(pages::alerts::compose::new)),
        r("POST", "/community-alerts/new", Staff(Action::SendAlerts), post(pages::alerts::compose::create)),
        r("GET", "/community-alerts/{id}", Staff(Action::SendAlerts), get(pages::alerts::compose::show)),
        r("GET", "/community-alerts/{id}/update", Staff(Action::SendAlerts), get(pages::alerts::compose::update_form)),
        r("POST", "/community-alerts/{id}/update", Staff(Action::SendAlerts), post(pages::alerts::compose::update)),
        r("POST", "/community-alerts/{id}/cancel", Staff(Action::SendAlerts), post(pages::alerts::compose::cancel)),
        r("POST", "/community-alerts/{id}/approve", Staff(Action::ApproveAlerts), post(pages::alerts::compose::approve)),
        r("POST", "/community-alerts/{id}/decline", Staff(Action::ApproveAlerts), post(pages::alerts::compose::decline)),
        r("GET", "/admin/alert-topics", Staff(Action::ManageAlertTopics), get(pages::alerts::topics::show)),
        r("POST", "/admin/alert-topics", Staff(Action::ManageAlertTopics), post(pages::alerts::topics::add)),
        r("POST", "/admin/alert-topics/{id}", Staff(Action::ManageAlertTopics), post(pages::alerts::topics::offer)),
        r("GET", "/admin/subscribers", Staff(Action::SupportSubscribers), get(pages::alerts::support::show)),
        r("POST", "/admin/subscribers", Staff(Action::SupportSubscribers), post(pages::alerts::support::find)),
        r("POST", "/admin/subscribers/{id}/link", Staff(Action::SupportSubscribers), post(pages::alerts::support::link)),
        r("POST", "/admin/subscribers/{id}/delete", Staff(Action::SupportSubscribers), post(pages::alerts::support::delete)),
        r("GET", "/retention", Staff(Action::ManageRetention), get(pages::retention::show)),
        r("POST", "/retention/runs", Staff(Action::ManageRetention), post(pages::retention::prepare)),
        r("GET", "/retention/runs/{id}", Staff(Action::ManageRetention), get(pages::retention::run)),
        r("POST", "/retention/runs/{id}", Staff(Action::ManageRetention), post(pages::retention::decide)),
        r("GET", "/retention/schedules/{kind}", Staff(Action::ManageRetention), get(pages::retention::schedule)),
        r("POST", "/retention/schedules/{kind}", Staff(Action::ManageRetention), post(pages::retention::change_schedule)),
        r("GET", "/subject-access", Staff(Action::AnswerSubjectAccess), get(pages::subject_access::list)),
        r("POST", "/subject-access", Staff(Action::AnswerSubjectAccess), post(pages::subject_access::record)),
        r("GET", "/subject-access/{id}", Staff(Action::AnswerSubjectAccess), get(pages::subject_access::show)),
        r("POST", "/subject-access/{id}", Staff(Action::AnswerSubjectAccess), post(pages::subject_access::decide)),
        r("POST", "/subject-access/{id}/extend", Staff(Action::AnswerSubjectAccess), post(pages::subject_access::extend)),
        r("POST", "/subject-access/{id}/export", Staff(Action::AnswerSubjectAccess), post(pages::subject_access::export)),
        r("GET", "/subject-access/{id}/export/{secret}", Staff(Action::AnswerSubjectAccess), get(pages::subject_access::download)),
        r("GET", "/retention/requests", Staff(Action::HandleErasureRequests), get(pages::retention::requests::list)),
        r("POST", "/retention/requests", Staff(Action::HandleErasureRequests), post(pages::retention::requests::record)),
        r("GET", "/retention/requests/{id}", Staff(Action::HandleErasureRequests), get(pages::retention::requests::show)),
        r("POST", "/retention/requests/{id}", Staff(Action::HandleErasureRequests), post(pages::retention::requests::decide)),
        r("GET", "/retention/holds", Staff(Action::HoldRecords), get(pages::retention::holds::list)),
        r("POST", "/retention/holds", Staff(Action::HoldRecords), post(pages::retention::holds::place)),
        r("GET", "/retention/holds/{id}/lift", Staff(Action::HoldRecords), get(pages::retention::holds::lift_form)),
        r("POST", "/retention/holds/{id}/lift", Staff(Action::HoldRecords), post(pages::retention::holds::lift)),
        r("GET", "/coverage", Staff(Action::ViewCoverage), get(pages::coverage::table)),
        r("GET", "/coverage.csv", Staff(Action::ViewCoverage), get(pages::coverage::csv)),
        r("GET", "/reports", Staff(Action::ViewStatistics), get(pages::reports::show)),
        r("GET", "/reports/pack.xlsx", Staff(Action::ViewStatistics), get(pages::reports::xlsx)),
        r("GET", "/reports/csv/{id}", Staff(Action::ViewStatistics), get(pages::reports::csv)),
        r("GET", "/reports/months", Staff(Action::ViewStatistics), get(pages::reports::months::show)),
        r("GET", "/coverage/areas/{code}", Staff(Action::ViewCoverage), get(pages::coverage::area)),
        r("GET", "/api/v1/openapi.json", Open, get(api::openapi)),
        // The open directory API (Open Referral UK 3.0): no key, any origin.
        r("GET", "/oruk/v3", Open, get(api::oruk::root)),
        r("GET", "/oruk/v3/", Open, get(api::oruk::root)),
        r("GET", "/oruk/v3/openapi.json", Open, get(api::oruk::openapi)),
        r("GET", "/oruk/v3/services", Open, get(api::oruk::services)),
        r("POST", "/oruk/v3/services", Open, post(api::oruk::search_services)),
        r("GET", "/oruk/v3/services/{id}", Open, get(api::oruk::service)),
        r("GET", "/oruk/v3/service_at_locations", Open, get(api::oruk::service_at_locations)),
        r("POST", "/oruk/v3/service_at_locations", Open, post(api::oruk::search_service_at_locations)),
        r("GET", "/oruk/v3/service_at_locations/{id}", Open, get(api::oruk::service_at_location)),
        r("GET", "/oruk/v3/taxonomies", Open, get(api::oruk::taxonomies)),
        r("GET", "/oruk/v3/taxonomies/{id}", Open, get(api::oruk::taxonomy)),
        r("GET", "/oruk/v3/taxonomy_terms", Open, get(api::oruk::taxonomy_terms)),
        r("GET", "/oruk/v3/taxonomy_terms/{id}", Open, get(api::oruk::taxonomy_term)),
        r("GET", "/api/v1/whoami", Api(Action::ViewAgencies), get(api::whoami)),
        r("GET", "/api/v1/agencies", Api(Action::ViewAgencies), get(api::agencies)),
        r("POST", "/api/v1/referrals", Api(Action::SubmitReferral), post(api::referrals::submit)),
        r("GET", "/api/v1/referrals", Api(Action::ViewOwnReferrals), get(api::referrals::list)),
        r("GET", "/api/v1/referrals/{id}", Api(Action::ViewOwnReferrals), get(api::referrals::status)),
        r("GET", "/api/v1/onward", Api(Action::ReceiveReferrals), get(api::onward::list)),
        r("GET", "/api/v1/onward/{id}", Api(Action::WorkOnwardReferral), get(api::onward::show)),
        r("POST", "/api/v1/onward/{id}/steps", Api(Action::WorkOnwardReferral), post(api::onward::step)),
        r("GET", "/api/v1/cases", Api(Action::ViewAgencyCaseload), get(api::cases::list)),
        r("GET", "/api/v1/cases/{id}", Api(Action::WorkCases), get(api::cases::show)),
        r("POST", "/api/v1/cases/{id}/notes", Api(Action::WorkCases), post(api::cases::add_note)),
        r("POST", "/api/v1/cases/{id}/readings", Api(Action::WorkCases), post(api::cases::add_reading)),
        r("GET", "/api/v1/statistics", Api(Action::ViewStatistics), get(api::statistics::index)),
        r("GET", "/api/v1/statistics/{id}", Api(Action::ViewStatistics), get(api::statistics::table)),
    ]
}

/// The declarations alone, for tests and documentation.
pub fn specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (spec, handler) in table() {
        debug_assert!(spec.method == "GET" || spec.method == "POST");
        let route = spec.path;
        let handler = handler
            .route_layer(from_fn_with_state((state.clone(), spec.access), enforce))
            .route_layer(from_fn(move |req: Request, next: Next| async move {
                let mut response = next.run(req).await;
                response.extensions_mut().insert(MatchedRoute(route));
                response
            }));
        router = router.route(spec.path, handler);
    }
    router
        .route("/api/v1/{*rest}", axum::routing::any(api::not_found))
        .route("/oruk/v3/{*rest}", axum::routing::any(api::oruk::not_found))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|_| {
            crate::error::AppError::Internal.into_response()
        }))
        .layer(from_fn_with_state(state.clone(), security_headers))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// A page that does not exist still shows the navigation to someone signed in.
async fn not_found(State(state): State<AppState>, headers: HeaderMap, ext: Extensions) -> Response {
    let signed_in = match cookie(&headers, SESSION_COOKIE) {
        Some(secret) => auth::load_session(&state.db, &state.config.sign_in, secret)
            .await
            .ok()
            .flatten()
            .map(|session| SignedIn {
                audit_alarm: crate::access::alarm_for(&state, &session.roles),
                session,
                secret: secret.to_owned(),
                request_id: request_id(&ext),
            }),
        None => None,
    };
    AppError::NotFound.with_chrome(Chrome::maybe(signed_in.as_ref()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    // A browser asking whether another site may POST a search to the open API.
    if method == axum::http::Method::OPTIONS && uri.path().starts_with(api::oruk::BASE) {
        return api::oruk::preflight();
    }
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        AppError::NotFound.into_response().into_body(),
    )
        .into_response()
}
