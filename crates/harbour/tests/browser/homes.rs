//! Every role starts at its home page and reaches each of its main tasks by clicking, in plain
//! words; every page on the way passes axe.

use super::*;

/// The tasks each role must find on its home page, by address.
fn expected(role: Role) -> &'static [&'static str] {
    match role {
        Role::Referrer => &[
            "/referrals/new",
            "/referrals/mine",
            "/referrals/import",
            "/directory",
        ],
        Role::TriageOfficer => &[
            "/referrals/queue",
            "/onward",
            "/referrals/new",
            "/referrals/mine",
            "/directory",
        ],
        Role::Caseworker => &[
            "/inbox",
            "/cases",
            "/referrals/new",
            "/referrals/mine",
            "/directory",
        ],
        Role::ServiceManager => &["/inbox", "/cases", "/cases?whose=everyone", "/directory"],
        Role::Administrator => &[
            "/admin/agencies",
            "/admin/people",
            "/directory",
            "/audit",
            "/admin/subscribers",
            "/admin/alert-topics",
        ],
        Role::AlertAuthor => &["/community-alerts/new", "/community-alerts"],
        Role::Commissioner => &["/coverage"],
        Role::Auditor => &["/audit", "/admin/people"],
        Role::DataProtectionOfficer => &[
            "/retention",
            "/subject-access",
            "/retention/requests",
            "/retention/holds",
        ],
        _ => &["/account"],
    }
}

#[tokio::test]
async fn every_role_reaches_its_tasks_from_home_by_clicking() -> R {
    let app = TestApp::spawn().await?;
    let b = Browser::start().await?;
    let mut violations = Vec::new();
    for role in [
        Role::Referrer,
        Role::TriageOfficer,
        Role::Caseworker,
        Role::ServiceManager,
        Role::Administrator,
        Role::Commissioner,
        Role::Auditor,
        Role::MaracCoordinator,
        Role::AlertAuthor,
        Role::DataProtectionOfficer,
    ] {
        sign_in(&b, &app, &demo_email(role), DEMO_PASSWORD).await?;
        assert_eq!(b.client.current_url().await?.path(), "/home", "{role:?}");
        audit_page(&b, &mut violations).await?;
        let links = b.client.find_all(Locator::Css("main a[href^='/']")).await?;
        let mut hrefs = Vec::new();
        for l in links {
            if let Some(h) = l.attr("href").await?
                && !hrefs.contains(&h)
            {
                hrefs.push(h);
            }
        }
        for want in expected(role) {
            assert!(
                hrefs.iter().any(|h| h == want),
                "{role:?}'s home has no link to {want}: {hrefs:?}"
            );
        }
        for href in &hrefs {
            b.client.goto(&format!("{}/home", app.url)).await?;
            follow(&b, &format!("main a[href='{href}']")).await?;
            let heading = text_of(&b, "h1").await?;
            assert!(
                !["Page not found", "You do not have access to this page"]
                    .contains(&heading.as_str())
                    && !heading.starts_with("Sorry"),
                "{role:?}: {href} from home shows {heading:?}"
            );
            audit_page(&b, &mut violations).await?;
        }
        // And back home from the navigation.
        follow(&b, "nav a[href='/home']").await?;
        assert_eq!(b.client.current_url().await?.path(), "/home");
        follow(&b, "form[action='/sign-out'] button").await?;
    }
    // The public home page leads to help and to the directory.
    b.client.goto(&app.url).await?;
    follow(&b, "main a[href='/help']").await?;
    audit_page(&b, &mut violations).await?;
    b.client.goto(&app.url).await?;
    follow(&b, "main a[href='/find-support']").await?;
    audit_page(&b, &mut violations).await?;
    b.client.goto(&app.url).await?;
    follow(&b, "main a[href='/alerts']").await?;
    audit_page(&b, &mut violations).await?;
    follow(&b, "main a[href='/alerts/manage']").await?;
    audit_page(&b, &mut violations).await?;
    b.close().await?;
    assert!(
        violations.is_empty(),
        "accessibility violations: {violations:#?}"
    );
    Ok(())
}
