//! Casework: what a service does once it has said yes. A case opens when a service accepts an
//! onward referral; it has an allocated caseworker, notes, reviews at set intervals, and ends
//! with a reason. This module holds the rules; storage keeps the records.
//!
//! ```text
//! open ⇄ paused
//!   └──────┴─→ closed ─→ open again (within the reopening period, with a reason)
//! ```

use crate::calendar::WorkingDays;
use crate::needs::ServiceTier;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    /// Support is on hold (the person asked for a break, is in hospital, is away): no review
    /// falls due while paused.
    Paused,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 3] = [CaseStatus::Open, CaseStatus::Paused, CaseStatus::Closed];

    pub fn slug(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Paused => "paused",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Open => "Open",
            CaseStatus::Paused => "Paused",
            CaseStatus::Closed => "Closed",
        }
    }

    pub fn from_slug(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// What a case note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Contact with the person: a call, a visit, a message.
    Contact,
    /// Something done for the person: an application, a referral, an appointment made.
    Action,
    /// A concern about someone's safety, a child's or an adult's.
    SafeguardingConcern,
    /// What another agency said or was told.
    MultiAgency,
}

impl NoteKind {
    pub const ALL: [NoteKind; 4] = [
        NoteKind::Contact,
        NoteKind::Action,
        NoteKind::SafeguardingConcern,
        NoteKind::MultiAgency,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            NoteKind::Contact => "contact",
            NoteKind::Action => "action",
            NoteKind::SafeguardingConcern => "safeguarding_concern",
            NoteKind::MultiAgency => "multi_agency",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Contact => "Contact with the person",
            NoteKind::Action => "Action taken",
            NoteKind::SafeguardingConcern => "Safeguarding concern",
            NoteKind::MultiAgency => "Multi-agency communication",
        }
    }

    pub fn from_slug(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// How often a case is reviewed, by tier: a rule as data, so a partnership may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRule {
    pub tier: ServiceTier,
    /// Calendar days between reviews.
    pub every_days: u32,
}

/// The partnership's review intervals unless it sets others: the more intense the support,
/// the sooner it is looked at again.
pub const REVIEW_RULES: [ReviewRule; 4] = [
    ReviewRule {
        tier: ServiceTier::Acute,
        every_days: 14,
    },
    ReviewRule {
        tier: ServiceTier::Targeted,
        every_days: 42,
    },
    ReviewRule {
        tier: ServiceTier::EarlyIntervention,
        every_days: 56,
    },
    ReviewRule {
        tier: ServiceTier::Prevention,
        every_days: 84,
    },
];

/// The interval for a case with no tier recorded: as targeted support.
pub const DEFAULT_REVIEW_DAYS: u32 = 42;

/// When a case last reviewed (or opened) on `from` is next due a review: the interval its tier's
/// rule sets, moved on to the next working day if it falls on a weekend or bank holiday.
pub fn next_review(
    rules: &[ReviewRule],
    tier: Option<ServiceTier>,
    from: NaiveDate,
    days: &WorkingDays,
) -> NaiveDate {
    let every = tier
        .and_then(|t| rules.iter().find(|r| r.tier == t))
        .map_or(DEFAULT_REVIEW_DAYS, |r| r.every_days);
    let due = from
        .checked_add_days(Days::new(u64::from(every)))
        .unwrap_or(from);
    days.add_working_days(due, 0)
}

/// How a review date reads against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDue {
    Overdue,
    /// Due within the next week.
    DueSoon,
    Later,
}

pub fn review_due(next: NaiveDate, today: NaiveDate) -> ReviewDue {
    if next < today {
        ReviewDue::Overdue
    } else if (next - today).num_days() <= 7 {
        ReviewDue::DueSoon
    } else {
        ReviewDue::Later
    }
}

/// Why a case closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    SupportCompleted,
    DeclinedFurtherSupport,
    /// No contact after the attempts the safe-contact rules allow.
    NoContact,
    MovedAway,
    Transferred,
    Deceased,
    Other,
}

