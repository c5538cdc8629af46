//! Services as matching and the coverage view see them: who each is for, where it works, how
//! much room it has. Built from the directory tables in four queries, whatever their size.

use crate::db::Db;
use crate::error::Result;
use crate::scoped::ScopedStore;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::directory::{
    AreaServed, Capacity, Eligibility, GenderEligibility, HarbourTaxonomy, ReferralRoute,
    ServiceProfile, ServiceStatus,
};
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_domain::permission::Action;
use harbour_domain::place::Region;
use sqlx::Row;
use std::collections::HashMap;

/// Every service in the directory, as profiles, by name.
pub async fn service_profiles(db: &Db) -> Result<Vec<ServiceProfile>> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, o.name AS organization, s.status, s.minimum_age, s.maximum_age, s.gender, \
         s.referral_route, s.capacity_unit, s.capacity_free, s.capacity_total, s.capacity_updated_at \
         FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id ORDER BY s.name, s.id",
    )
    .fetch_all(db.pool())
    .await?;

    let needs_id = HarbourTaxonomy::Needs.id().to_string();
    let tiers_id = HarbourTaxonomy::Tiers.id().to_string();
    let crimes_id = HarbourTaxonomy::Crimes.id().to_string();
    let mut terms: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in sqlx::query(
        "SELECT a.link_id, t.taxonomy_id, t.code FROM dir_attributes a \
         JOIN dir_taxonomy_terms t ON t.id = a.taxonomy_term_id WHERE t.taxonomy_id IN ($1, $2, $3)",
    )
    .bind(&needs_id)
    .bind(&tiers_id)
    .bind(&crimes_id)
    .fetch_all(db.pool())
    .await?
    {
        let code: Option<String> = r.try_get("code")?;
        terms
            .entry(r.try_get("link_id")?)
            .or_default()
            .push((r.try_get("taxonomy_id")?, code.unwrap_or_default()));
    }

    let mut touches: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query("SELECT service_area_id, area_code FROM dir_service_area_touches")
        .fetch_all(db.pool())
        .await?
    {
        touches
            .entry(r.try_get("service_area_id")?)
            .or_default()
            .push(r.try_get("area_code")?);
    }
    let mut areas: HashMap<String, Vec<AreaServed>> = HashMap::new();
    for r in
        sqlx::query("SELECT id, service_id, area_code, extent_type, extent FROM dir_service_areas")
            .fetch_all(db.pool())
            .await?
    {
        let service_id: String = r.try_get("service_id")?;
        let code: Option<String> = r.try_get("area_code")?;
        let extent_type: Option<String> = r.try_get("extent_type")?;
        let extent: Option<String> = r.try_get("extent")?;
        let served = match (code, extent_type.as_deref(), extent) {
            (Some(code), _, _) => Some(AreaServed::Named(code)),
            (None, Some("geojson"), Some(extent)) => {
                Region::from_geojson(&extent).ok().map(|region| {
                    let id: String = r.try_get("id").unwrap_or_default();
                    AreaServed::Drawn {
                        region,
                        touches: touches.remove(&id).unwrap_or_default(),
                    }
                })
            }
            _ => None,
        };
        if let Some(a) = served {
            areas.entry(service_id).or_default().push(a);
        }
    }

    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        let mut eligibility = Eligibility {
            minimum_age: r
                .try_get::<Option<i64>, _>("minimum_age")?
                .and_then(|a| u32::try_from(a).ok()),
            maximum_age: r
                .try_get::<Option<i64>, _>("maximum_age")?
                .and_then(|a| u32::try_from(a).ok()),
            gender: GenderEligibility::from_slug(&r.try_get::<String, _>("gender")?),
            ..Eligibility::default()
        };
        for (taxonomy, code) in terms.remove(&id).unwrap_or_default() {
            if taxonomy == needs_id {
                eligibility.needs.extend(NeedCategory::from_slug(&code));
            } else if taxonomy == tiers_id {
                eligibility.tiers.extend(ServiceTier::from_slug(&code));
            } else if taxonomy == crimes_id {
                eligibility
                    .crime_categories
                    .extend(CrimeCategory::from_slug(&code));
            }
        }
        let capacity = match (
            r.try_get::<Option<String>, _>("capacity_unit")?,
            r.try_get::<Option<i64>, _>("capacity_free")?,
        ) {
            (Some(unit), Some(free)) => Some(Capacity {
                unit,
                free: u32::try_from(free).unwrap_or(0),
                total: r
                    .try_get::<Option<i64>, _>("capacity_total")?
                    .and_then(|t| u32::try_from(t).ok()),
                updated_at: r
                    .try_get::<Option<String>, _>("capacity_updated_at")?
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                    .map_or(chrono::DateTime::UNIX_EPOCH, |t| {
                        t.with_timezone(&chrono::Utc)
                    }),
            }),
            _ => None,
        };
        out.push(ServiceProfile {
            id: uuid::Uuid::parse_str(&id).unwrap_or_default(),
            name: r.try_get("name")?,
            organization: r.try_get("organization")?,
            status: ServiceStatus::from_code(&r.try_get::<String, _>("status")?)
                .unwrap_or(ServiceStatus::Inactive),
            eligibility,
            areas: areas.remove(&id).unwrap_or_default(),
            referral_route: ReferralRoute::from_slug(&r.try_get::<String, _>("referral_route")?)
                .unwrap_or(ReferralRoute::Harbour),
            capacity,
        });
    }
    Ok(out)
}

/// How long the coverage view may reuse service profiles read from the database. A change made
/// through this process clears them at once; one made by another process shows within this.
pub const PROFILES_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Every directory service's profile as last read, for the coverage view and matching.
#[derive(Default)]
struct Profiles(crate::cache::Cached<std::sync::Arc<Vec<ServiceProfile>>>);

/// The profiles, reused for up to [`PROFILES_FOR`].
pub async fn cached_service_profiles(db: &Db) -> Result<std::sync::Arc<Vec<ServiceProfile>>> {
    if let Some(p) = db.owned::<Profiles>().0.fresh(PROFILES_FOR) {
        return Ok(p);
    }
    let p = std::sync::Arc::new(service_profiles(db).await?);
    db.owned::<Profiles>().0.keep(p.clone());
    Ok(p)
}

/// After any change to the directory in this process.
pub(crate) fn forget(db: &Db) {
    db.owned::<Profiles>().0.forget();
}

impl ScopedStore {
    /// Service profiles for matching a person the hub is triaging.
    pub async fn matching_profiles(&self) -> Result<std::sync::Arc<Vec<ServiceProfile>>> {
        self.grant(Action::TriageReferral)?;
        cached_service_profiles(self.db()).await
    }

    /// Service profiles for the coverage view: figures about services, no personal data.
    pub async fn coverage_profiles(&self) -> Result<std::sync::Arc<Vec<ServiceProfile>>> {
        self.grant(Action::ViewCoverage)?;
        cached_service_profiles(self.db()).await
    }
}
