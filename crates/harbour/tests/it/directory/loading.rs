//! Loading the directory: feeds with bad records, reloads, exports between Harbours, postcodes.

use super::*;
use harbour_storage::directory::{self, Loader, View};
use harbour_storage::postcodes;
use harbour_testkit::TestDb;

const EXAMPLE: &str =
    include_str!("../../../../testkit/vendor/oruk-3.0/examples/service_full.json");

fn loader() -> Loader {
    Loader {
        user_id: None,
        agency_id: None,
        label: "test".into(),
        request_id: "test".into(),
    }
}

async fn demo_db() -> anyhow::Result<(TestDb, harbour_storage::Db)> {
    let t = TestDb::new().await?;
    let db = t.open().await?;
    harbour_storage::demo::load_demo(&db).await?;
    Ok((t, db))
}

#[tokio::test]
async fn a_feed_with_a_bad_record_says_which_and_why_and_loads_the_rest() -> R {
    let (_t, db) = demo_db().await?;
    // The standard's own example: its service area's extent is not GeoJSON, and its
    // location is at latitude 100.
    let feed: Value = serde_json::from_str(EXAMPLE)?;
    let mut off_the_globe = feed.clone();
    off_the_globe["id"] = json!("9b2f4c8e-0b9a-4f63-8d0e-6a1c2b3d4e5f");
    off_the_globe["service_areas"][0]["extent_type"] = json!("text");
    let mut good = off_the_globe.clone();
    good["id"] = json!("5a0e3e1c-1d5f-4d7e-9d55-2f6d1f3f2a10");
    good["name"] = json!("Community Counselling (fixed)");
    good["service_at_locations"][0]["location"]["latitude"] = json!(52.8);
    good["service_at_locations"][0]["location"]["longitude"] = json!(-2.1);
    let file =
        json!([feed, off_the_globe, good, { "id": "not-a-uuid", "name": "X", "status": "active" }]);
    let export = directory::parse_file(&file.to_string())?;
    let report = directory::import(&db, &export, &loader()).await?;
    assert_eq!(report.created, 1, "{:?}", report.rejected);
    let reasons: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|(i, _, why)| (*i, why.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0].0 == 0
            && reasons[0].1.contains("service_areas/0")
            && reasons[0].1.contains("GeoJSON"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == 1 && reasons[1].1.contains("latitude"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].0 == 3 && reasons[2].1.contains("UUID"),
        "{reasons:?}"
    );
    // Loading it again updates; nothing is duplicated.
    let again = directory::import(&db, &export, &loader()).await?;
    assert_eq!((again.created, again.updated), (0, 1));
    let ids = directory::search::all_services(&db, &Default::default()).await?;
    assert_eq!(ids.len() as u64, ALL + 1);
    let loaded = directory::read::services_full(
        &db,
        &["5a0e3e1c-1d5f-4d7e-9d55-2f6d1f3f2a10".into()],
        View::Public,
    )
    .await?;
    let errors = Schemas::as_published().errors(Shape::Service, &serde_json::to_value(&loaded[0])?);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        loaded[0].service_at_locations[0]
            .location
            .as_ref()
            .map(|l| l.latitude),
        Some(Some(52.8))
    );
    assert_eq!(
        loaded[0].attributes.len(),
        1,
        "its taxonomy term came with it"
    );
    for bad in ["not json", "{\"nothing\": 1}", "[{\"id\": 5}]"] {
        assert!(directory::parse_file(bad).is_err(), "{bad}");
    }
    Ok(())
}

#[tokio::test]
async fn reloading_a_feed_without_harbours_fields_keeps_them() -> R {
    let (_t, db) = demo_db().await?;
    let mut export = directory::export(&db, View::Partner, &loader()).await?;
    let refuge = export
        .services
        .iter()
        .position(|s| s.name == "New Era refuge")
        .unwrap();
    assert_eq!(
        export.services[refuge]
            .harbour
            .as_ref()
            .and_then(|h| h.capacity_free),
        Some(2)
    );
    // The same services as a council would publish them: no Harbour fields at all.
    for s in &mut export.services {
        s.harbour = None;
        s.description = Some("Updated by the council".into());
    }
    let report = directory::import(&db, &export, &loader()).await?;
    assert_eq!(
        (report.created, report.updated, report.rejected.len()),
        (0, ALL as usize, 0)
    );
    let after = directory::export(&db, View::Partner, &loader()).await?;
    let refuge = after
        .services
        .iter()
        .find(|s| s.name == "New Era refuge")
        .unwrap();
    assert_eq!(
        refuge.description.as_deref(),
        Some("Updated by the council")
    );
    let h = refuge.harbour.as_ref().unwrap();
    assert_eq!(
        (h.capacity_free, h.capacity_total, h.gender.as_deref()),
        (Some(2), Some(9), Some("women"))
    );
    Ok(())
}

