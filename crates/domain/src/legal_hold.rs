//! Legal holds: while a serious case review, a domestic homicide review or litigation needs a
//! person's records, none of them is erased, whatever the retention schedule says. A hold names
//! why, who placed it, and is lifted with a reason.

use crate::stats::facts::vocabulary;
use crate::validation::{FieldErrors, required_text};

vocabulary!(HoldKind {
    DomesticHomicideReview = "domestic_homicide_review", "Domestic homicide review";
    SafeguardingReview = "safeguarding_review", "Child safeguarding practice review or safeguarding adults review";
    Litigation = "litigation", "Litigation or a claim";
    Inquiry = "inquiry", "Inquiry, inquest or regulator's investigation";
    Complaint = "complaint", "Complaint or the Ombudsman";
});

// What a hold covers: everything about the person, or one referral and all that came of it
// (its triage, referrals on, cases, MARAC).
vocabulary!(HoldScope {
    Person = "person", "Everything about the person";
    Referral = "referral", "This referral and everything that came of it";
});

/// Checks a new hold: what it is for, what it covers, and why, in words that will be read
/// when it is lifted.
pub fn check(
    kind: &str,
    scope: &str,
    reason: &str,
) -> Result<(HoldKind, HoldScope, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let kind = HoldKind::from_slug(kind);
    if kind.is_none() {
        e.add("kind", "Choose what the records are held for");
    }
    let scope = HoldScope::from_slug(scope);
    if scope.is_none() {
        e.add("scope", "Choose what the hold covers");
    }
    let reason = required_text(
        &mut e,
        "reason",
        reason,
        "Say why the records are held: the review or case, and who asked",
        1_000,
    );
    match (kind, scope) {
        (Some(k), Some(s)) if e.is_empty() => Ok((k, s, reason)),
        _ => Err(e),
    }
}

/// Checks the reason a hold is lifted.
pub fn check_lift(reason: &str) -> Result<String, FieldErrors> {
    let mut e = FieldErrors::new();
    let reason = required_text(
        &mut e,
        "lift_reason",
        reason,
        "Say why the hold is no longer needed",
        1_000,
    );
    if e.is_empty() { Ok(reason) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_needs_a_kind_a_scope_and_a_reason() {
        let (k, s, r) = check("litigation", "person", "  Claim 123 against the council ").unwrap();
        assert_eq!(
            (k, s, r.as_str()),
            (
                HoldKind::Litigation,
                HoldScope::Person,
                "Claim 123 against the council"
            )
        );
        let e = check("", "everything", " ").unwrap_err();
        assert!(e.get("kind").is_some());
        assert!(e.get("scope").is_some());
        assert!(e.get("reason").is_some());
        assert!(check_lift("").is_err());
        assert_eq!(
            check_lift(" Review published ").unwrap(),
            "Review published"
        );
    }
}
