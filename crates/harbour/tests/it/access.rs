//! Walks every route in the route table as every role, anonymously and as an API
//! integration, and checks each answer against the permission table. A route cannot be left
//! out: the router is built from the same table.

use harbour_domain::permission::authorize;
use harbour_domain::role::Role;
use harbour_storage::demo::{DEMO_PASSWORD, demo_sign_ins};
use harbour_testkit::{TestApp, TestClient, csrf_token};
use harbour_web::access::Access;
use harbour_web::routes::{RouteSpec, specs};
use reqwest::StatusCode;
use sqlx::Row;

type R = anyhow::Result<()>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Staff(Role),
    Integration,
}

/// Real identifiers for the path's parameters, so an allowed request reaches its handler.
struct Ids {
    agency: String,
    /// A service New Era keeps, so its caseworker may manage it.
    service: String,
    person: String,
    token: String,
    /// A possible match (decided, so the walk's answers change nothing), the merge it made, and
    /// the person it is about.
    found: String,
    merge: String,
    victim: String,
    /// A case New Era opened by accepting a referral, and a note its caseworker wrote on it.
    case: String,
    note: String,
    /// A goal of the case's support plan, and an action towards it.
    goal: String,
    action: String,
    /// The demo's north MARAC, and a meeting scheduled for it.
    marac: String,
    meeting: String,
    /// A victim referred to it, and an action agreed for her.
    marac_case: String,
    marac_action: String,
    /// An alert the demo police sent, and a confirmed subscriber with links of each kind.
    alert: String,
    subscriber: String,
    confirm: String,
    manage: String,
    unsubscribe: String,
    /// The administrator's own sign-in and the device it came from: every other caller is told
    /// not found.
    session: String,
    device: String,
    /// A retention run (for a day ahead, so looking again today leaves it), and a legal hold.
    retention_run: String,
    hold: String,
    erasure_request: String,
    subject_access: String,
}

