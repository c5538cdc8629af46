//! The phone contact bundle on both databases: the vCard imports cleanly into a standard vCard
//! parser (the `ical` crate's), holds the police, the services the person was referred to (by
//! their public lines only), and the helplines that fit; nothing about the person. Only the hub
//! and a service that took the person on may open it. Resources issued are recorded with date
//! and agency, and a bad date is refused beside its field.

use harbour_domain::consent::ConsentInput;
use harbour_domain::role::Role;
use harbour_storage::onward::{ReferOnInput, ReferredOn, StepInput};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{
    ALICE, Case, IDVA, add_caseworker, service_id, store_as, triaged_referral,
};
use reqwest::StatusCode;
use std::collections::BTreeMap;

type R = anyhow::Result<()>;

/// Each card's name, with its telephone numbers and categories.
fn parse(vcf: &str) -> anyhow::Result<BTreeMap<String, (Vec<String>, String)>> {
    let mut cards = BTreeMap::new();
    for card in ical::VcardParser::new(std::io::BufReader::new(vcf.as_bytes())) {
        let card = card?;
        let get = |name: &str| -> Vec<String> {
            card.properties
                .iter()
                .filter(|p| p.name == name)
                .filter_map(|p| p.value.clone())
                .collect()
        };
        assert_eq!(get("VERSION"), vec!["4.0".to_owned()]);
        let name = get("FN").into_iter().next().unwrap_or_default();
        cards.insert(name, (get("TEL"), get("CATEGORIES").join(",")));
    }
    Ok(cards)
}

#[tokio::test]
async fn the_contact_bundle_loads_into_a_vcard_parser_and_holds_only_public_lines() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            area: "E07000195",
            postcode: "ST5 1AB",
            ..Case::default()
        },
    )
    .await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let consent = ConsentInput {
        decision: "given".into(),
        ..Default::default()
    };
    let mut sent = Vec::new();
    for name in [IDVA, ALICE] {
        let r = hub
            .refer_onward(
                &referral,
                &ReferOnInput {
                    service_id: service_id(&app.db, name).await?,
                    consent: consent.clone(),
                    ..Default::default()
                },
            )
            .await?;
        let ReferredOn::Sent { id } = r else {
            anyhow::bail!("not sent");
        };
        sent.push(id);
    }
    let new_era = store_as(&app.db, "New Era", Role::Caseworker).await?;
    new_era
        .take_step(
            &sent[0],
            &StepInput {
                step: "accept".into(),
                ..Default::default()
            },
        )
        .await?;

    let caseworker = app.signed_in(Role::Caseworker).await?;
    let r = caseworker
        .http
        .get(caseworker.url(&format!("/referrals/{referral}/contacts.vcf")))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/vcard; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()?
            .contains("contacts.vcf")
    );
    let vcf = r.text().await?;
    let cards = parse(&vcf)?;
    assert_eq!(cards["Police emergency"].0, vec!["999".to_owned()]);
    assert_eq!(cards["Police non-emergency"].0, vec!["101".to_owned()]);
    assert_eq!(cards[IDVA].0, vec!["01632 960 103".to_owned()]);
    assert_eq!(cards[IDVA].1, "Your caseworker's service");
    assert_eq!(cards[ALICE].0, vec!["01632 960 205".to_owned()]);
    assert_eq!(cards[ALICE].1, "Services you were referred to");
    assert!(cards.contains_key("National Domestic Abuse Helpline"));
    assert!(!cards.contains_key("Men's Advice Line"), "she is a woman");
    assert!(!cards.contains_key("Childline"), "she is an adult");
    // A partner's direct line and anything about the person stay out.
    for never in [
        "01785",
        "Alys",
        "Brereton",
        "07700",
        "Quiet Lane",
        "bluebell",
    ] {
        assert!(!vcf.contains(never), "the bundle holds {never}");
    }

    // The printable page lists the same, with the resources given.
    let (status, html) = caseworker
        .get_text(&format!("/referrals/{referral}/contacts"))
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("0808 2000 247") && html.contains("01632 960 103"));
    let page = format!("/referrals/{referral}/contacts");
    let action = format!("/referrals/{referral}/resources");
    let r = caseworker
        .submit(
            &page,
            &action,
            &[
                ("kind", "phone"),
                ("description", "Basic mobile, contacts loaded"),
                ("issued_on", "23rd November"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    assert!(html.contains("id=\"issued_on-error\""));
    assert!(
        html.contains("value=\"Basic mobile, contacts loaded\""),
        "kept"
    );
    let r = caseworker
        .submit(
            &page,
            &action,
            &[
                ("kind", "phone"),
                ("description", "Basic mobile, contacts loaded"),
                ("issued_on", "2026-11-20"),
            ],
        )
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = caseworker.get_text(&page).await?;
    assert!(html.contains("A phone with useful contacts") && html.contains("2026-11-20"));
    assert!(html.contains("New Era"));

    // The Alice Charity has not taken her on; the police referrer works no onward referral.
    add_caseworker(&app.db, "The Alice Charity", "caseworker@alice.example").await?;
    let alice = app.client();
    alice
        .sign_in(
            "caseworker@alice.example",
            harbour_storage::demo::DEMO_PASSWORD,
        )
        .await?;
    let (status, _) = alice
        .get_text(&format!("/referrals/{referral}/contacts"))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let police = app.signed_in(Role::Referrer).await?;
    let (status, _) = police
        .get_text(&format!("/referrals/{referral}/contacts.vcf"))
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    Ok(())
}

/// Local support the person can call themself comes from the directory: a hate crime service
/// for where they live and what they need, by its public line.
#[tokio::test]
async fn the_bundle_adds_local_support_that_fits_where_they_live_and_what_they_need() -> R {
    let app = TestApp::spawn().await?;
    let referral = triaged_referral(
        &app.db,
        Case {
            area: "E07000195",
            postcode: "ST5 1AB",
            crime: "hate_crime",
            needs: &["outlook_and_attitudes"],
            ..Case::default()
        },
    )
    .await?;
    let hub = app.signed_in(Role::TriageOfficer).await?;
    let (status, vcf) = hub
        .get_text(&format!("/referrals/{referral}/contacts.vcf"))
        .await?;
    assert_eq!(status, StatusCode::OK);
    let cards = parse(&vcf)?;
    let local = &cards["Challenge North Staffs hate crime service"];
    assert_eq!(local.0, vec!["01632 960 408".to_owned()]);
    assert_eq!(local.1, "Helplines");
    assert!(cards.contains_key("Galop LGBT+ domestic abuse helpline"));
    assert!(!cards.contains_key("National Domestic Abuse Helpline"));
    Ok(())
}
