//! The permission model: which role may take which action, and over how much.
//!
//! It is data ([`GRANTS`]), read by one function ([`authorize`]) that hands back a
//! [`Grant`] — a capability that names the scope the caller may work in — or a
//! [`Denied`]. Anything not granted is denied.

use crate::role::Role;
use serde::Serialize;

/// Something a person can ask Harbour to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See one's own account, sign out everywhere.
    ViewOwnAccount,
    ViewAgencies,
    ManageAgencies,
    ViewPeople,
    ManagePeople,
    ManageApiTokens,
    ViewAudit,
    /// Submit a referral into the gateway (and keep drafts of one's own).
    SubmitReferral,
    /// See the status of referrals one made (or one's agency made, for an integration).
    ViewOwnReferrals,
    /// Work the hub's queue: read referrals in full.
    ViewReferrals,
    /// Record a triage decision.
    TriageReferral,
    /// See what a referral says about a person beside the details held, and choose between
    /// them field by field: the only way the held details change.
    ConfirmPersonDetails,
    /// Load a bulk file of referrals.
    ImportReferrals,
    /// Read the service directory with its confidential fields (refuge addresses, direct lines).
    ViewDirectory,
    /// Keep directory entries current: details, eligibility, capacity, "last checked".
    ManageDirectory,
    /// See the coverage view: services per area and need, and the gaps (aggregate, no personal data).
    ViewCoverage,
    /// Refer a triaged person on to services, with consent recorded per recipient; re-route a
    /// declined referral, withdraw one.
    ReferOnward,
    /// Share without consent on a recorded legal basis (safeguarding, MARAC).
    ShareWithoutConsent,
    /// Work the partner inbox: the onward referrals sent to one's agency's services, and the
    /// person's details as far as the stage and consent allow.
    ReceiveReferrals,
    /// Log an attempt to contact a person, and review a channel an unsafe attempt suspended.
    RecordContact,
    /// Open one onward referral and take the steps one's side may take: the sender's (the hub)
    /// or the receiving service's. Which side, if any, is decided per referral.
    WorkOnwardReferral,
    /// Decide whether a possible match is the same person, and merge or unmerge people.
    RecognisePeople,
    /// See a person's history: their referrals across agencies, as far as the scope reaches.
    ViewPersonHistory,
    /// Set where person recognition links and proposes, and train its model again (figures
    /// only, never a record).
    ManageRecognition,
    /// Work the cases of one's agency: read them, write notes, record contact and reviews.
    WorkCases,
    /// Oversee one's agency's caseload: allocate and reassign cases, see every review due, and
    /// read the restricted notes written in the agency.
    ManageCases,
    /// List every case of one's agency, not only one's own: a manager, and an agency's own case
    /// system through the API.
    ViewAgencyCaseload,
    /// Run MARACs: schedule meetings, keep the agenda, record the meeting, chase actions, make
    /// the quarterly return.
    ManageMarac,
    /// Take part in the MARACs one's agency attends: see their agendas and cases, complete the
    /// agency's research, update its actions.
    AttendMarac,
    /// Refer a high-risk victim to MARAC.
    ReferToMarac,
    /// Read the partnership's reports: aggregate figures only, small numbers suppressed, never
    /// a person.
    ViewStatistics,
    /// Write community alerts for one's agency, see how many subscribers one would reach, send
    /// it, update and cancel it, and see its delivery report (counts only, never who).
    SendAlerts,
    /// Approve a colleague's alert where the agency asks for approval (never one's own).
    ApproveAlerts,
    /// Help a subscriber who asks: find a subscription by its exact e-mail address, send its
    /// owner a link, delete it. Every look is audited.
    SupportSubscribers,
    /// Keep the topics subscribers choose from and alerts are about: add them, retire them.
    ManageAlertTopics,
    /// Keep the retention schedules, see what each night's run found due, approve or decline
    /// its erasure (counts only, never a record).
    ManageRetention,
    /// Place a legal hold on a person's records or one referral's, and lift it: nothing held is
    /// erased. Finding the person by a referral's reference shows who they are.
    HoldRecords,
    /// Record a person's request to have their records erased, see what is held about them, and
    /// decide it: erase everything about them, or refuse on a ground.
    HandleErasureRequests,
    /// Answer a person's request to see what is held about them: gather it across agencies,
    /// redact or release what is about others, and export it.
    AnswerSubjectAccess,
}

