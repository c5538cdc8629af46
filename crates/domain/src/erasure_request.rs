//! A person's request to have their records erased (UK GDPR Article 17): recorded when it
//! arrives, answered within a calendar month, and decided by the data protection officer, since
//! the right is limited where the records are needed for a legal obligation or public task
//! (safeguarding), or for legal claims. Approved, it erases everything about the person through
//! the same machinery as the retention runs.

use crate::stats::facts::vocabulary;
use crate::validation::{FieldErrors, required_text};
use chrono::{Months, NaiveDate};

vocabulary!(Received {
    Writing = "writing", "In writing (letter or e-mail)";
    Phone = "phone", "By phone";
    InPerson = "in_person", "In person";
    Representative = "representative", "Through a representative (a solicitor, advocate or parent)";
});

vocabulary!(Decision {
    Erase = "erase", "Erase everything about them";
    Refuse = "refuse", "Refuse";
});

// Why a request is refused: the exceptions in Article 17(3) that apply to a victims' service.
vocabulary!(Ground {
    Safeguarding = "safeguarding", "Needed to keep a child or adult at risk safe (a legal obligation or public task)";
    LegalObligation = "legal_obligation", "Needed to meet another legal obligation";
    LegalClaims = "legal_claims", "Needed for legal claims";
    NotThem = "not_them", "We could not confirm the request came from the person";
});

vocabulary!(RequestStatus {
    Open = "open", "Waiting for a decision";
    Approved = "approved", "Approved: erasing";
    Erased = "erased", "Erased";
    Refused = "refused", "Refused";
});

/// The day a request must be answered by: a calendar month from the day it arrived (the last day
/// of a shorter month), or three when it was extended as complex.
pub fn respond_by(received: NaiveDate, extended: bool) -> NaiveDate {
    received
        .checked_add_months(Months::new(if extended { 3 } else { 1 }))
        .unwrap_or(NaiveDate::MAX)
}

/// A request as recorded: how it came, the day, and what the person asked for in their words.
pub fn check_request(
    received: &str,
    received_on: &str,
    asked: &str,
    today: NaiveDate,
) -> Result<(Received, NaiveDate, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let how = Received::from_slug(received);
    if how.is_none() {
        e.add("received", "Choose how the request came");
    }
    let on = crate::support_plan::parse_day(received_on.trim());
    match on {
        None => e.add(
            "received_on",
            "Enter the day the request arrived, like 27/3/2026",
        ),
        Some(d) if d > today => e.add("received_on", "The day it arrived cannot be in the future"),
        Some(_) => {}
    }
    let asked = required_text(
        &mut e,
        "asked",
        asked,
        "Say what the person asked for, in their words if you have them",
        2_000,
    );
    match (how, on) {
        (Some(h), Some(d)) if e.is_empty() => Ok((h, d, asked)),
        _ => Err(e),
    }
}

/// A decision: to erase (with the reason on record), or to refuse on a ground, explained.
pub fn check_decision(
    decision: &str,
    ground: &str,
    reason: &str,
) -> Result<(Decision, Option<Ground>, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let decision = Decision::from_slug(decision);
    if decision.is_none() {
        e.add("decision", "Choose to erase or to refuse");
    }
    let ground = Ground::from_slug(ground);
    if decision == Some(Decision::Refuse) && ground.is_none() {
        e.add("ground", "Choose the ground for refusing");
    }
    let reason = required_text(
        &mut e,
        "reason",
        reason,
        "Give the reason: the person is told it, and it is kept with the request",
        2_000,
    );
    match decision {
        Some(d) if e.is_empty() => Ok((d, ground.filter(|_| d == Decision::Refuse), reason)),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_request_is_answered_within_a_calendar_month_or_three_if_extended() {
        assert_eq!(respond_by(d("2026-01-31"), false), d("2026-02-28"));
        assert_eq!(respond_by(d("2026-03-15"), false), d("2026-04-15"));
        assert_eq!(respond_by(d("2026-03-15"), true), d("2026-06-15"));
    }

    #[test]
    fn a_refusal_needs_its_ground_and_every_decision_a_reason() {
        let today = d("2026-12-03");
        assert!(check_request("writing", "1/12/2026", "Delete everything", today).is_ok());
        let e = check_request("", "4/12/2026", "", today).unwrap_err();
        for f in ["received", "received_on", "asked"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let e = check_decision("refuse", "", "").unwrap_err();
        assert!(e.get("ground").is_some());
        assert!(e.get("reason").is_some());
        let (dec, ground, _) =
            check_decision("erase", "safeguarding", "No ground applies").unwrap();
        assert_eq!((dec, ground), (Decision::Erase, None));
        assert!(
            check_decision("", "", "x")
                .unwrap_err()
                .get("decision")
                .is_some()
        );
    }
}