async fn ids(app: &TestApp, admin: &TestClient) -> anyhow::Result<(Ids, String)> {
    let agency = harbour_testkit::inspect::agency_id(&app.db, "New Era")
        .await?
        .into_string();

    // A person no caller is: deactivating them disturbs nobody's session.
    let callers: Vec<String> = demo_sign_ins().into_iter().map(|s| s.email).collect();
    let person: String = sqlx::query("SELECT id, email FROM users ORDER BY email")
        .fetch_all(app.db.pool())
        .await?
        .iter()
        .find(|r| !callers.contains(&r.get::<String, _>("email")))
        .map(|r| r.get::<String, _>("id"))
        .expect("a demo person who is not one of the callers");
    let page = format!("/admin/agencies/{agency}");
    let body = admin
        .submit(&page, &format!("{page}/tokens"), &[("name", "route walk")])
        .await?
        .text()
        .await?;
    let start = body.find("hbr_").unwrap_or(0);
    let secret = body[start..start + 68].to_owned();
    // The token the revoke route is tried on is not the one the integration uses.
    admin
        .submit(
            &page,
            &format!("{page}/tokens"),
            &[("name", "revoke target")],
        )
        .await?;
    let token: String = sqlx::query("SELECT id FROM api_tokens WHERE name = 'revoke target'")
        .fetch_one(app.db.pool())
        .await?
        .get("id");
    let service = harbour_testkit::cases::service_id(&app.db, "New Era refuge").await?;
    harbour_storage::demo::load_demo_referrals(&app.db, 300).await?;
    harbour_storage::recognition::ready(&app.db).await?;
    let (victim, found, _) =
        crate::recognition::jodie_and_perhaps(app, &app.api_token("New Era").await?).await?;
    let hub = harbour_testkit::cases::store_as(
        &app.db,
        "Staffordshire Victim Gateway",
        Role::TriageOfficer,
    )
    .await?;
    let merge = hub
        .decide_match(
            &found.as_str().into(),
            harbour_storage::recognition::matches::Decision::Same,
            "route walk",
        )
        .await?
        .expect("merged")
        .into_string();
    let (case, note, goal, action) = new_era_case(app).await?;
    let marac: String =
        sqlx::query("SELECT id FROM maracs WHERE name = 'Staffordshire North MARAC'")
            .fetch_one(app.db.pool())
            .await?
            .get("id");
    let coordinator =
        harbour_testkit::cases::store_as(&app.db, "Staffordshire Police", Role::MaracCoordinator)
            .await?;
    let on = chrono::Utc::now().date_naive() + chrono::Days::new(14);
    let meeting = coordinator
        .schedule_meeting(
            &marac.as_str().into(),
            &harbour_storage::marac::MeetingInput {
                held_on: on.to_string(),
                starts_at: "10:00".into(),
                place: "Stafford".into(),
                chair: "DI Morgan".into(),
                ..Default::default()
            },
        )
        .await?
        .into_string();
    let high = harbour_testkit::cases::triaged_referral(
        &app.db,
        harbour_testkit::cases::Case {
            high_risk: true,
            ..Default::default()
        },
    )
    .await?;
    let marac_case = hub
        .refer_to_marac(
            &high,
            &harbour_storage::marac::MaracReferralInput {
                marac_id: marac.clone(),
                referring_officer: "walk".into(),
                victim_aware: "yes".into(),
                victim_consented: "yes".into(),
                afraid_of: "walk".into(),
                minoritised: "not_known".into(),
                lgbt: "not_known".into(),
                disabled: "not_known".into(),
                ..Default::default()
            },
        )
        .await?
        .case
        .into_string();
    let police = harbour_testkit::inspect::agency_id(&app.db, "Staffordshire Police").await?;
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let marac_action = coordinator
        .add_marac_action(
            &marac_case.as_str().into(),
            "Flag the address",
            police.as_str(),
            &due,
        )
        .await?
        .into_string();
    let sender =
        harbour_testkit::cases::store_as(&app.db, "Staffordshire Police", Role::AlertAuthor)
            .await?;
    let alert = sender
        .send_alert(
            &harbour_domain::alerts::message::AlertInput {
                headline: "Sheds broken into".into(),
                description: "d".into(),
                instruction: "i".into(),
                contact: "Call 101".into(),
                topics: vec!["burglary".into()],
                urgency: "Expected".into(),
                severity: "Moderate".into(),
                certainty: "Observed".into(),
                expires_hours: "72".into(),
                area_kind: "circle".into(),
                postcode: "ST16 2AB".into(),
                ..Default::default()
            },
            None,
        )
        .await?
        .into_string();
    let subscribers = harbour_storage::demo::alerts::synthetic_subscribers(&app.db, 1, 7).await?;
    harbour_storage::alerts::load::load_subscribers(&app.db, &subscribers).await?;
    let subscriber: String = sqlx::query("SELECT id FROM alert_subscribers")
        .fetch_one(app.db.pool())
        .await?
        .get("id");
    let key = harbour_storage::alerts::keys::link_key(&app.db).await?;
    let link = |purpose| {
        harbour_domain::alerts::links::make(
            &key,
            purpose,
            &subscriber,
            0,
            Some(&alert),
            chrono::Utc::now(),
        )
    };
    let (session, device): (String, String) = sqlx::query_as(
        "SELECT s.id, s.device_id FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.email = $1 ORDER BY s.created_at DESC LIMIT 1",
    )
    .bind(harbour_testkit::app::demo_email(Role::Administrator))
    .fetch_one(app.db.pool())
    .await?;
    let dpo = harbour_testkit::cases::store_as(
        &app.db,
        "Staffordshire Commissioner's Office",
        Role::DataProtectionOfficer,
    )
    .await?;
    let retention_run = dpo
        .prepare_retention_run(chrono::Utc::now() + chrono::Duration::days(400))
        .await?
        .into_string();
    let reference: String = sqlx::query_scalar("SELECT reference FROM referrals WHERE id = $1")
        .bind(&high)
        .fetch_one(app.db.pool())
        .await?;
    let hold = dpo
        .place_legal_hold(&reference, "litigation", "referral", "route walk")
        .await?
        .into_string();
    let erasure_request = dpo
        .record_erasure_request(
            &reference,
            "writing",
            &chrono::Utc::now().format("%d/%m/%Y").to_string(),
            "route walk",
        )
        .await?
        .into_string();
    let subject_access = dpo
        .record_subject_access(
            &reference,
            "writing",
            &chrono::Utc::now().format("%d/%m/%Y").to_string(),
            "route walk",
        )
        .await?
        .into_string();
    use harbour_domain::alerts::links::Purpose;
    let (confirm, manage, unsubscribe) = (
        link(Purpose::Confirm),
        link(Purpose::Manage),
        link(Purpose::Unsubscribe),
    );
    Ok((
        Ids {
            session,
            device,
            retention_run,
            hold,
            erasure_request,
            subject_access,
            alert,
            subscriber,
            confirm,
            manage,
            unsubscribe,
            agency,
            service,
            person,
            token,
            found,
            merge,
            victim,
            case,
            note,
            goal,
            action,
            marac,
            meeting,
            marac_case,
            marac_action,
        },
        secret,
    ))
}