impl Action {
    pub const ALL: [Action; 39] = [
        Action::ViewOwnAccount,
        Action::ViewAgencies,
        Action::ManageAgencies,
        Action::ViewPeople,
        Action::ManagePeople,
        Action::ManageApiTokens,
        Action::ViewAudit,
        Action::SubmitReferral,
        Action::ViewOwnReferrals,
        Action::ViewReferrals,
        Action::TriageReferral,
        Action::ConfirmPersonDetails,
        Action::ImportReferrals,
        Action::ViewDirectory,
        Action::ManageDirectory,
        Action::ViewCoverage,
        Action::ReferOnward,
        Action::ShareWithoutConsent,
        Action::ReceiveReferrals,
        Action::RecordContact,
        Action::WorkOnwardReferral,
        Action::RecognisePeople,
        Action::ViewPersonHistory,
        Action::ManageRecognition,
        Action::WorkCases,
        Action::ManageCases,
        Action::ViewAgencyCaseload,
        Action::ManageMarac,
        Action::AttendMarac,
        Action::ReferToMarac,
        Action::ViewStatistics,
        Action::SendAlerts,
        Action::ApproveAlerts,
        Action::SupportSubscribers,
        Action::ManageAlertTopics,
        Action::ManageRetention,
        Action::HoldRecords,
        Action::HandleErasureRequests,
        Action::AnswerSubjectAccess,
    ];
}

/// How far a grant reaches, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Records about, or made by, the person themself.
    Own,
    /// Records held by the person's own agency.
    Agency,
    /// The agency's own records and those shared with it by consent or a recorded legal basis.
    SharedWithAgency,
    /// Everything in the partnership.
    Partnership,
}

