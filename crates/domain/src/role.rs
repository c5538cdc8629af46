//! The roles a member of staff can hold. A person can hold several.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    TriageOfficer,
    Caseworker,
    /// Leads a service's team: allocates its cases and oversees its caseload.
    ServiceManager,
    Referrer,
    MaracCoordinator,
    /// Sees aggregate figures only, never a record about a person.
    Commissioner,
    Auditor,
    /// Sends community alerts for their agency (police, council, fire and rescue, partners),
    /// and approves colleagues' where the agency asks for approval.
    AlertAuthor,
    /// The partnership's data protection officer: keeps the retention schedules, approves each
    /// run of erasure, places legal holds, decides erasure requests and answers subject access.
    DataProtectionOfficer,
    /// An agency's system calling the API with a token. Never held by a person.
    Integration,
}

impl Role {
    /// Roles a person can hold, in the order pages list them.
    pub const STAFF: [Role; 10] = [
        Role::Administrator,
        Role::TriageOfficer,
        Role::Caseworker,
        Role::ServiceManager,
        Role::Referrer,
        Role::MaracCoordinator,
        Role::Commissioner,
        Role::Auditor,
        Role::AlertAuthor,
        Role::DataProtectionOfficer,
    ];

    pub const ALL: [Role; 11] = [
        Role::Administrator,
        Role::TriageOfficer,
        Role::Caseworker,
        Role::ServiceManager,
        Role::Referrer,
        Role::MaracCoordinator,
        Role::Commissioner,
        Role::Auditor,
        Role::AlertAuthor,
        Role::DataProtectionOfficer,
        Role::Integration,
    ];

    /// The stable name stored in the database and used in the API.
    pub fn slug(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::TriageOfficer => "triage_officer",
            Role::Caseworker => "caseworker",
            Role::ServiceManager => "service_manager",
            Role::Referrer => "referrer",
            Role::MaracCoordinator => "marac_coordinator",
            Role::Commissioner => "commissioner",
            Role::Auditor => "auditor",
            Role::AlertAuthor => "alert_author",
            Role::DataProtectionOfficer => "data_protection_officer",
            Role::Integration => "integration",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::TriageOfficer => "Hub triage officer",
            Role::Caseworker => "Caseworker",
            Role::ServiceManager => "Service manager",
            Role::Referrer => "Referrer",
            Role::MaracCoordinator => "MARAC coordinator",
            Role::Commissioner => "Commissioner",
            Role::Auditor => "Auditor",
            Role::AlertAuthor => "Community alerts sender",
            Role::DataProtectionOfficer => "Data protection officer",
            Role::Integration => "Integration",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Role::Administrator => "Manages agencies, people and integrations",
            Role::TriageOfficer => "Works the hub's referral queue",
            Role::Caseworker => "Works the referrals sent to their agency's services",
            Role::ServiceManager => "Allocates their service's cases and oversees its caseload",
            Role::Referrer => "Submits referrals and sees what happened to them",
            Role::MaracCoordinator => "Runs the high-risk case conference",
            Role::Commissioner => "Sees aggregate figures only",
            Role::Auditor => "Searches the audit trail",
            Role::AlertAuthor => "Sends crime-prevention alerts to residents and businesses",
            Role::DataProtectionOfficer => {
                "Keeps records only as long as the schedule says, and answers people's requests about their data"
            }
            Role::Integration => "An agency's system using the API",
        }
    }

    pub fn from_slug(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.slug() == s)
    }

    /// A role an administrator may give a person (not the integration role).
    pub fn staff_from_slug(s: &str) -> Option<Role> {
        Role::STAFF.into_iter().find(|r| r.slug() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        for role in Role::ALL {
            assert_eq!(Role::from_slug(role.slug()), Some(role));
        }
        let mut slugs: Vec<_> = Role::ALL.iter().map(|r| r.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), Role::ALL.len());
        assert_eq!(Role::from_slug("superuser"), None);
    }
}
