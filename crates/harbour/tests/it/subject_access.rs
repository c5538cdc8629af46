//! Subject access on both databases: the data protection officer records a request; Harbour
//! gathers what it holds about the person across agencies and who has read it; items about
//! others or naming staff wait for the officer's decision; the export, a ZIP with a cover
//! letter, a document and JSON, withholds what was redacted, and its link expires.

use chrono::{Duration, Utc};
use harbour_domain::role::Role;
use harbour_domain::subject_access::{Flag, SarStatus};
use harbour_storage::StorageError;
use harbour_storage::subject_access::field_of;
use harbour_testkit::TestApp;
use harbour_testkit::cases::store_as;
use harbour_testkit::journey::journey;
use std::collections::BTreeMap;
use std::io::Read;

type R = anyhow::Result<()>;

#[tokio::test]
async fn the_officer_reviews_what_is_held_and_exports_it_with_others_withheld() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let j = journey(db, "s5a").await?;
    let dpo = store_as(
        db,
        "Staffordshire Commissioner's Office",
        Role::DataProtectionOfficer,
    )
    .await?;
    let Err(StorageError::Invalid(e)) = dpo.record_subject_access("", "", "", "").await else {
        panic!("an empty request is refused");
    };
    assert!(e.get("reference").is_some() && e.get("asked").is_some());
    let today = harbour_domain::calendar::uk_date(Utc::now());
    let id = dpo
        .record_subject_access(
            &j.reference,
            "writing",
            &today.format("%d/%m/%Y").to_string(),
            "Everything you hold about me",
        )
        .await?;
    let view = dpo.subject_access(&id).await?;
    let titles: Vec<&str> = view.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles[0], "Your details as we hold them");
    assert!(
        titles.iter().any(|t| t.starts_with("Referral to ")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Support from New Era")),
        "{titles:?}"
    );
    assert!(titles.contains(&"Who has read your records"), "{titles:?}");
    let text: String = view
        .sections
        .iter()
        .flat_map(|s| s.items.iter())
        .map(|i| format!("{}: {}\n", i.label, i.text))
        .collect();
    for planted in [
        "Zephyrines5a",
        "casenotes5a",
        "contactnotes5a",
        "onwardnotes5a",
        "referralnotes5a",
    ] {
        assert!(text.contains(planted), "{planted} gathered");
    }
    let flagged = view.flagged();
    assert!(
        flagged
            .iter()
            .any(|(i, _)| i.flag == Some(Flag::ThirdParty) && i.text.contains("Brannochs5a"))
    );
    assert!(flagged.iter().any(|(i, _)| i.flag == Some(Flag::Staff)));

    // Nothing is exported while a flagged item waits.
    let Err(StorageError::Invalid(e)) = dpo.make_subject_access_export(&id).await else {
        panic!("undecided items stop the export");
    };
    assert!(e.get("export").unwrap().contains("Decide the"));
    // A release needs its reason.
    let mut form = BTreeMap::new();
    let first = field_of(&flagged[0].0.key);
    form.insert(format!("choice_{first}"), "release".to_owned());
    let typed = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Err(StorageError::Invalid(e)) = dpo.decide_redactions(&id, &typed).await else {
        panic!("a release without a reason is refused");
    };
    assert!(e.get(&format!("reason_{first}")).is_some());
    // The people who harmed her are withheld; the staff who read her records are released.
    let mut form = BTreeMap::new();
    for (item, _) in &flagged {
        let f = field_of(&item.key);
        let (choice, reason) = if item.flag == Some(Flag::Staff) {
            ("release", "Staff acting in their role")
        } else {
            ("redact", "Information about another person")
        };
        form.insert(format!("choice_{f}"), choice.to_owned());
        form.insert(format!("reason_{f}"), reason.to_owned());
    }
    let typed = |k: &str| form.get(k).cloned().unwrap_or_default();
    assert_eq!(dpo.decide_redactions(&id, &typed).await?, flagged.len());

    // Extended once, with a reason.
    assert!(dpo.extend_subject_access(&id, " ").await.is_err());
    dpo.extend_subject_access(&id, "Records held by four agencies")
        .await?;
    assert!(dpo.extend_subject_access(&id, "Again").await.is_err());
    let extended = dpo.subject_access(&id).await?;
    assert_eq!(
        extended.sar.respond_by,
        extended
            .sar
            .received_on
            .checked_add_months(chrono::Months::new(3))
            .unwrap()
    );

    let secret = dpo.make_subject_access_export(&id).await?;
    assert_eq!(
        dpo.subject_access(&id).await?.sar.status,
        SarStatus::Exported
    );
    assert!(
        dpo.subject_access_export(&id, "not-it", Utc::now())
            .await
            .is_err()
    );
    assert!(
        dpo.subject_access_export(&id, &secret, Utc::now() + Duration::days(8))
            .await
            .is_err(),
        "the link expires"
    );

    // The download, through the page's link.
    let officer = app.signed_in(Role::DataProtectionOfficer).await?;
    let r = officer
        .get(&format!("/subject-access/{id}/export/{secret}"))
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec()))?;
    let mut read = |name: &str| -> anyhow::Result<String> {
        let mut s = String::new();
        zip.by_name(name)?.read_to_string(&mut s)?;
        Ok(s)
    };
    let cover = read("cover-letter.html")?;
    assert!(cover.contains("Dear Zephyrines5a Quillfeathers5a"));
    let records = read("your-records.html")?;
    assert!(records.contains("casenotes5a"));
    assert!(records.contains("[Redacted: about another person]"));
    assert!(!records.contains("Brannochs5a"), "withheld");
    let json: serde_json::Value = serde_json::from_str(&read("your-records.json")?)?;
    assert_eq!(json["name"], "Zephyrines5a Quillfeathers5a");
    assert!(!json.to_string().contains("Brannochs5a"));
    // Someone else's link or anyone else: nothing.
    assert_eq!(
        officer
            .get(&format!("/subject-access/{id}/export/wrong"))
            .await?
            .status(),
        404
    );
    let hub = app.signed_in(Role::TriageOfficer).await?;
    assert_eq!(
        hub.get(&format!("/subject-access/{id}/export/{secret}"))
            .await?
            .status(),
        403
    );
    let downloads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity_kind = 'subject_access' AND purpose = 'subject access export downloaded'",
    )
    .fetch_one(db.pool())
    .await?;
    assert_eq!(downloads, 1);
    Ok(())
}
