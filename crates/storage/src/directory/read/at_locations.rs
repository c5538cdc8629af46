//! Services at locations: one in full, and pages of list items.

use super::*;

/// The places each service is delivered, nested with their location, by service id.
pub(super) async fn service_at_locations_of(
    db: &Db,
    service_ids: &[String],
    view: View,
) -> Result<HashMap<String, Vec<ServiceAtLocation>>> {
    let rows = rows_for(
        db,
        "SELECT service_id AS owner, id, service_id, location_id, description FROM dir_service_at_locations WHERE service_id",
        "ORDER BY id",
        service_ids,
    )
    .await?;
    let sal_ids: Vec<String> = rows.iter().map(id).collect::<Result<_>>()?;
    let location_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("location_id"))
        .collect::<std::result::Result<_, _>>()?;
    let locations = locations(db, &location_ids, view).await?;
    let mut schedules = schedules_by(db, "service_at_location_id", &sal_ids).await?;
    let mut phones = phones_by(db, "service_at_location_id", &sal_ids, view).await?;
    grouped(&rows, "owner", |r| {
        let sid = id(r)?;
        let location_id: String = r.try_get("location_id")?;
        // Absent from the map only when withheld from the public: leave the pair out.
        if view == View::Public && !locations.contains_key(&location_id) {
            return Ok(None);
        }
        Ok(Some(ServiceAtLocation {
            schedules: schedules.remove(&sid).unwrap_or_default(),
            phones: phones.remove(&sid).unwrap_or_default(),
            id: sid,
            service_id: Some(r.try_get("service_id")?),
            description: text(r, "description")?,
            location: locations.get(&location_id).cloned(),
            location_id: Some(location_id),
            service: None,
        }))
    })
}

/// One service-at-location, fully nested with its location and its service.
pub async fn service_at_location_full(
    db: &Db,
    sal_id: &str,
    view: View,
) -> Result<Option<ServiceAtLocation>> {
    let Some(row) = sqlx::query("SELECT service_id FROM dir_service_at_locations WHERE id = $1")
        .bind(sal_id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let service_id: String = row.try_get("service_id")?;
    let Some(mut service) = services_full(db, &[service_id], view).await?.pop() else {
        return Ok(None);
    };
    let Some(pos) = service
        .service_at_locations
        .iter()
        .position(|x| x.id == sal_id)
    else {
        return Ok(None);
    };
    let mut sal = service.service_at_locations.remove(pos);
    service.service_at_locations.clear();
    sal.service = Some(Box::new(service));
    Ok(Some(sal))
}

/// Service-at-location list items: scalars, with the location's and service's scalars.
pub async fn service_at_location_items(
    db: &Db,
    ids: &[String],
    view: View,
) -> Result<Vec<ServiceAtLocation>> {
    let rows = rows_for(
        db,
        "SELECT id, service_id, location_id, description FROM dir_service_at_locations WHERE id",
        "",
        ids,
    )
    .await?;
    let location_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("location_id"))
        .collect::<std::result::Result<_, _>>()?;
    let service_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("service_id"))
        .collect::<std::result::Result<_, _>>()?;
    let locations = locations(db, &location_ids, view).await?;
    let services: HashMap<String, Service> = service_items(db, &service_ids)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut by_id = HashMap::new();
    for r in &rows {
        let location_id: String = r.try_get("location_id")?;
        let service_id: String = r.try_get("service_id")?;
        let location = locations.get(&location_id).map(|l| Location {
            addresses: vec![],
            accessibility: vec![],
            phones: vec![],
            ..l.clone()
        });
        let service = services.get(&service_id).map(|s| Service {
            organization: None,
            ..s.clone()
        });
        by_id.insert(
            id(r)?,
            ServiceAtLocation {
                id: id(r)?,
                service_id: Some(service_id),
                location_id: Some(location_id),
                description: text(r, "description")?,
                location,
                service: service.map(Box::new),
                ..ServiceAtLocation::default()
            },
        );
    }
    Ok(ids.iter().filter_map(|i| by_id.remove(i)).collect())
}
