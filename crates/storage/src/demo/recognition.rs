//! Demo referrals through intake once recognition is trained, so the hub's possible matches and
//! a recognised repeat have something to show: people from the demo's referrals referred again
//! by the demo police, once misspelt (recognised and linked) and twice with a new phone number
//! and a date of birth a day out or missing (possible matches for the hub). Deterministic: the same people (the first by reference).

use super::onward::store_for;
use crate::db::Db;
use crate::error::Result;
use crate::intake::Submitted;
use crate::referrals::from_json;
use harbour_domain::referral::{Person, ReferralInput};
use harbour_domain::role::Role;
use serde_json::json;

/// Submits the demo's repeat referrals; returns how many were stored.
pub async fn load_demo_recognition(db: &Db) -> Result<usize> {
    let police = store_for(db, Role::Referrer).await?;
    let people: Vec<String> = sqlx::query_scalar(
        "SELECT person_details FROM referrals WHERE crime_category = 'domestic_abuse' \
         AND status <> 'received' ORDER BY reference LIMIT 3",
    )
    .fetch_all(db.pool())
    .await?;
    let mut made = 0;
    for (i, details) in people.iter().enumerate() {
        let p: Person = from_json(details)?;
        let person = if i == 0 {
            // A slip of the keyboard in the given name: the same person, recognised.
            let mut given: Vec<char> = p.given_name.chars().collect();
            if given.len() > 3 {
                given.swap(1, 2);
            }
            json!({ "given_name": given.into_iter().collect::<String>(),
                    "family_name": p.family_name, "date_of_birth": p.date_of_birth,
                    "address": p.address, "area": p.area, "gender": p.gender })
        } else {
            // The same names and address, but another phone number and a date of birth a day
            // out, or none: perhaps the same person, for the hub to decide.
            let born = (i == 1).then(|| p.date_of_birth.map(|d| d + chrono::Duration::days(1)));
            json!({ "given_name": p.given_name, "family_name": p.family_name,
                    "date_of_birth": born.flatten().map(|d| d.to_string()).unwrap_or_default(), "address": p.address, "area": p.area })
        };
        let channel = json!({ "channel": "phone_call", "value": format!("07711 {i}23456") });
        let input: ReferralInput = serde_json::from_value(json!({
            "source": "police",
            "crime_category": "domestic_abuse",
            "police_reference": format!("SP/26/8{i:03}"),
            "reported_to_police": true,
            "incident_date": (chrono::Utc::now().date_naive() - chrono::Duration::days(2)).to_string(),
            "incident_area": p.area,
            "person": person,
            "consent_to_referral": "given",
            "safe_contact": { "channels": [ channel ] },
            "notes": "Demo: referred again."
        }))
        .map_err(|e| crate::error::StorageError::Corrupt(e.to_string()))?;
        if let Submitted::Created(_) = police.submit_referral(&input, None, "demo").await? {
            made += 1;
        }
    }
    Ok(made)
}