/// The permission table. One row per (role, action); a role absent for an action is denied it.
#[rustfmt::skip]
pub const GRANTS: &[(Role, Action, Scope)] = &[
    (Role::Administrator, Action::ViewOwnAccount, Scope::Own),
    (Role::Administrator, Action::ViewAgencies, Scope::Partnership),
    (Role::Administrator, Action::ManageAgencies, Scope::Partnership),
    (Role::Administrator, Action::ViewPeople, Scope::Partnership),
    (Role::Administrator, Action::ManagePeople, Scope::Partnership),
    (Role::Administrator, Action::ManageApiTokens, Scope::Partnership),
    // Administrators answer for what happens in the partnership, so they can read the trail;
    // nobody can change it.
    (Role::Administrator, Action::ViewAudit, Scope::Partnership),
    (Role::TriageOfficer, Action::ViewOwnAccount, Scope::Own),
    (Role::TriageOfficer, Action::ViewAgencies, Scope::Partnership),
    (Role::TriageOfficer, Action::ViewPeople, Scope::Agency),
    (Role::Caseworker, Action::ViewOwnAccount, Scope::Own),
    (Role::Caseworker, Action::ViewAgencies, Scope::Partnership),
    (Role::Caseworker, Action::ViewPeople, Scope::Agency),
    (Role::Referrer, Action::ViewOwnAccount, Scope::Own),
    (Role::MaracCoordinator, Action::ViewOwnAccount, Scope::Own),
    (Role::MaracCoordinator, Action::ViewAgencies, Scope::Partnership),
    (Role::MaracCoordinator, Action::ViewPeople, Scope::Agency),
    (Role::Commissioner, Action::ViewOwnAccount, Scope::Own),
    (Role::Commissioner, Action::ViewAgencies, Scope::Partnership),
    (Role::Auditor, Action::ViewOwnAccount, Scope::Own),
    (Role::Auditor, Action::ViewAgencies, Scope::Partnership),
    (Role::Auditor, Action::ViewPeople, Scope::Partnership),
    (Role::Auditor, Action::ViewAudit, Scope::Partnership),
    (Role::Integration, Action::ViewAgencies, Scope::Partnership),
    // Referrals. Referrers see what became of their own; the hub reads and triages them all.
    (Role::Referrer, Action::SubmitReferral, Scope::Own),
    (Role::Referrer, Action::ViewOwnReferrals, Scope::Own),
    (Role::Referrer, Action::ImportReferrals, Scope::Agency),
    (Role::Caseworker, Action::SubmitReferral, Scope::Own),
    (Role::Caseworker, Action::ViewOwnReferrals, Scope::Own),
    (Role::TriageOfficer, Action::SubmitReferral, Scope::Own),
    (Role::TriageOfficer, Action::ViewOwnReferrals, Scope::Own),
    (Role::TriageOfficer, Action::ViewReferrals, Scope::Partnership),
    (Role::TriageOfficer, Action::TriageReferral, Scope::Partnership),
    (Role::TriageOfficer, Action::ImportReferrals, Scope::Partnership),
    // The hub sees every referral about a person, so it is the hub that confirms which details
    // are right when referrals disagree.
    (Role::TriageOfficer, Action::ConfirmPersonDetails, Scope::Partnership),
    (Role::Integration, Action::SubmitReferral, Scope::Agency),
    (Role::Integration, Action::ViewOwnReferrals, Scope::Agency),
    (Role::Integration, Action::ImportReferrals, Scope::Agency),
    // The directory. Every member of staff may read it whole (partners need the direct lines);
    // administrators keep all of it, and a service's own caseworkers keep their agency's entries.
    (Role::Administrator, Action::ViewDirectory, Scope::Partnership),
    (Role::TriageOfficer, Action::ViewDirectory, Scope::Partnership),
    (Role::Caseworker, Action::ViewDirectory, Scope::Partnership),
    (Role::Referrer, Action::ViewDirectory, Scope::Partnership),
    (Role::MaracCoordinator, Action::ViewDirectory, Scope::Partnership),
    (Role::Commissioner, Action::ViewDirectory, Scope::Partnership),
    (Role::Administrator, Action::ManageDirectory, Scope::Partnership),
    (Role::Caseworker, Action::ManageDirectory, Scope::Agency),
    (Role::Administrator, Action::ViewCoverage, Scope::Partnership),
    (Role::TriageOfficer, Action::ViewCoverage, Scope::Partnership),
    (Role::Commissioner, Action::ViewCoverage, Scope::Partnership),
    // The partnership's reports: the commissioner who funds the services, the administrator, the
    // managers of the services counted, and the analysts' own tools through an API token.
    (Role::Commissioner, Action::ViewStatistics, Scope::Partnership),
    (Role::Administrator, Action::ViewStatistics, Scope::Partnership),
    (Role::ServiceManager, Action::ViewStatistics, Scope::Partnership),
    (Role::Integration, Action::ViewStatistics, Scope::Partnership),
    // Onward referrals: the hub refers on and may share without consent on a legal basis, as may
    // the MARAC coordinator; a service's caseworkers work their agency's inbox and see only what
    // was sent to it.
    (Role::TriageOfficer, Action::ReferOnward, Scope::Partnership),
    (Role::TriageOfficer, Action::ShareWithoutConsent, Scope::Partnership),
    (Role::MaracCoordinator, Action::ShareWithoutConsent, Scope::Partnership),
    (Role::Caseworker, Action::ReceiveReferrals, Scope::SharedWithAgency),
    (Role::Caseworker, Action::RecordContact, Scope::SharedWithAgency),
    (Role::TriageOfficer, Action::RecordContact, Scope::Partnership),
    (Role::TriageOfficer, Action::WorkOnwardReferral, Scope::Partnership),
    (Role::Caseworker, Action::WorkOnwardReferral, Scope::SharedWithAgency),
    // An agency's own case system works its inbox through the API, seeing what its caseworkers
    // would see.
    (Role::Integration, Action::ReceiveReferrals, Scope::SharedWithAgency),
    (Role::Integration, Action::WorkOnwardReferral, Scope::SharedWithAgency),
    // Person recognition. The hub sees every referral, so it decides who is the same person;
    // a service's caseworkers see a person's history only as far as it was shared with their
    // agency. Administrators tune it and retrain it without reading any record.
    (Role::TriageOfficer, Action::RecognisePeople, Scope::Partnership),
    (Role::TriageOfficer, Action::ViewPersonHistory, Scope::Partnership),
    (Role::Caseworker, Action::ViewPersonHistory, Scope::SharedWithAgency),
    (Role::Administrator, Action::ManageRecognition, Scope::Partnership),
    // Casework. A case belongs to the service's agency: its caseworkers work it, and its
    // managers (a role of their own, since allocating work and reading colleagues' restricted
    // notes is a line manager's duty, not every caseworker's) oversee the caseload. A manager
    // usually also holds the caseworker role; without it they still see and answer the inbox.
    (Role::Caseworker, Action::WorkCases, Scope::Agency),
    (Role::ServiceManager, Action::WorkCases, Scope::Agency),
    (Role::ServiceManager, Action::ManageCases, Scope::Agency),
    (Role::ServiceManager, Action::ViewAgencyCaseload, Scope::Agency),
    // An agency's own case system reads its cases and adds notes and readings; it allocates
    // nothing and reads no restricted note.
    (Role::Integration, Action::WorkCases, Scope::Agency),
    (Role::Integration, Action::ViewAgencyCaseload, Scope::Agency),
    // MARAC: the coordinator runs every MARAC in the partnership; staff of the agencies that
    // attend one take part in it; anyone who may work with a victim may refer them.
    (Role::MaracCoordinator, Action::ManageMarac, Scope::Partnership),
    (Role::MaracCoordinator, Action::AttendMarac, Scope::Partnership),
    (Role::MaracCoordinator, Action::ReferToMarac, Scope::Partnership),
    (Role::TriageOfficer, Action::AttendMarac, Scope::Agency),
    (Role::TriageOfficer, Action::ReferToMarac, Scope::Agency),
    (Role::Caseworker, Action::AttendMarac, Scope::Agency),
    (Role::Caseworker, Action::ReferToMarac, Scope::Agency),
    (Role::ServiceManager, Action::AttendMarac, Scope::Agency),
    (Role::ServiceManager, Action::ReferToMarac, Scope::Agency),
    (Role::Referrer, Action::AttendMarac, Scope::Agency),
    (Role::Referrer, Action::ReferToMarac, Scope::Agency),
    (Role::ServiceManager, Action::ViewOwnAccount, Scope::Own),
    (Role::ServiceManager, Action::ViewAgencies, Scope::Partnership),
    (Role::ServiceManager, Action::ViewPeople, Scope::Agency),
    (Role::ServiceManager, Action::ViewDirectory, Scope::Partnership),
    (Role::ServiceManager, Action::ReceiveReferrals, Scope::SharedWithAgency),
    (Role::ServiceManager, Action::WorkOnwardReferral, Scope::SharedWithAgency),
    (Role::ServiceManager, Action::RecordContact, Scope::SharedWithAgency),
    (Role::ServiceManager, Action::ViewPersonHistory, Scope::SharedWithAgency),
    // Community alerts. Broadcasting to the public is a role of its own, given to the people an
    // agency chooses (a police force's neighbourhood officers, a council's community safety
    // team, fire and rescue's prevention staff), not to everyone who works with victims: an
    // alert reaches thousands at once and speaks for the agency. Alerts belong to the agency
    // that sends them, so a sender sees and amends their agency's alerts, and a colleague
    // approves where the agency asks for it. Nothing in it reads a victim's record, and the
    // subscribers stay invisible: an author sees counts only.
    (Role::AlertAuthor, Action::ViewOwnAccount, Scope::Own),
    (Role::AlertAuthor, Action::ViewAgencies, Scope::Partnership),
    (Role::AlertAuthor, Action::SendAlerts, Scope::Agency),
    (Role::AlertAuthor, Action::ApproveAlerts, Scope::Agency),
    // Administrators answer a subscriber who asks for help, one exact address at a time.
    (Role::Administrator, Action::SupportSubscribers, Scope::Partnership),
    (Role::Administrator, Action::ManageAlertTopics, Scope::Partnership),
    // The data protection officer answers for the partnership's records as a whole: the
    // schedules, each run of erasure, legal holds. Reading victims' records is not part of it.
    (Role::DataProtectionOfficer, Action::ViewOwnAccount, Scope::Own),
    (Role::DataProtectionOfficer, Action::ViewAgencies, Scope::Partnership),
    (Role::DataProtectionOfficer, Action::ManageRetention, Scope::Partnership),
    (Role::DataProtectionOfficer, Action::HoldRecords, Scope::Partnership),
    (Role::DataProtectionOfficer, Action::HandleErasureRequests, Scope::Partnership),
    (Role::DataProtectionOfficer, Action::AnswerSubjectAccess, Scope::Partnership),
];