#[tokio::test]
async fn an_export_loads_into_another_harbour_unchanged_and_the_public_one_holds_no_secrets() -> R {
    let (_t, db) = demo_db().await?;
    let export = directory::export(&db, View::Partner, &loader()).await?;
    assert_eq!(export.services.len() as u64, ALL);
    let text = serde_json::to_string(&export)?;
    assert!(text.contains("Larkspur"), "the partner export is complete");

    let other = TestDb::new().await?;
    let other_db = other.open().await?;
    harbour_storage::demo::load_demo(&other_db).await?;
    sqlx::query("DELETE FROM dir_attributes")
        .execute(other_db.pool())
        .await?;
    let report = directory::import(&other_db, &directory::parse_file(&text)?, &loader()).await?;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let again = directory::export(&other_db, View::Partner, &loader()).await?;
    assert_eq!(
        serde_json::to_value(&again.services)?,
        serde_json::to_value(&export.services)?
    );

    let public = serde_json::to_string(&directory::export(&db, View::Public, &loader()).await?)?;
    for secret in CONFIDENTIAL {
        assert!(!public.contains(secret), "the public export leaks {secret}");
    }
    Ok(())
}

#[tokio::test]
async fn postcode_files_load_in_either_layout_and_bad_lines_are_named() -> R {
    let t = TestDb::new().await?;
    let db = t.open().await?;
    let (layout, report) =
        postcodes::import_postcodes(&db, postcodes::DEMO_POSTCODES_CSV.as_bytes()).await?;
    assert_eq!(layout, postcodes::Layout::Onspd);
    assert_eq!(
        report.skipped, 2,
        "one terminated, one without a grid reference"
    );
    assert_eq!(report.rejected_count, 0);
    assert_eq!(report.loaded, 277);
    assert_eq!(postcodes::count(&db).await?, 277);
    // Code-Point Open: eastings and northings on the National Grid, no header.
    let code_point = "\"ST16 2ZZ\",10,392000,323000,\"E92000001\",\"\",\"\",\"E10000028\",\"E07000197\",\"E05000000\"\n\
                      \"ST162ZY\",10,392100,323100,\"E92000001\",\"\",\"\",\"E10000028\",\"E07000197\",\"E05000000\"\n\
                      \"NOT A CODE\",10,1,1,\"E92000001\",\"\",\"\",\"\",\"E07000197\",\"\"\n\
                      \"ST16 2ZX\",10,east,323000,\"E92000001\",\"\",\"\",\"\",\"E07000197\",\"\"\n";
    let (layout, report) = postcodes::import_postcodes(&db, code_point.as_bytes()).await?;
    assert_eq!(layout, postcodes::Layout::CodePoint);
    assert_eq!(report.loaded, 2);
    assert_eq!(
        report.rejected.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [3, 4]
    );
    let p = harbour_domain::postcode::Postcode::parse("st16 2zz").unwrap();
    let (point, area) = postcodes::locate(&db, &p).await?.unwrap();
    assert_eq!(area.as_deref(), Some("E07000197"));
    assert!(
        (52.7..52.9).contains(&point.latitude) && (-2.2..-2.0).contains(&point.longitude),
        "{point:?}"
    );
    // A new release loads over the old.
    let (_, again) = postcodes::import_postcodes(&db, code_point.as_bytes()).await?;
    assert_eq!(again.loaded, 2);
    assert_eq!(postcodes::count(&db).await?, 279);
    assert!(
        postcodes::import_postcodes(&db, "name,colour\nx,y\n".as_bytes())
            .await
            .is_err()
    );
    Ok(())
}
