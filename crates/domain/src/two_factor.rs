//! Who must sign in with a second factor: administrators and auditors, and anyone whose roles
//! reach personal data across the whole partnership; everyone, where the partnership's setting
//! says so. Grants that reach no personal data (the directory, the agencies, aggregate figures)
//! do not count, however wide.

use crate::permission::{Action, GRANTS, Scope};
use crate::role::Role;

/// Actions that read or change no personal data, whatever their scope.
const NOT_PERSONAL: [Action; 7] = [
    Action::ViewOwnAccount,
    Action::ViewAgencies,
    Action::ViewDirectory,
    Action::ViewCoverage,
    Action::ViewStatistics,
    Action::ManageRecognition,
    Action::ManageAlertTopics,
];

/// Whether someone holding `roles` must use a second factor to sign in.
pub fn required(roles: &[Role], for_everyone: bool) -> bool {
    for_everyone
        || roles
            .iter()
            .any(|r| matches!(r, Role::Administrator | Role::Auditor))
        || GRANTS.iter().any(|(role, action, scope)| {
            roles.contains(role) && *scope == Scope::Partnership && !NOT_PERSONAL.contains(action)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrators_auditors_and_partnership_wide_readers_need_a_second_factor() {
        for role in [
            Role::Administrator,
            Role::Auditor,
            Role::TriageOfficer,
            Role::MaracCoordinator,
            Role::DataProtectionOfficer,
        ] {
            assert!(required(&[role], false), "{role:?}");
        }
        for role in [
            Role::Caseworker,
            Role::ServiceManager,
            Role::Referrer,
            Role::Commissioner,
            Role::AlertAuthor,
        ] {
            assert!(!required(&[role], false), "{role:?}");
            assert!(
                required(&[role], true),
                "{role:?}: the setting for everyone"
            );
        }
        assert!(required(&[Role::Caseworker, Role::TriageOfficer], false));
    }
}