/// A capability: proof that `action` was authorised, and within which scope.
/// Storage functions that read or write personal data take one, so they cannot be
/// called without a decision having been made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    action: Action,
    scope: Scope,
}

impl Grant {
    pub fn action(&self) -> Action {
        self.action
    }
    pub fn scope(&self) -> Scope {
        self.scope
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not permitted to {action:?}")]
pub struct Denied {
    pub action: Action,
}

/// The widest scope any of `roles` grants for `action`, or [`Denied`].
pub fn authorize(roles: &[Role], action: Action) -> Result<Grant, Denied> {
    GRANTS
        .iter()
        .filter(|(role, a, _)| *a == action && roles.contains(role))
        .map(|(_, _, scope)| *scope)
        .max()
        .map(|scope| Grant { action, scope })
        .ok_or(Denied { action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_roles_means_no_access() {
        for action in Action::ALL {
            assert_eq!(authorize(&[], action), Err(Denied { action }));
        }
    }

    #[test]
    fn widest_scope_wins_when_roles_combine() {
        let grant = authorize(&[Role::Caseworker, Role::Auditor], Action::ViewPeople).unwrap();
        assert_eq!(grant.scope(), Scope::Partnership);
        let grant = authorize(&[Role::Caseworker], Action::ViewPeople).unwrap();
        assert_eq!(grant.scope(), Scope::Agency);
    }

    #[test]
    fn commissioner_sees_no_personal_data() {
        for action in [
            Action::ViewPeople,
            Action::ViewAudit,
            Action::ManagePeople,
            Action::ViewReferrals,
            Action::ViewOwnReferrals,
        ] {
            assert!(authorize(&[Role::Commissioner], action).is_err());
        }
    }

    #[test]
    fn administrators_and_auditors_never_read_victims_records() {
        for role in [Role::Administrator, Role::Auditor] {
            assert!(authorize(&[role], Action::ViewReferrals).is_err());
            assert!(authorize(&[role], Action::TriageReferral).is_err());
        }
    }

    #[test]
    fn only_auditors_and_administrators_read_the_audit_trail() {
        for role in Role::ALL {
            assert_eq!(
                authorize(&[role], Action::ViewAudit).is_ok(),
                matches!(role, Role::Auditor | Role::Administrator),
                "{role:?}"
            );
        }
    }

    #[test]
    fn every_person_can_see_their_own_account_and_no_row_is_repeated() {
        for role in Role::STAFF {
            assert!(authorize(&[role], Action::ViewOwnAccount).is_ok());
        }
        for (i, (r, a, _)) in GRANTS.iter().enumerate() {
            assert!(
                !GRANTS[i + 1..].iter().any(|(r2, a2, _)| r2 == r && a2 == a),
                "{r:?} {a:?} granted twice"
            );
        }
    }
}
