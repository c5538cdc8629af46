//! How long Harbour keeps each kind of record, and when one falls due for erasure: a schedule is
//! data (a kind of record, the event its time runs from, how many months, for records about
//! children the age the person must reach first, and the reason shown to administrators). The
//! defaults here are what a partnership starts with; its data protection officer changes them.
//! A legal hold stops erasure whatever the schedule says.

use crate::stats::facts::vocabulary;
use crate::validation::FieldErrors;
use chrono::{Months, NaiveDate};

vocabulary!(RecordKind {
    ReferralWithoutSupport = "referral_without_support", "Referral that led to no support";
    UntriagedSelfReferral = "untriaged_self_referral", "Self-referral never triaged";
    Case = "case", "Case";
    CaseNote = "case_note", "Case note";
    MaracCase = "marac_case", "MARAC case and its minutes";
    OnwardReferral = "onward_referral", "Referral on to a service";
    ContactAttempt = "contact_attempt", "Attempt to contact a person";
    Consent = "consent", "Consent decision";
    AlertSubscriber = "alert_subscriber", "Community alerts subscription";
    AuditEntry = "audit_entry", "Audit trail entry";
    Session = "session", "Sign-in session";
});

vocabulary!(Trigger {
    Closed = "closed", "it was closed";
    LastContact = "last_contact", "the last contact";
    Received = "received", "it was received";
    Made = "made", "it was made";
    Ended = "ended", "it ended";
});

// Where a run stands: each night's run reports what is due, and erases nothing until the data
// protection officer approves it. A run not decided before the next night's is replaced by it. A
// run that found nothing due waits for no one.
vocabulary!(RunStatus {
    NothingDue = "nothing_due", "Nothing due";
    AwaitingApproval = "awaiting_approval", "Waiting for approval";
    Approved = "approved", "Approved: erasing";
    Erased = "erased", "Erased";
    Declined = "declined", "Declined";
    Superseded = "superseded", "Replaced by the next night's run";
});

/// One kind of record's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub kind: RecordKind,
    pub after: Trigger,
    pub months: u32,
    /// For a record about a child: kept at least until the person reaches this age.
    pub until_age: Option<u32>,
    pub reason: String,
}

/// The schedules a partnership starts with, one per kind, each with its reason.
pub fn defaults() -> Vec<Schedule> {
    let s = |kind, after, months, until_age, reason: &str| Schedule {
        kind,
        after,
        months,
        until_age,
        reason: reason.to_owned(),
    };
    use RecordKind as K;
    use Trigger as T;
    vec![
        s(
            K::ReferralWithoutSupport,
            T::Closed,
            12,
            None,
            "Long enough to recognise a repeat referral of the same person and to answer a complaint about the decision; no support was given, so nothing more is needed.",
        ),
        s(
            K::UntriagedSelfReferral,
            T::Received,
            12,
            None,
            "A request for help never acted on: kept a year to answer the person if they ask what became of it.",
        ),
        s(
            K::Case,
            T::Closed,
            72,
            Some(25),
            "Six years after support ends, the time within which a civil claim can be brought (Limitation Act 1980). A child's record is kept until they are 25, as children's services keep theirs.",
        ),
        s(
            K::CaseNote,
            T::Closed,
            72,
            Some(25),
            "Kept with the case they belong to: six years after it closes, or until a child is 25.",
        ),
        s(
            K::MaracCase,
            T::Closed,
            72,
            Some(25),
            "MARAC records support domestic homicide reviews and claims: six years after the case closes, or until a child is 25.",
        ),
        s(
            K::OnwardReferral,
            T::Closed,
            72,
            Some(25),
            "Shows who was referred where, with what consent: kept as long as the support it led to.",
        ),
        s(
            K::ContactAttempt,
            T::LastContact,
            24,
            None,
            "Shows that contact kept to the person's safe times and channels; two years covers a complaint about how they were contacted.",
        ),
        s(
            K::Consent,
            T::Closed,
            72,
            Some(25),
            "The lawful basis for sharing: kept as long as what was shared on it.",
        ),
        s(
            K::AlertSubscriber,
            T::LastContact,
            36,
            None,
            "A subscription no alert has gone to for three years has lapsed; unconfirmed ones go after 7 days regardless.",
        ),
        s(
            K::AuditEntry,
            T::Made,
            84,
            None,
            "Who read or changed what must outlast the records it is about: seven years, a year beyond the six records are kept.",
        ),
        s(
            K::Session,
            T::Ended,
            1,
            None,
            "Kept a month to show a person their recent sign-ins, then of no use.",
        ),
    ]
}

/// The day a record falls due for erasure: `months` after its event, and for a record about a
/// child (`date_of_birth` given and the schedule keeping children's records to an age) not before
/// that birthday. A month from 31 January is the last day of February.
pub fn due_on(s: &Schedule, event: NaiveDate, date_of_birth: Option<NaiveDate>) -> NaiveDate {
    let after = event
        .checked_add_months(Months::new(s.months))
        .unwrap_or(NaiveDate::MAX);
    match (s.until_age, date_of_birth) {
        (Some(age), Some(born)) => {
            let birthday = born
                .checked_add_months(Months::new(age * 12))
                .unwrap_or(NaiveDate::MAX);
            after.max(birthday)
        }
        _ => after,
    }
}

