//! Who a person is, for matching them to services: where they live (the chain of areas that
//! holds their area, and their postcode's point), their age and gender, the crime, and the
//! needs and tier decided at triage. Used by the triage page and the contact bundle.

use crate::areas::list_areas;
use crate::db::Db;
use crate::error::Result;
use crate::postcodes::locate;
use crate::referrals::ReferralView;
use harbour_domain::coverage::area_chain;
use harbour_domain::directory::{GenderEligibility, Whereabouts};
use harbour_domain::matching::Seeker;
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_domain::postcode::Postcode;

/// The seeker for the person on `r`, with `needs` and `tier` as slugs (unknown ones ignored).
pub async fn seeker_for(
    db: &Db,
    r: &ReferralView,
    age: Option<u32>,
    needs: &[String],
    tier: &str,
) -> Result<Seeker> {
    let area = r.person.area.clone().or_else(|| r.area.clone());
    let chain = match area {
        Some(a) => area_chain(&a, &list_areas(db).await?),
        None => Vec::new(),
    };
    let point = match Postcode::parse(&r.person.postcode) {
        Some(p) => locate(db, &p).await?.map(|(pt, _)| pt),
        None => None,
    };
    Ok(Seeker {
        whereabouts: Whereabouts::new(chain, point),
        age,
        gender: GenderEligibility::of_person(&r.person.gender),
        crime: Some(r.crime_category),
        needs: needs
            .iter()
            .filter_map(|n| NeedCategory::from_slug(n))
            .collect(),
        tier: ServiceTier::from_slug(tier),
    })
}
