//! Two-factor sign-in: who must use it, and the rules for the codes. A time-based one-time
//! password (RFC 6238: six digits, a new one every 30 seconds, from the authenticator apps
//! people already use) or, when the phone is lost, one of ten single-use recovery codes.
//!
//! A code works once: each sign-in records the time step it used, and a code for that step or
//! an earlier one is refused, so a code read over someone's shoulder cannot be used again.

use crate::permission::{Action, GRANTS, Scope};
use crate::role::Role;
use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds each code lasts.
pub const STEP: u64 = 30;
/// How many recovery codes a person is given.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show beside the code.
pub const ISSUER: &str = "Harbour";

/// Actions that read or change no personal data, whatever their scope: one's own account, the
/// agencies, the service directory, coverage, statistics (aggregates with small numbers
/// suppressed), recognition's settings and the alert topics.
const NOT_PERSONAL: [Action; 7] = [
    Action::ViewOwnAccount,
    Action::ViewAgencies,
    Action::ViewDirectory,
    Action::ViewCoverage,
    Action::ViewStatistics,
    Action::ManageRecognition,
    Action::ManageAlertTopics,
];

/// Whether these roles must sign in with a second factor: administrators, auditors, the data
/// protection officer, and anyone whose role reaches personal data across the whole
/// partnership (the hub's triage officers, MARAC coordinators); or everyone, if the
/// partnership has chosen that.
pub fn required(roles: &[Role], everyone: bool) -> bool {
    everyone
        || roles.iter().any(|r| {
            matches!(
                r,
                Role::Administrator | Role::Auditor | Role::DataProtectionOfficer
            ) || GRANTS.iter().any(|(role, action, scope)| {
                role == r && *scope == Scope::Partnership && !NOT_PERSONAL.contains(action)
            })
        })
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
    /// Not the code for now (or 30 seconds either side).
    Wrong,
    /// The right code, but already used to sign in.
    AlreadyUsed,
}

impl CodeRefused {
    /// What the person is told, next to the field.
    pub fn message(self) -> &'static str {
        match self {
            CodeRefused::Wrong => {
                "Enter the 6-digit code your authenticator app shows now, or a recovery code"
            }
            CodeRefused::AlreadyUsed => {
                "That code has already been used. Wait for your authenticator app to show a new code"
            }
        }
    }
}

fn totp(secret: &[u8], account: &str) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build_noncompliant()
}

/// A new secret for a person's authenticator: 160 random bits, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill(&mut bytes);
    bytes.to_vec()
}

/// The secret as people type it into an app that cannot scan: base32, in groups of four.
pub fn secret_for_typing(secret: &[u8]) -> String {
    let text = Secret::from(secret.to_vec()).to_base32();
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` address the enrolment QR code holds.
pub fn enrolment_url(secret: &[u8], account: &str) -> String {
    totp(secret, account).to_url().unwrap_or_default()
}

/// The code for a time step (seconds since 1970 divided by [`STEP`]).
pub fn code_at(secret: &[u8], step: u64) -> String {
    totp(secret, "").generate(step * STEP).to_string()
}

/// Digits only, without the spaces people type or paste.
fn digits(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether the input is shaped like an authenticator's code (six digits), not a recovery code.
pub fn is_app_code(input: &str) -> bool {
    let d = digits(input);
    d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit())
}

/// Checks an authenticator's code at `unix_seconds`, refusing any step at or before
/// `last_step`, the one the person last signed in with. The step it matched is recorded next.
pub fn check(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_step: Option<u64>,
) -> Result<u64, CodeRefused> {
    let code = digits(code);
    let now = unix_seconds / STEP;
    let t = totp(secret, "");
    let mut matched = None;
    for step in now.saturating_sub(1)..=now + 1 {
        if t.generate(step * STEP).to_string() == code {
            if last_step.is_some_and(|last| step <= last) {
                matched = matched.or(Some(Err(CodeRefused::AlreadyUsed)));
            } else {
                return Ok(step);
            }
        }
    }
    matched.unwrap_or(Err(CodeRefused::Wrong))
}

/// New recovery codes: ten of twelve letters and digits each (about 60 random bits), shown
/// once in groups of four and stored only as digests.
pub fn new_recovery_codes() -> Vec<String> {
    // No 0/o, 1/l/i: they are read off paper.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..12)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
        })
        .collect()
}

/// A recovery code as typed, in the form its digest was taken of: lower case, without spaces
/// or hyphens.
pub fn normalise_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_are_rfc_6238s() {
        // RFC 6238, appendix B: 59 s gives 94287082 in eight digits; six digits keep the last six.
        assert_eq!(code_at(RFC_SECRET, 59 / STEP), "287082");
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109 / STEP), "081804");
    }

    #[test]
    fn a_code_works_once_and_thirty_seconds_either_side() {
        let now = 1_111_111_109;
        let step = now / STEP;
        let code = code_at(RFC_SECRET, step);
        assert_eq!(check(RFC_SECRET, &code, now, None), Ok(step));
        assert_eq!(
            check(RFC_SECRET, &code, now, Some(step)),
            Err(CodeRefused::AlreadyUsed)
        );
        // The next step's code is still good after this one, once.
        let next = code_at(RFC_SECRET, step + 1);
        assert_eq!(check(RFC_SECRET, &next, now, Some(step)), Ok(step + 1));
        // The previous step's, spaced as apps show it, before anything was used.
        let before = code_at(RFC_SECRET, step - 1);
        let spaced = format!("{} {}", &before[..3], &before[3..]);
        assert_eq!(check(RFC_SECRET, &spaced, now, None), Ok(step - 1));
        // Two steps away is too far.
        let far = code_at(RFC_SECRET, step + 2);
        assert_eq!(check(RFC_SECRET, &far, now, None), Err(CodeRefused::Wrong));
        assert_eq!(check(RFC_SECRET, "", now, None), Err(CodeRefused::Wrong));
    }

    #[test]
    fn who_must_use_a_second_factor() {
        for role in [
            Role::Administrator,
            Role::Auditor,
            Role::DataProtectionOfficer,
            Role::TriageOfficer,
            Role::MaracCoordinator,
        ] {
            assert!(required(&[role], false), "{role:?}");
        }
        for role in [
            Role::Referrer,
            Role::Caseworker,
            Role::ServiceManager,
            Role::Commissioner,
            Role::AlertAuthor,
        ] {
            assert!(!required(&[role], false), "{role:?}");
            assert!(required(&[role], true), "{role:?} when everyone must");
        }
        assert!(required(&[Role::Referrer, Role::Auditor], false));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 14);
        assert_eq!(
            normalise_recovery_code(&format!(" {} ", c.to_uppercase())),
            c.replace('-', "")
        );
        assert!(!is_app_code(c));
        assert!(is_app_code("123 456"));
    }

    #[test]
    fn enrolment_names_harbour_and_the_account() {
        let url = enrolment_url(RFC_SECRET, "triage@example.org");
        assert!(
            url.starts_with("otpauth://totp/Harbour:triage%40example.org?"),
            "{url}"
        );
        assert!(url.contains("issuer=Harbour"));
        assert_eq!(secret_for_typing(RFC_SECRET).replace(' ', "").len(), 32);
    }
}