/// A case New Era's caseworker opened by accepting a referral, with a note they wrote and a
/// goal with an action in its support plan.
async fn new_era_case(app: &TestApp) -> anyhow::Result<(String, String, String, String)> {
    use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, store_as, triaged_referral};
    let referral = triaged_referral(&app.db, Case::default()).await?;
    let onward = refer_on(&app.db, &referral, &service_id(&app.db, IDVA).await?).await?;
    let caseworker = store_as(&app.db, "New Era", Role::Caseworker).await?;
    caseworker
        .take_step(
            &onward,
            &harbour_storage::onward::StepInput {
                step: "accept".into(),
                ..Default::default()
            },
        )
        .await?;
    let case: String = sqlx::query("SELECT id FROM cases WHERE onward_referral_id = $1")
        .bind(&onward)
        .fetch_one(app.db.pool())
        .await?
        .get("id");
    let note = caseworker
        .add_case_note(
            &case.as_str().into(),
            &harbour_storage::cases::NoteInput {
                kind: "contact".into(),
                body: "Spoke on the safe number.".into(),
                restricted: false,
                happened_on: "1/12/2026".into(),
            },
        )
        .await?;
    let goal = caseworker
        .add_goal(
            &case.as_str().into(),
            "Feel safe at home",
            &["accommodation".to_owned()],
        )
        .await?;
    let action = caseworker
        .add_goal_action(
            &case.as_str().into(),
            &goal,
            "Ask about the sanctuary scheme",
            "Caseworker",
            "31/12/2099",
        )
        .await?;
    Ok((
        case,
        note.into_string(),
        goal.into_string(),
        action.into_string(),
    ))
}

fn path_for(spec: &RouteSpec, ids: &Ids) -> String {
    let path = spec.path.replace("{*path}", "harbour.css");
    if path.starts_with("/admin/agencies/{id}") {
        path.replace("{id}", &ids.agency)
    } else if path.starts_with("/admin/people/{id}") {
        path.replace("{id}", &ids.person)
    } else if path.starts_with("/admin/tokens/{id}") {
        path.replace("{id}", &ids.token)
    } else if path.starts_with("/directory/services/{id}") {
        path.replace("{id}", &ids.service)
    } else if path.starts_with("/recognition/matches/{id}") {
        path.replace("{id}", &ids.found)
    } else if path.starts_with("/recognition/merges/{id}") {
        path.replace("{id}", &ids.merge)
    } else if path.starts_with("/cases/{id}") {
        path.replace("{id}", &ids.case)
            .replace("{note}", &ids.note)
            .replace("{goal}", &ids.goal)
            .replace("{action}", &ids.action)
    } else if path.starts_with("/marac/actions/{id}") {
        path.replace("{id}", &ids.marac_action)
    } else if path.starts_with("/marac/cases/{id}") {
        path.replace("{id}", &ids.marac_case)
    } else if path.starts_with("/marac/meetings/{id}") {
        path.replace("{id}", &ids.meeting)
    } else if path.starts_with("/marac/{id}") {
        path.replace("{id}", &ids.marac)
    } else if path.starts_with("/persons/{id}") {
        path.replace("{id}", &ids.victim)
    } else if path.starts_with("/coverage/areas/{code}") {
        path.replace("{code}", "E07000197")
    } else if path.starts_with("/reports/csv/{id}") {
        path.replace("{id}", "referrals-by-area")
    } else if path.starts_with("/alerts/confirm/") {
        path.replace("{token}", &ids.confirm)
    } else if path.starts_with("/alerts/manage/") {
        path.replace("{token}", &ids.manage)
    } else if path.starts_with("/alerts/unsubscribe/") {
        path.replace("{token}", &ids.unsubscribe)
    } else if path.starts_with("/alerts/{id}") || path.starts_with("/community-alerts/{id}") {
        path.replace("{id}", &ids.alert)
    } else if path.starts_with("/admin/alert-topics/{id}") {
        // Posted without a field, it retires the topic: one no other route's walk needs.
        path.replace("{id}", "community_events")
    } else if path.starts_with("/admin/subscribers/{id}") {
        path.replace("{id}", &ids.subscriber)
    } else if path.starts_with("/retention/runs/{id}") {
        path.replace("{id}", &ids.retention_run)
    } else if path.starts_with("/subject-access/{id}") {
        // An export's link the walk cannot know: the officer is told not found.
        path.replace("{id}", &ids.subject_access)
            .replace("{secret}", "walk")
    } else if path.starts_with("/retention/requests/{id}") {
        path.replace("{id}", &ids.erasure_request)
    } else if path.starts_with("/retention/holds/{id}") {
        path.replace("{id}", &ids.hold)
    } else if path.starts_with("/account/sessions/{id}") {
        path.replace("{id}", &ids.session)
    } else if path.starts_with("/account/devices/{id}") {
        path.replace("{id}", &ids.device)
    } else if path.starts_with("/retention/schedules/{kind}") {
        path.replace("{kind}", "case")
    } else {
        path
    }
}