/// Whether a record may be erased on `today`: due, and not under a legal hold.
pub fn erasable(due: NaiveDate, today: NaiveDate, held: bool) -> bool {
    !held && due <= today
}

/// Checks the note on a decision about a run: optional when approving, required when declining
/// (the next run lists the same records again, so the reason must be on record).
pub fn check_decision(approve: bool, note: &str) -> Result<Option<String>, FieldErrors> {
    let mut e = FieldErrors::new();
    let note = crate::validation::composed(note.trim());
    if note.chars().count() > 1_000 {
        e.add("note", "Must be 1,000 characters or fewer");
    } else if let Some(problem) = crate::validation::text_problem(&note, true) {
        e.add("note", format!("The note {problem}"));
    } else if !approve && note.is_empty() {
        e.add(
            "note",
            "Say why the run is declined: the next night's run lists the same records again",
        );
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok((!note.is_empty()).then_some(note))
}

/// Checks a change to a schedule: between 1 month and 100 years, an age from 18 to 30 if any,
/// and a reason; audit entries are kept at least six years, so that what happened to a record
/// can be shown for as long as a claim about it can be brought.
pub fn check(
    kind: RecordKind,
    months: &str,
    until_age: &str,
    reason: &str,
) -> Result<(u32, Option<u32>, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let months = match months.trim().parse::<u32>() {
        Ok(m) if (1..=1200).contains(&m) => m,
        _ => {
            e.add("months", "Enter how many months, from 1 to 1,200");
            0
        }
    };
    if kind == RecordKind::AuditEntry && months != 0 && months < 72 {
        e.add(
            "months",
            "Keep audit entries at least 72 months (six years), as long as a claim can be brought",
        );
    }
    let until_age = match until_age.trim() {
        "" => None,
        a => match a.parse::<u32>() {
            Ok(n) if (18..=30).contains(&n) => Some(n),
            _ => {
                e.add("until_age", "Enter an age from 18 to 30, or leave it empty");
                None
            }
        },
    };
    let reason = reason.trim();
    if reason.is_empty() {
        e.add(
            "reason",
            "Say why records are kept this long: administrators see it",
        );
    } else if reason.chars().count() > 1_000 {
        e.add("reason", "Must be 1,000 characters or fewer");
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok((months, until_age, reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn schedule(kind: RecordKind) -> Schedule {
        defaults().into_iter().find(|s| s.kind == kind).unwrap()
    }

    #[test]
    fn every_kind_has_one_default_with_a_reason() {
        let all = defaults();
        for kind in RecordKind::ALL {
            assert_eq!(
                all.iter().filter(|s| s.kind == *kind).count(),
                1,
                "{kind:?}"
            );
        }
        assert!(all.iter().all(|s| s.reason.len() > 20));
        assert!(
            all.iter()
                .all(|s| check(s.kind, &s.months.to_string(), "", &s.reason).is_ok())
        );
    }

    #[test]
    fn due_dates_count_months_to_the_month_end_and_wait_for_a_child_to_turn_25() {
        let referral = schedule(RecordKind::ReferralWithoutSupport);
        assert_eq!(due_on(&referral, d("2024-02-29"), None), d("2025-02-28"));
        assert_eq!(due_on(&referral, d("2026-01-31"), None), d("2027-01-31"));
        let case = schedule(RecordKind::Case);
        // An adult: six years after closure.
        assert_eq!(
            due_on(&case, d("2026-05-01"), Some(d("1980-03-03"))),
            d("2032-05-01")
        );
        // A child of ten when the case closed: kept until they are 25.
        assert_eq!(
            due_on(&case, d("2026-05-01"), Some(d("2016-03-03"))),
            d("2041-03-03")
        );
        // No date of birth: the months alone.
        assert_eq!(due_on(&case, d("2026-05-01"), None), d("2032-05-01"));
    }

    #[test]
    fn a_legal_hold_stops_erasure_whatever_is_due() {
        assert!(erasable(d("2026-01-01"), d("2026-01-01"), false));
        assert!(!erasable(d("2026-01-02"), d("2026-01-01"), false));
        assert!(!erasable(d("2020-01-01"), d("2026-01-01"), true));
    }

    #[test]
    fn a_change_to_a_schedule_is_checked() {
        let e = check(RecordKind::Case, "0", "12", "").unwrap_err();
        assert!(e.get("months").is_some());
        assert!(e.get("until_age").is_some());
        assert!(e.get("reason").is_some());
        let e = check(RecordKind::AuditEntry, "24", "", "shorter").unwrap_err();
        assert!(e.get("months").unwrap().contains("72 months"));
        assert_eq!(
            check(RecordKind::Case, " 60 ", "25", " why ").unwrap(),
            (60, Some(25), "why".to_owned())
        );
    }
}