impl ClosureReason {
    pub const ALL: [ClosureReason; 7] = [
        ClosureReason::SupportCompleted,
        ClosureReason::DeclinedFurtherSupport,
        ClosureReason::NoContact,
        ClosureReason::MovedAway,
        ClosureReason::Transferred,
        ClosureReason::Deceased,
        ClosureReason::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ClosureReason::SupportCompleted => "support_completed",
            ClosureReason::DeclinedFurtherSupport => "declined_further_support",
            ClosureReason::NoContact => "no_contact",
            ClosureReason::MovedAway => "moved_away",
            ClosureReason::Transferred => "transferred",
            ClosureReason::Deceased => "deceased",
            ClosureReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClosureReason::SupportCompleted => "Support completed",
            ClosureReason::DeclinedFurtherSupport => "Declined further support",
            ClosureReason::NoContact => "No contact after the safe attempts allowed",
            ClosureReason::MovedAway => "Moved away",
            ClosureReason::Transferred => "Transferred to another service",
            ClosureReason::Deceased => "Deceased",
            ClosureReason::Other => "Other",
        }
    }

    pub fn from_slug(s: &str) -> Option<ClosureReason> {
        ClosureReason::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// The outcome the case's onward referral records when the case closes for this reason, so
    /// the sender hears how support ended.
    pub fn onward_outcome(self) -> crate::onward::Outcome {
        use crate::onward::Outcome;
        match self {
            ClosureReason::SupportCompleted => Outcome::NeedsMet,
            ClosureReason::DeclinedFurtherSupport => Outcome::PersonEndedSupport,
            ClosureReason::NoContact => Outcome::Disengaged,
            ClosureReason::MovedAway => Outcome::MovedAway,
            ClosureReason::Transferred => Outcome::TransferredOn,
            ClosureReason::Deceased | ClosureReason::Other => Outcome::Other,
        }
    }
}

/// An answer to one of the Ministry of Justice's outcome questions at closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeAnswer {
    Yes,
    No,
    /// The person was not asked, or chose not to answer (support ended without contact).
    NotAsked,
}

impl OutcomeAnswer {
    pub const ALL: [OutcomeAnswer; 3] = [
        OutcomeAnswer::Yes,
        OutcomeAnswer::No,
        OutcomeAnswer::NotAsked,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            OutcomeAnswer::Yes => "yes",
            OutcomeAnswer::No => "no",
            OutcomeAnswer::NotAsked => "not_asked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OutcomeAnswer::Yes => "Yes",
            OutcomeAnswer::No => "No",
            OutcomeAnswer::NotAsked => "Not asked, or chose not to say",
        }
    }

    pub fn from_slug(s: &str) -> Option<OutcomeAnswer> {
        OutcomeAnswer::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// The two questions commissioned services answer for each person whose support ends: the
/// words Harbour asks them in.
pub const COPE_QUESTION: &str =
    "Does the person feel better able to cope with the immediate impact of the crime?";
pub const RECOVER_QUESTION: &str =
    "Does the person feel they are on the way to recovering from the harm?";

/// A change of a case's status, and whether it can be made from where the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Pause,
    Resume,
    Close,
    Reopen,
}

/// The status a change leads to, or why it cannot be made now.
pub fn change(from: CaseStatus, change: Change) -> Result<CaseStatus, &'static str> {
    match (from, change) {
        (CaseStatus::Open, Change::Pause) => Ok(CaseStatus::Paused),
        (CaseStatus::Paused, Change::Resume) => Ok(CaseStatus::Open),
        (CaseStatus::Open | CaseStatus::Paused, Change::Close) => Ok(CaseStatus::Closed),
        (CaseStatus::Closed, Change::Reopen) => Ok(CaseStatus::Open),
        (CaseStatus::Paused, Change::Pause) => Err("The case is already paused"),
        (_, Change::Resume) => Err("Only a paused case can be resumed"),
        (CaseStatus::Closed, _) => Err("The case is closed: reopen it first"),
        (_, Change::Reopen) => Err("The case is not closed"),
    }
}

/// Days after closing within which a case may be opened again, rather than a new referral made.
pub const REOPEN_WITHIN_DAYS: i64 = 90;

/// A case closes for no contact only after this many attempts to reach the person, each made
/// within their safe-contact rules (or logged with a reason why not), since they were last spoken
/// to.
pub const NO_CONTACT_ATTEMPTS: i64 = 3;

/// Whether a case closed on `closed_on` may be opened again on `today`.
pub fn may_reopen(closed_on: NaiveDate, today: NaiveDate) -> bool {
    (today - closed_on).num_days() <= REOPEN_WITHIN_DAYS
}