/// The form fields an allowed POST needs to do its work (invalid input still proves access).
fn fields(spec: &RouteSpec) -> Vec<(&'static str, &'static str)> {
    match spec.path {
        "/sign-in" => vec![
            ("email", "referrer@demo.harbour.example"),
            ("password", DEMO_PASSWORD),
        ],
        "/admin/agencies/{id}/tokens" => vec![("name", "walk")],
        _ => vec![],
    }
}

fn allowed(access: Access, caller: Caller) -> bool {
    match (access, caller) {
        (Access::Open | Access::Public, _) => true,
        (Access::Staff(action), Caller::Staff(role)) => authorize(&[role], action).is_ok(),
        (Access::Api(action), Caller::Integration) => {
            authorize(&[Role::Integration], action).is_ok()
        }
        _ => false,
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_permission_model_says() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let (ids, secret) = ids(&app, &admin).await?;
    let table = specs();
    assert!(table.len() >= 20, "the table holds every route");

    let mut callers = vec![Caller::Anonymous, Caller::Integration];
    callers.extend(Role::STAFF.map(Caller::Staff));
    let mut checked = 0;
    // One session per role, signed in again only after a route that ends it or signs in as
    // someone else: a second factor's code works once, so signing in for every request would
    // wait on the clock.
    let mut sessions: std::collections::HashMap<Role, TestClient> = Default::default();
    for spec in &table {
        for &caller in &callers {
            let client = match caller {
                Caller::Staff(role) => match sessions.remove(&role) {
                    Some(c) => c,
                    None => app.signed_in(role).await?,
                },
                _ => app.client(),
            };
            let path = path_for(spec, &ids);
            // Governance's routes walk with real records. (Older routes with an id the walk
            // does not fill answer a literal "{id}" with not found, which proves less.)
            assert!(
                !((path.starts_with("/retention")
                    || path.starts_with("/subject-access")
                    || path.starts_with("/account"))
                    && path.contains('{')),
                "{path}: the walk has no record to put in the path"
            );
            let mut request = match spec.method {
                "GET" => client.http.get(client.url(&path)),
                _ => {
                    let page = if caller == Caller::Anonymous || caller == Caller::Integration {
                        "/sign-in"
                    } else {
                        "/home"
                    };
                    let (_, html) = client.get_text(page).await?;
                    let token = csrf_token(&html).unwrap_or_default();
                    if matches!(
                        spec.path,
                        "/help/refer" | "/alerts/subscribe" | "/alerts/manage"
                    ) {
                        // The public forms carry their own signed token, not a session's.
                        let (_, html) = client.get_text(spec.path).await?;
                        let marker = "name=\"form_token\" value=\"";
                        let start = html.find(marker).map_or(0, |i| i + marker.len());
                        let token = html[start..]
                            .split('"')
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        client
                            .http
                            .post(client.url(&path))
                            .form(&[("form_token", token)])
                    } else if spec.path == "/referrals/import" {
                        // The upload form posts multipart.
                        let form = reqwest::multipart::Form::new()
                            .text("csrf_token", token.clone())
                            .text("file", "");
                        client.http.post(client.url(&path)).multipart(form)
                    } else {
                        let mut form = vec![("csrf_token", token.as_str())];
                        form.extend(fields(spec));
                        client.http.post(client.url(&path)).form(&form)
                    }
                }
            };
            if caller == Caller::Integration {
                request = request.bearer_auth(&secret);
            }
            let response = request.send().await?;
            let status = response.status();
            // Signing out also ends at the sign-in page, but clears the session cookie on the way.
            let clears_session = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().is_ok_and(|c| c.starts_with("harbour_session=;")));
            let to_sign_in = status == StatusCode::SEE_OTHER
                && response
                    .headers()
                    .get("location")
                    .is_some_and(|l| l == "/sign-in")
                && !clears_session;
            let refused =
                status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED || to_sign_in;
            let session_changed = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().is_ok_and(|c| c.starts_with("harbour_session=")));
            if let Caller::Staff(role) = caller
                && !session_changed
            {
                sessions.insert(role, client);
            }
            let expected = allowed(spec.access, caller);
            assert_eq!(
                !refused,
                expected,
                "{} {} as {caller:?}: got {status}, expected {}",
                spec.method,
                spec.path,
                if expected { "allowed" } else { "refused" }
            );
            if !expected {
                // How it is refused: pages send strangers to sign in; the API answers 401.
                match (spec.access, caller) {
                    (Access::Staff(_), Caller::Anonymous | Caller::Integration) => {
                        assert!(to_sign_in, "{} {}", spec.method, spec.path);
                    }
                    (Access::Staff(_), Caller::Staff(_)) => {
                        assert_eq!(status, StatusCode::FORBIDDEN);
                    }
                    (Access::Api(_), _) => {
                        assert_eq!(status, StatusCode::UNAUTHORIZED);
                        assert_eq!(
                            response.headers()["content-type"],
                            "application/problem+json"
                        );
                    }
                    _ => {}
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * callers.len());
    Ok(())
}

#[tokio::test]
async fn every_form_post_needs_the_csrf_token() -> R {
    let app = TestApp::spawn().await?;
    let admin = app.signed_in(Role::Administrator).await?;
    let (ids, _) = ids(&app, &admin).await?;
    // Bearer-token API calls carry no cookie, so cross-site forgery does not reach them; open
    // routes look up no session at all, so a forged request would carry no one's authority.
    // Each role signs in once: every post is refused, so no session ends.
    let mut sessions: std::collections::HashMap<Role, std::rc::Rc<TestClient>> = Default::default();
    for spec in specs()
        .iter()
        .filter(|s| s.method == "POST" && !matches!(s.access, Access::Api(_) | Access::Open))
    {
        // Someone the route admits, so that only the missing token can refuse them.
        let client = match spec.access {
            Access::Staff(action) => {
                let role = Role::STAFF
                    .into_iter()
                    .find(|r| authorize(&[*r], action).is_ok())
                    .expect("some role may use every staff route");
                match sessions.get(&role) {
                    Some(c) => c.clone(),
                    None => {
                        let c = std::rc::Rc::new(app.signed_in(role).await?);
                        sessions.insert(role, c.clone());
                        c
                    }
                }
            }
            _ => std::rc::Rc::new(app.client()),
        };
        let path = path_for(spec, &ids);
        for token in [None, Some("0000")] {
            let mut form: Vec<(&str, &str)> = fields(spec);
            if let Some(t) = token {
                form.push(("csrf_token", t));
            }
            let r = client.post_form(&path, &form).await?;
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "POST {} with token {token:?}",
                spec.path
            );
            assert!(
                r.text().await?.contains("This form has expired"),
                "POST {}",
                spec.path
            );
        }
    }
    // Nothing above took effect: the administrator is still signed in.
    assert_eq!(admin.get("/home").await?.status(), StatusCode::OK);
    Ok(())
}

/// Posting someone else's draft-delete address removes nothing, says not found, and records no
/// removal that did not happen.
#[tokio::test]
async fn another_persons_draft_cannot_be_removed_and_no_removal_is_recorded() -> R {
    let app = TestApp::spawn().await?;
    let referrer = app.signed_in(Role::Referrer).await?;
    let r = referrer
        .submit(
            "/referrals/new",
            "/referrals/new",
            &[("action", "draft"), ("person/given_name", "Draft")],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::OK, "the draft is saved");
    let draft: String = sqlx::query("SELECT id FROM referral_drafts")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    let removals = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM audit_log WHERE purpose = 'remove referral draft'",
            )
            .fetch_one(&pool)
            .await?
            .get(0);
            anyhow::Ok(n)
        }
    };
    let other = app.signed_in(Role::TriageOfficer).await?;
    let path = format!("/referrals/drafts/{draft}/delete");
    let r = other.submit("/home", &path, &[]).await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(removals(&app).await?, 0, "no removal recorded");
    let left: i64 = sqlx::query("SELECT COUNT(*) FROM referral_drafts")
        .fetch_one(app.db.pool())
        .await?
        .get(0);
    assert_eq!(left, 1, "the draft is still there");
    let r = referrer.submit("/referrals/mine", &path, &[]).await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(removals(&app).await?, 1, "its owner's removal is recorded");
    Ok(())
}
