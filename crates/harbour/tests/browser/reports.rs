//! The commissioner opens the report pack from the home page, picks a quarter, compares the
//! areas at 99.8%, opens the control chart and draws it as an XmR chart, and downloads the
//! spreadsheet and a table as CSV; axe checks every page.

use super::*;
use harbour_testkit::cases::{Case, triaged_referral};

#[tokio::test]
async fn the_commissioner_picks_a_quarter_compares_areas_and_downloads_the_pack() -> R {
    let app = TestApp::spawn().await?;
    for (given_name, family_name, area, postcode) in [
        ("Alys", "Brereton", "E07000197", "ST16 2DH"),
        ("Maren", "Oakes", "E07000197", "ST16 2DH"),
        ("Nia", "Hollis", "E07000195", "ST5 1AA"),
    ] {
        let case = Case {
            given_name,
            family_name,
            area,
            postcode,
            ..Case::default()
        };
        triaged_referral(&app.db, case).await?;
    }
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    sign_in(&b, &app, &demo_email(Role::Commissioner), DEMO_PASSWORD).await?;
    follow_at(&b, Locator::LinkText("The report pack for last quarter")).await?;
    assert!(text_of(&b, "h1").await?.starts_with("Reports: "));
    audit_page(&b, &mut violations).await?;

    // This quarter so far holds the three referrals.
    let quarter = harbour_domain::marac::dataset::Quarter::of(harbour_domain::calendar::uk_date(
        chrono::Utc::now(),
    ));
    b.client
        .find(Locator::Css(&format!(
            "#period option[value='{}']",
            quarter.slug()
        )))
        .await?
        .click()
        .await?;
    b.client
        .find(Locator::Css("#confidence option[value='99.8']"))
        .await?
        .click()
        .await?;
    follow(&b, "form#choose button").await?;
    assert_eq!(
        text_of(&b, "h1").await?,
        format!("Reports: {}", quarter.label())
    );
    let areas = text_of(&b, "#table-referrals-by-area").await?;
    assert!(areas.contains("Compared with the partnership"), "{areas}");
    assert!(
        areas.contains("Stafford") && areas.contains("<5"),
        "{areas}"
    );
    assert!(!areas.contains("Brereton"));
    assert!(
        b.client
            .find(Locator::Css(
                "svg[aria-labelledby='funnel-plot-title funnel-plot-desc']"
            ))
            .await
            .is_ok(),
        "the funnel plot of areas"
    );
    audit_page(&b, &mut violations).await?;

    // One area against its own past.
    b.client
        .find(Locator::Css("#area option[value='E07000197']"))
        .await?
        .click()
        .await?;
    follow(&b, "form#choose button").await?;
    assert!(
        text_of(&b, ".govuk-caption-l")
            .await?
            .contains("in Stafford")
    );
    audit_page(&b, &mut violations).await?;

    // The downloads, fetched as the browser would with this session.
    let fetch = |href: &str| {
        format!(
            "return fetch('{href}').then(r => r.arrayBuffer().then(body => \
             [r.status, r.headers.get('content-type'), r.headers.get('content-disposition'), body.byteLength]))"
        )
    };
    for css in [
        "a[href^='/reports/pack.xlsx']",
        "a[href^='/reports/csv/referrals-by-area']",
    ] {
        let href = b
            .client
            .find(Locator::Css(css))
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        let got = b.client.execute(&fetch(&href), vec![]).await?;
        assert_eq!(got[0], 200, "{href}: {got}");
        assert!(
            got[2].as_str().is_some_and(|d| d.starts_with("attachment")),
            "{href}: {got}"
        );
        assert!(got[3].as_u64().is_some_and(|n| n > 100), "{href}: {got}");
        let kind = got[1].as_str().unwrap_or_default();
        assert!(
            kind.starts_with("text/csv") || kind.contains("spreadsheetml"),
            "{kind}"
        );
    }

    // The control chart, drawn as an XmR chart.
    follow(&b, "a[href^='/reports/months']").await?;
    assert_eq!(text_of(&b, "h1").await?, "Unusual months");
    audit_page(&b, &mut violations).await?;
    click(&b, "#chart-xmr").await?;
    follow(&b, "form[action='/reports/months'] button").await?;
    assert!(
        b.client
            .find(Locator::Css(
                "svg[aria-labelledby='control-chart-title control-chart-desc']"
            ))
            .await
            .is_ok()
    );
    assert!(text_of(&b, "main").await?.contains("XmR chart"));
    audit_page(&b, &mut violations).await?;
    // A baseline the wrong way round is refused beside its field.
    let months = b
        .client
        .find_all(Locator::Css("#baseline_from option"))
        .await?;
    let first = months[1].attr("value").await?.unwrap_or_default();
    let last = months[months.len() - 1]
        .attr("value")
        .await?
        .unwrap_or_default();
    b.client
        .find(Locator::Css(&format!(
            "#baseline_from option[value='{last}']"
        )))
        .await?
        .click()
        .await?;
    b.client
        .find(Locator::Css(&format!(
            "#baseline_to option[value='{first}']"
        )))
        .await?
        .click()
        .await?;
    follow(&b, "form[action='/reports/months'] button").await?;
    assert!(
        text_of(&b, ".govuk-error-summary")
            .await?
            .contains("The baseline's last month must be after its first month")
    );
    // What was chosen is still chosen.
    let kept = b
        .client
        .find(Locator::Css("#baseline_from"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some(last.as_str()));
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(violations.is_empty(), "{violations:#?}");
    Ok(())
}
