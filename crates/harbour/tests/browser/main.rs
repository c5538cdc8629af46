//! Journeys through the pages in headless Chromium, with axe-core checking every page visited
//! for serious or critical accessibility violations.

use fantoccini::Locator;
use harbour_domain::role::Role;
use harbour_storage::demo::DEMO_PASSWORD;
use harbour_testkit::app::demo_email;
use harbour_testkit::{Browser, TestApp};
use sqlx::Row;

mod advice;
mod alerts;
mod cases;
mod homes;
mod marac;
mod person_details;
mod recognition;
mod reports;
mod retention;
mod sso;
mod subject_access;
mod two_factor;

type R = anyhow::Result<()>;

/// Checks the page with axe and remembers what it found.
async fn audit_page(b: &Browser, found: &mut Vec<String>) -> R {
    let url = b.client.current_url().await?;
    for v in b.axe_violations().await? {
        found.push(format!("{}: {v}", url.path()));
    }
    Ok(())
}

async fn fill(b: &Browser, css: &str, value: &str) -> R {
    let field = b.client.find(Locator::Css(css)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

async fn text_of(b: &Browser, css: &str) -> anyhow::Result<String> {
    Ok(b.client.find(Locator::Css(css)).await?.text().await?)
}

async fn click(b: &Browser, css: &str) -> R {
    b.client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Clicks something that loads a new page, and waits until it has.
async fn follow(b: &Browser, css: &str) -> R {
    follow_at(b, Locator::Css(css)).await
}

async fn follow_at(b: &Browser, at: Locator<'_>) -> R {
    let old = b.client.find(Locator::Css("html")).await?;
    let what = format!("{at:?}");
    b.client.find(at).await?.click().await?;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            let ready = b
                .client
                .execute("return document.readyState", vec![])
                .await?;
            if ready == "complete" {
                return Ok(());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("clicking {what} did not load a page")
}

/// Opens every disclosure on the page (the forms folded away under "Close the case" and the
/// like), as a person clicking each would.
async fn open_all(b: &Browser) -> R {
    b.client
        .execute(
            "document.querySelectorAll('details').forEach(d => d.open = true)",
            vec![],
        )
        .await?;
    Ok(())
}

/// Signs in as a person would, with the code from their authenticator app when asked for one.
async fn sign_in(b: &Browser, app: &TestApp, email: &str, password: &str) -> R {
    b.client.goto(&format!("{}/sign-in", app.url)).await?;
    fill(b, "#email", email).await?;
    fill(b, "#password", password).await?;
    follow(b, "form[action='/sign-in'] button[type=submit]").await?;
    if b.client.current_url().await?.path() == "/sign-in/code" {
        let code = harbour_testkit::authenticator::next_code(&app.url, email).await;
        fill(b, "#code", &code).await?;
        follow(b, "form[action='/sign-in/code'] button[type=submit]").await?;
    }
    Ok(())
}

#[tokio::test]
async fn sign_in_fails_with_a_message_then_succeeds() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    b.client.goto(&app.url).await?;
    audit_page(&b, &mut violations).await?;
    sign_in(&b, &app, &demo_email(Role::Caseworker), "not my password").await?;
    let summary = text_of(&b, ".govuk-error-summary").await?;
    assert!(summary.contains("There is a problem"));
    assert!(summary.contains("Enter a correct email address and password"));
    assert!(
        text_of(&b, "#email-error")
            .await?
            .contains("Enter a correct email address and password")
    );
    let kept = b
        .client
        .find(Locator::Css("#email"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some(demo_email(Role::Caseworker).as_str()));
    assert!(
        b.client.title().await?.starts_with("Error: "),
        "GOV.UK: the title says there is an error"
    );
    audit_page(&b, &mut violations).await?;

    // The error summary links move focus to the field.
    click(&b, ".govuk-error-summary__list a[href='#email']").await?;

    fill(&b, "#password", DEMO_PASSWORD).await?;
    follow(&b, "form[action='/sign-in'] button[type=submit]").await?;
    assert_eq!(b.client.current_url().await?.path(), "/home");
    assert!(text_of(&b, "h1").await?.starts_with("Welcome"));
    audit_page(&b, &mut violations).await?;
    b.client.goto(&format!("{}/account", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    b.client.goto(&format!("{}/nowhere", app.url)).await?;
    assert_eq!(text_of(&b, "h1").await?, "Page not found");
    audit_page(&b, &mut violations).await?;

    // Sign out from the header.
    follow(&b, "form[action='/sign-out'] button").await?;
    assert_eq!(b.client.current_url().await?.path(), "/sign-in");
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_administrator_adds_an_agency_and_a_person_and_sees_both_in_the_audit_trail() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::Administrator), DEMO_PASSWORD).await?;
    assert_eq!(b.client.current_url().await?.path(), "/home");

    // An agency.
    b.client
        .goto(&format!("{}/admin/agencies", app.url))
        .await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "a[href='/admin/agencies/new']").await?;
    fill(&b, "#name", "Tamworth Family Support").await?;
    click(&b, "#kind-charity").await?;
    click(&b, "#areas-E07000199").await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main button[type=submit]").await?;
    assert_eq!(text_of(&b, "h1").await?, "Tamworth Family Support");
    audit_page(&b, &mut violations).await?;

    // A person, with a mistake first.
    b.client
        .goto(&format!("{}/admin/people/new", app.url))
        .await?;
    fill(&b, "#display_name", "Jordan Whitmore").await?;
    fill(&b, "#email", "jordan.whitmore at tamworth").await?;
    b.client
        .find(Locator::Css("#agency_id"))
        .await?
        .select_by_label("Tamworth Family Support")
        .await?;
    click(&b, "#roles-caseworker").await?;
    fill(&b, "#password", "a sound long passphrase").await?;
    follow(&b, "main button[type=submit]").await?;

    let error = text_of(&b, "#email-error").await?;
    assert!(
        error.contains("Enter an email address in the correct format"),
        "{error}"
    );
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("Enter an email address in the correct format")
    );
    let value = |css: &'static str| {
        let client = b.client.clone();
        async move { client.find(Locator::Css(css)).await?.prop("value").await }
    };
    assert_eq!(
        value("#display_name").await?.as_deref(),
        Some("Jordan Whitmore"),
        "the name entered is kept"
    );
    assert_eq!(
        value("#email").await?.as_deref(),
        Some("jordan.whitmore at tamworth"),
        "the wrong value is shown to fix"
    );
    let selected = b
        .client
        .find(Locator::Css("#agency_id option:checked"))
        .await?
        .text()
        .await?;
    assert_eq!(selected, "Tamworth Family Support");
    assert!(
        b.client
            .find(Locator::Css("#roles-caseworker"))
            .await?
            .is_selected()
            .await?
    );
    assert_eq!(
        value("#password").await?.as_deref(),
        Some(""),
        "a password is never sent back"
    );
    audit_page(&b, &mut violations).await?;

    fill(&b, "#email", "jordan.whitmore@tamworth.example").await?;
    fill(&b, "#password", "a sound long passphrase").await?;
    follow(&b, "main button[type=submit]").await?;
    assert_eq!(text_of(&b, "h1").await?, "Jordan Whitmore");
    audit_page(&b, &mut violations).await?;

    // Both show in the audit trail.
    b.client.goto(&format!("{}/audit", app.url)).await?;
    b.client
        .find(Locator::Css("#action"))
        .await?
        .select_by_value("create")
        .await?;
    follow(&b, "main form button[type=submit]").await?;
    let table = text_of(&b, "main table").await?;
    assert!(table.contains("create agency"), "{table}");
    assert!(table.contains("create person"), "{table}");
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn someone_starts_asking_for_help_and_leaves_in_a_hurry() -> R {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_attempts_per_minute = 1000;
        c.self_referral_min_seconds = 0;
        // A page of our own stands in for the neutral site: the machine has no other network.
        c.quick_exit_url = "/healthz".into();
    })
    .await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    b.client.goto(&format!("{}/help", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "a[href='/help/refer']").await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#name", "Rosa").await?;
    click(&b, "#what").await?;
    fill(&b, "#phone", "07700 900271").await?;
    // Midway, someone comes in: exit.
    follow(&b, ".harbour-exit-this-page").await?;
    let url = b.client.current_url().await?;
    assert_eq!(
        url.path(),
        "/healthz",
        "the page was replaced by the neutral one"
    );
    b.client.back().await?;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let back = b.client.current_url().await?;
    assert_ne!(
        back.path(),
        "/help/refer",
        "going back does not return to the form"
    );
    assert_eq!(back.path(), "/help");
    let n = harbour_testkit::inspect::rows(&app.db, "referrals").await?;
    assert_eq!(n, 0, "nothing was sent");

    // Another time, they finish it, first forgetting how to be contacted.
    b.client.goto(&format!("{}/help/refer", app.url)).await?;
    fill(&b, "#name", "Rosa").await?;
    click(&b, "#what").await?;
    fill(&b, "#phone", "07700 900271").await?;
    follow(&b, "main button[type=submit]").await?;
    assert!(
        text_of(&b, "#contact-error")
            .await?
            .contains("Choose at least one safe way")
    );
    let kept = b
        .client
        .find(Locator::Css("#phone"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some("07700 900271"));
    audit_page(&b, &mut violations).await?;
    click(&b, "#contact-sms").await?;
    follow(&b, "main button[type=submit]").await?;
    assert_eq!(text_of(&b, "h1").await?, "We have your request");
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_referral_is_made_with_a_mistake_fixed_and_the_hub_triages_it() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::Referrer), DEMO_PASSWORD).await?;
    b.client.goto(&format!("{}/referrals/new", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    b.client
        .find(Locator::Css("#crime_category"))
        .await?
        .select_by_value("domestic_abuse")
        .await?;
    fill(&b, "[id='police_reference']", "SP/26/8080").await?;
    fill(&b, "[id='incident_date']", "18/11/2026").await?;
    fill(&b, "[id='person/given_name']", "Hana").await?;
    fill(&b, "[id='person/family_name']", "Lowther").await?;
    fill(&b, "[id='person/postcode']", "ST5 1AA").await?;
    fill(&b, "[id='perpetrators/0/relationship']", "partner").await?;
    click(&b, "[id='channel-sms']").await?;
    fill(&b, "[id='safe_contact/sms']", "not a number").await?;
    click(&b, "[id='consent_to_referral']").await?;
    follow(&b, "button[value=submit]").await?;
    let error = text_of(&b, "[id='safe_contact/sms-error']").await?;
    assert!(error.contains("Enter a phone number"), "{error}");
    let kept = b
        .client
        .find(Locator::Css("[id='person/family_name']"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some("Lowther"));
    audit_page(&b, &mut violations).await?;
    fill(&b, "[id='safe_contact/sms']", "07700 900808").await?;
    follow(&b, "button[value=submit]").await?;
    assert_eq!(
        text_of(&b, ".govuk-panel__title").await?,
        "Referral received"
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The hub finds it in the queue and triages it.
    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/queue", app.url))
        .await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main table a").await?;
    assert_eq!(text_of(&b, "h1").await?, "Hana Lowther");
    audit_page(&b, &mut violations).await?;
    follow(&b, "a[href$='/triage']").await?;
    audit_page(&b, &mut violations).await?;
    click(&b, "#needs").await?;
    let items: Vec<String> = {
        let demo = harbour_domain::instrument::Instrument::demo();
        demo.items.iter().map(|i| i.id.clone()).collect()
    };
    for (i, id) in items.iter().enumerate() {
        let choice = if i < 14 {
            format!("[id='answers/{id}']")
        } else {
            format!("[id='answers/{id}-no']")
        };
        b.client.find(Locator::Css(&choice)).await?.click().await?;
    }
    click(&b, "#tier-acute").await?;
    fill(
        &b,
        "#tier_reason",
        "High risk: threats to kill, strangulation",
    )
    .await?;
    follow(&b, "main form button[type=submit]").await?;
    assert_eq!(text_of(&b, "h1").await?, "Hana Lowther");
    let history = text_of(&b, ".govuk-summary-card").await?;
    assert!(history.contains("Visible high risk"), "{history}");
    // In words, not the stored codes.
    assert!(history.contains("Acute: High risk"), "{history}");
    assert!(
        !history.contains("acute:") && !history.contains("enhanced"),
        "{history}"
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_member_of_the_public_finds_support_by_need_and_postcode() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    b.client.goto(&format!("{}/find-support", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    click(&b, "input[name=need][value=accommodation]").await?;
    fill(&b, "#postcode", "ST5 1AX").await?;
    follow(&b, "main form button[type=submit]").await?;
    // A postcode the directory does not know: said next to the field, the choice kept.
    let error = text_of(&b, "#postcode-error").await?;
    assert!(error.contains("We do not know this postcode"), "{error}");
    let kept = b
        .client
        .find(Locator::Css("input[name=need][value=accommodation]"))
        .await?
        .prop("checked")
        .await?;
    assert_eq!(kept.as_deref(), Some("true"));
    audit_page(&b, &mut violations).await?;
    fill(&b, "#postcode", "st5 1ab").await?;
    follow(&b, "main form button[type=submit]").await?;
    let heading = text_of(&b, "#results").await?;
    assert_eq!(
        heading,
        "5 services for shelter and accommodation near ST5 1AB"
    );
    let page = text_of(&b, "main").await?;
    assert!(page.contains("The Alice Charity") && page.contains("withheld"));
    assert!(!page.contains("Larkspur"));
    assert!(
        !b.client.current_url().await?.as_str().contains("ST5"),
        "the postcode is not in the address"
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}

#[tokio::test]
async fn a_refuge_updates_its_spaces_and_its_entry() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::Caseworker), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/directory?mine=yes", app.url))
        .await?;
    audit_page(&b, &mut violations).await?;
    let refuge = harbour_testkit::cases::service_id(&app.db, "New Era refuge").await?;
    follow(
        &b,
        &format!("main table a[href='/directory/services/{refuge}']"),
    )
    .await?;
    assert_eq!(text_of(&b, "h1").await?, "New Era refuge");
    audit_page(&b, &mut violations).await?;
    fill(&b, "#free", "0").await?;
    fill(&b, "#total", "9").await?;
    follow(&b, "form[action$='/capacity'] button").await?;
    let capacity = text_of(&b, "#capacity + p").await?;
    assert!(
        capacity.starts_with("0 of 9 refuge spaces free, updated just now"),
        "{capacity}"
    );
    follow(&b, "a[href$='/edit']").await?;
    audit_page(&b, &mut violations).await?;
    fill(&b, "#maximum_age", "12").await?;
    follow(&b, "main form button[type=submit]").await?;
    let error = text_of(&b, "#maximum_age-error").await?;
    assert!(
        error.contains("oldest age must be the same as or more than the youngest"),
        "{error}"
    );
    audit_page(&b, &mut violations).await?;
    fill(&b, "#maximum_age", "").await?;
    fill(&b, "#alert", "Two family rooms free from Monday").await?;
    follow(&b, "main form button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-warning-text")
            .await?
            .contains("Two family rooms")
    );
    let history = text_of(&b, "main table").await?;
    assert!(
        history.contains("alert") && history.contains("capacity"),
        "{history}"
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}

#[tokio::test]
async fn the_commissioner_reads_the_coverage_and_its_gaps() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::Commissioner), DEMO_PASSWORD).await?;
    b.client.goto(&format!("{}/coverage", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    b.client
        .find(Locator::Css("#age"))
        .await?
        .select_by_value("children")
        .await?;
    follow(&b, "main form button[type=submit]").await?;
    assert!(
        b.client
            .current_url()
            .await?
            .as_str()
            .ends_with("age=children&gender=&tier=")
    );
    let caption = text_of(&b, "caption").await?;
    assert!(caption.contains("children and young people"), "{caption}");
    audit_page(&b, &mut violations).await?;
    follow(&b, "a[href^='/coverage/areas/E07000195']").await?;
    assert_eq!(text_of(&b, "h1").await?, "Newcastle-under-Lyme");
    assert!(
        text_of(&b, "main table")
            .await?
            .contains("The Alice Charity")
    );
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}

/// The closed loop: the hub refers one person to two services with consent recorded for each
/// (fixing a missed answer on the way); New Era accepts and logs an unsafe call, which stops
/// that channel; the Alice Charity declines for lack of capacity; the hub re-routes that one;
/// the police referrer sees where the person went and how each referral stands.
#[tokio::test]
async fn the_hub_refers_on_to_two_services_and_one_accepts_and_one_declines_and_is_rerouted() -> R {
    use harbour_testkit::cases::{ALICE, Case, IDVA, add_caseworker, service_id, triaged_referral};
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            area: "E07000195",
            postcode: "ST5 1AB",
            high_risk: true,
            ..Case::default()
        },
    )
    .await?;
    let alice_email = "caseworker@alice.example";
    add_caseworker(&app.db, "The Alice Charity", alice_email).await?;
    let idva = service_id(&app.db, IDVA).await?;
    let alice = service_id(&app.db, ALICE).await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();

    // The hub chooses both services and records consent for each organisation.
    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/{referral}", app.url))
        .await?;
    follow(&b, "a[href$='/refer-on']").await?;
    audit_page(&b, &mut violations).await?;
    click(&b, &format!("input[value='{idva}']")).await?;
    click(&b, &format!("input[value='{alice}']")).await?;
    follow(&b, "main form button[type=submit]").await?;
    audit_page(&b, &mut violations).await?;
    // Each organisation has its own part of the form, in the order the services were listed.
    let prefix_of = async |org: &str| -> anyhow::Result<String> {
        let card = b
            .client
            .find(Locator::XPath(&format!(
                "//div[contains(@class,'govuk-summary-card')][.//h2[text()='{org}']]"
            )))
            .await?;
        let id = card.attr("id").await?.unwrap_or_default();
        Ok(id.trim_end_matches("service_id").to_owned())
    };
    let new_era = prefix_of("New Era").await?;
    let charity = prefix_of("The Alice Charity").await?;
    click(&b, &format!("[id='{new_era}consent/decision']")).await?;
    click(&b, &format!("[id='{new_era}consent/shares']")).await?;
    fill(
        &b,
        &format!("[id='{new_era}note']"),
        "Please call within two days.",
    )
    .await?;
    // The Alice Charity's decision is left out: an error, and nothing entered is lost.
    follow(&b, "main form button[type=submit]").await?;
    let error = text_of(&b, &format!("[id='{charity}consent/decision-error']")).await?;
    assert!(
        error.contains("Say whether the person consented"),
        "{error}"
    );
    let note = b
        .client
        .find(Locator::Css(&format!("[id='{new_era}note']")))
        .await?
        .prop("value")
        .await?;
    assert_eq!(note.as_deref(), Some("Please call within two days."));
    audit_page(&b, &mut violations).await?;
    click(&b, &format!("[id='{charity}consent/decision']")).await?;
    follow(&b, "main form button[type=submit]").await?;
    let banner = text_of(&b, ".govuk-notification-banner").await?;
    assert!(banner.contains("2 referrals sent"), "{banner}");
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // New Era sees only the minimum until it accepts, then what consent allows.
    sign_in(&b, &app, &demo_email(Role::Caseworker), DEMO_PASSWORD).await?;
    b.client.goto(&format!("{}/inbox", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main table a[href^='/onward/']").await?;
    assert_eq!(text_of(&b, "h1").await?, "Alys");
    audit_page(&b, &mut violations).await?;
    follow(&b, "[id='accept/step'] button").await?;
    assert_eq!(text_of(&b, "h1").await?, "Alys Brereton");
    assert!(
        text_of(&b, ".govuk-summary-list")
            .await?
            .contains("Accepted")
    );
    // An unsafe call stops phone calls until someone reviews it.
    b.client
        .find(Locator::Css("[id='attempt/channel']"))
        .await?
        .select_by_value("phone_call")
        .await?;
    click(&b, "[id='attempt/result-unsafe']").await?;
    follow(&b, "form[action$='/contact'] button").await?;
    let contact = text_of(&b, "#contact + dl").await?;
    assert!(contact.contains("suspended"), "{contact}");
    assert!(!contact.contains("07700 900123"), "{contact}");
    audit_page(&b, &mut violations).await?;
    // The contacts for her phone, once New Era has taken her on.
    follow(&b, "a[href$='/contacts']").await?;
    assert!(text_of(&b, "main").await?.contains("999"));
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The Alice Charity declines: no capacity.
    sign_in(&b, &app, alice_email, DEMO_PASSWORD).await?;
    b.client.goto(&format!("{}/inbox", app.url)).await?;
    follow(&b, "main table a[href^='/onward/']").await?;
    click(&b, "details summary").await?;
    click(&b, "[id='decline/reason-no_capacity']").await?;
    fill(&b, "[id='decline/note']", "Warehouse full until January.").await?;
    follow(&b, "details form button[type=submit]").await?;
    assert!(
        text_of(&b, ".govuk-summary-list")
            .await?
            .contains("Declined")
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The hub sees the decline and re-routes it.
    sign_in(&b, &app, &demo_email(Role::TriageOfficer), DEMO_PASSWORD).await?;
    b.client.goto(&format!("{}/onward", app.url)).await?;
    audit_page(&b, &mut violations).await?;
    b.client
        .goto(&format!("{}/referrals/{referral}", app.url))
        .await?;
    let onward = text_of(&b, "#onward + table").await?;
    assert!(
        onward.contains("We have no capacity at present"),
        "{onward}"
    );
    follow_at(&b, Locator::LinkText(ALICE)).await?;
    assert!(text_of(&b, ".govuk-caption-l").await?.contains("Alice"));
    audit_page(&b, &mut violations).await?;
    click(&b, "[id='reroute/service_id']").await?;
    click(&b, "[id='reroute/consent/decision']").await?;
    follow(&b, "input[value='reroute'] ~ button").await?;
    assert!(
        text_of(&b, ".govuk-summary-list")
            .await?
            .contains("Re-routed")
    );
    audit_page(&b, &mut violations).await?;
    follow(&b, "form[action='/sign-out'] button").await?;

    // The police referrer sees where the person went and how each referral stands.
    sign_in(&b, &app, &demo_email(Role::Referrer), DEMO_PASSWORD).await?;
    b.client
        .goto(&format!("{}/referrals/sent/{referral}", app.url))
        .await?;
    let seen = text_of(&b, "#onward").await?;
    assert!(seen.contains(IDVA) && seen.contains("Accepted"), "{seen}");
    assert!(seen.contains(ALICE) && seen.contains("Re-routed"), "{seen}");
    assert!(seen.contains("Sent"), "{seen}");
    assert!(!seen.contains("Warehouse full"), "{seen}");
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