/// The longest note kept (about ten pages of text): a note is a record, not a document store.
pub const MAX_NOTE_CHARS: usize = 20_000;

/// Checks a note's text: something written, and not too long.
pub fn check_note(body: &str) -> Result<&str, &'static str> {
    let body = body.trim();
    if body.is_empty() {
        return Err("Enter the note");
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err("The note must be 20,000 characters or fewer");
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn slugs_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_slug(s.slug()), Some(s));
        }
        for k in NoteKind::ALL {
            assert_eq!(NoteKind::from_slug(k.slug()), Some(k));
        }
        for r in ClosureReason::ALL {
            assert_eq!(ClosureReason::from_slug(r.slug()), Some(r));
        }
    }

    #[test]
    fn acute_cases_are_reviewed_every_two_weeks_and_targeted_every_six() {
        let days = WorkingDays::england_and_wales();
        // Monday 2 March 2026.
        let opened = d(2026, 3, 2);
        assert_eq!(
            next_review(&REVIEW_RULES, Some(ServiceTier::Acute), opened, &days),
            d(2026, 3, 16)
        );
        assert_eq!(
            next_review(&REVIEW_RULES, Some(ServiceTier::Targeted), opened, &days),
            d(2026, 4, 13)
        );
        assert_eq!(
            next_review(&REVIEW_RULES, None, opened, &days),
            d(2026, 4, 13),
            "no tier: as targeted"
        );
    }

    #[test]
    fn a_review_falling_on_a_bank_holiday_or_weekend_moves_to_the_next_working_day() {
        let days = WorkingDays::england_and_wales();
        // Two weeks after Friday 11 December 2026 is Christmas Day; Boxing Day is a Saturday,
        // so its substitute is Monday 28th: the review is on Tuesday 29th.
        assert_eq!(
            next_review(
                &REVIEW_RULES,
                Some(ServiceTier::Acute),
                d(2026, 12, 11),
                &days
            ),
            d(2026, 12, 29)
        );
        // Two weeks after Sunday 8 March is a Sunday: the Monday.
        assert_eq!(
            next_review(
                &REVIEW_RULES,
                Some(ServiceTier::Acute),
                d(2026, 3, 8),
                &days
            ),
            d(2026, 3, 23)
        );
        // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        assert_eq!(
            next_review(
                &REVIEW_RULES,
                Some(ServiceTier::Acute),
                d(2026, 3, 20),
                &days
            ),
            d(2026, 4, 7)
        );
    }

    #[test]
    fn review_due_reads_against_today() {
        let today = d(2026, 6, 10);
        assert_eq!(review_due(d(2026, 6, 9), today), ReviewDue::Overdue);
        assert_eq!(review_due(d(2026, 6, 10), today), ReviewDue::DueSoon);
        assert_eq!(review_due(d(2026, 6, 17), today), ReviewDue::DueSoon);
        assert_eq!(review_due(d(2026, 6, 18), today), ReviewDue::Later);
    }

    #[test]
    fn a_case_changes_only_as_its_status_allows() {
        use CaseStatus::*;
        assert_eq!(change(Open, Change::Pause), Ok(Paused));
        assert_eq!(change(Paused, Change::Resume), Ok(Open));
        assert_eq!(change(Paused, Change::Close), Ok(Closed));
        assert_eq!(change(Closed, Change::Reopen), Ok(Open));
        assert!(change(Open, Change::Resume).is_err());
        assert!(change(Open, Change::Reopen).is_err());
        assert!(change(Closed, Change::Pause).is_err());
        assert!(change(Closed, Change::Close).is_err());
        assert!(change(Paused, Change::Pause).is_err());
        for a in OutcomeAnswer::ALL {
            assert_eq!(OutcomeAnswer::from_slug(a.slug()), Some(a));
        }
    }

    #[test]
    fn a_case_reopens_only_within_the_period() {
        let closed = d(2026, 1, 1);
        assert!(may_reopen(closed, d(2026, 3, 31)));
        assert!(!may_reopen(closed, d(2026, 4, 2)));
    }

    #[test]
    fn a_note_must_say_something_and_not_too_much() {
        assert_eq!(
            check_note("  Called, no answer.  "),
            Ok("Called, no answer.")
        );
        assert!(check_note("   ").is_err());
        assert!(check_note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert!(check_note(&"x".repeat(MAX_NOTE_CHARS)).is_ok());
    }
}
