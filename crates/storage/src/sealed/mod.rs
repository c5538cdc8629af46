//! Encryption at rest: the most sensitive fields are sealed before they are written, so that a
//! copy of the database (a backup, a stolen disk, a `pg_dump`) does not give them away.
//!
//! **Envelope.** Each table with sealed fields has its own data key (AES-256-GCM, random), kept
//! in `data_keys` wrapped by the key-encryption key, which comes from configuration (the
//! `encryption_key` setting or `HARBOUR_ENCRYPTION_KEY_FILE`) and is never in the database.
//! At start, [`unlock`] unwraps every data key (making any that are missing, and sealing any
//! value written before its field was sealed); a key that does not unwrap them stops Harbour
//! with a plain error, so a wrong or lost key never reaches a page as garbage. [`rotate`]
//! re-wraps the data keys under a new key-encryption key: the sealed values do not change, so a
//! running Harbour, which holds the data keys unwrapped, carries on.
//!
//! **Values.** A sealed value is text: `hbe1:` then the data key's id, `:`, and the base64 of a
//! fresh 96-bit nonce and the ciphertext with its tag. Anything else is read as it is, which is
//! how an empty or erased value is kept (see [`EMPTY`]), and how a database from before sealing reads until
//! its first start seals it. A value names its key, so reading one needs no context: every
//! data key unwrapped in this process is kept by id ([`open`], [`Opened`], and the JSON reader
//! `referrals::from_json`); sealing needs the database's own keys ([`Keyring`], from
//! `Db::keyring` or `WriteTx::keyring`).
//!
//! **What is sealed, and why** ([`SEALED`]): what would harm a victim if a copy of the database
//! got out, and that Harbour never has to search or count inside:
//! - free text written about a person: the referral's notes, case notes and their earlier
//!   versions, the onward referral's note to the service and the notes on declining it, its
//!   outcome and each step, contact attempts' notes, the advice given;
//! - the people who harmed the victim and the children, as a referral and a MARAC referral
//!   name them (third parties' names and dates of birth), whom the victim is afraid of, and when
//!   it is safe to talk to them and in front of whom it is not;
//! - safety plans, every version;
//! - where a person lives and how to reach them safely: the person's details (addresses,
//!   previous names, needs) and safe-contact preferences (numbers, e-mail, code words, safe
//!   times), as held and as each referral gave them;
//! - the reasons written at triage (for the entitlement, the risk level and the tier), a case's
//!   closing note and the words recorded with what happened to it (a pause's reason);
//! - risk answers (triage's and each later assessment's, with the judgement's reason), MARAC research (facts, opinion,
//!   what was withheld), what was shared at the meeting, and its minutes' summary;
//! - a draft referral, which can hold all of the above;
//! - the secrets Harbour keeps for others: authenticator keys, identity providers' client
//!   secrets and webhook signing secrets.
//!
//! **What is not, and how it stays usable.** Names, date of birth and postcode stay plain:
//! staff find people by them, and recognition compares them fuzzily. Recognition already
//! blocks on keyed hashes (`match_key`, `block_keys`), and alert subscribers are found by a
//! keyed hash of their address. Categories, states, dates, areas and levels stay plain because
//! the work queues filter and the reports count by them, and they say little without the
//! person. The sealed fields are only ever read whole, by id, after the permission checks: no
//! statement filters or sorts by them.
//!
//! A value is bound to its table by its key, not to its row or column: someone able to write
//! to the database could move a sealed value between rows or fields of one table, though not
//! read it.

mod existing;
mod keys;
mod status;

pub(crate) use existing::seal_plain_values;
pub(crate) use keys::unlock;
pub use keys::{KeyEncryptionKey, KeyError, rotate};
pub use status::Protection;

use crate::error::{Result, StorageError};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, AeadCore, OsRng};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// A sealed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
    /// The columns that find its row.
    pub key: &'static [&'static str],
}

const fn field(table: &'static str, column: &'static str) -> Field {
    Field {
        table,
        column,
        key: &["id"],
    }
}

pub const PERSON_DETAILS: Field = field("persons", "details");
pub const PERSON_SAFE_CONTACT: Field = field("persons", "safe_contact");
pub const REFERRAL_NOTES: Field = field("referrals", "notes");
pub const REFERRAL_PERSON_DETAILS: Field = field("referrals", "person_details");
pub const REFERRAL_SAFE_CONTACT: Field = field("referrals", "person_safe_contact");
/// The people who harmed the victim, and the children: third parties' names and dates of birth.
pub const REFERRAL_PERPETRATORS: Field = field("referrals", "perpetrators");
pub const REFERRAL_CHILDREN: Field = field("referrals", "children");
pub const ADVICE_NOTE: Field = field("referral_advice", "note");
pub const DRAFT_INPUT: Field = field("referral_drafts", "input");
pub const TRIAGE_RISK_ANSWERS: Field = field("triage_decisions", "risk_answers");
pub const TRIAGE_OVERRIDE_REASON: Field = field("triage_decisions", "entitlement_override_reason");
pub const TRIAGE_JUDGEMENT_REASON: Field = field("triage_decisions", "judgement_reason");
pub const TRIAGE_TIER_REASON: Field = field("triage_decisions", "tier_reason");
pub const ONWARD_NOTE: Field = field("onward_referrals", "note");
pub const DECLINE_NOTE: Field = field("onward_referrals", "decline_note");
pub const OUTCOME_NOTE: Field = field("onward_referrals", "outcome_note");
pub const ONWARD_EVENT_NOTE: Field = field("onward_events", "note");
pub const CONTACT_NOTE: Field = field("contact_attempts", "note");
pub const CASE_NOTE_BODY: Field = field("case_notes", "body");
pub const CASE_NOTE_VERSION_BODY: Field = Field {
    table: "case_note_versions",
    column: "body",
    key: &["note_id", "version"],
};
pub const RISK_ASSESSMENT_ANSWERS: Field = field("case_risk_assessments", "answers");
pub const RISK_ASSESSMENT_JUDGEMENT: Field = field("case_risk_assessments", "judgement_reason");
pub const CASE_CLOSURE_NOTE: Field = field("cases", "closure_note");
/// What happened to a case, with the words given: a pause's reason, a closure's note.
pub const CASE_EVENT_DETAIL: Field = field("case_events", "detail");
pub const SAFETY_PLAN: Field = Field {
    table: "case_safety_plans",
    column: "sections",
    key: &["case_id"],
};
pub const SAFETY_PLAN_VERSION: Field = Field {
    table: "case_safety_plan_versions",
    column: "sections",
    key: &["case_id", "version"],
};
pub const MARAC_AFRAID_OF: Field = field("marac_cases", "afraid_of");
/// Why the referrer judged the case for MARAC, and why the victim's consent was not sought.
pub const MARAC_JUDGEMENT_REASON: Field = field("marac_cases", "judgement_reason");
pub const MARAC_NO_CONSENT_REASON: Field = field("marac_cases", "no_consent_reason");
/// When and how it is safe to talk to the victim, and in front of whom it is not.
pub const MARAC_SAFE_TO_TALK: Field = field("marac_cases", "safe_to_talk");
pub const MARAC_UNSAFE_TO_TALK: Field = field("marac_cases", "unsafe_to_talk");
pub const MARAC_PERPETRATORS: Field = field("marac_cases", "perpetrators");
pub const MARAC_CHILDREN: Field = field("marac_cases", "children");
pub const MARAC_RISKS: Field = field("marac_cases", "risks");
pub const MARAC_FACTS: Field = Field {
    table: "marac_research",
    column: "facts",
    key: &["case_id", "agency_id"],
};
pub const MARAC_OPINION: Field = Field {
    column: "opinion",
    ..MARAC_FACTS
};
pub const MARAC_WITHHELD: Field = Field {
    column: "withheld",
    ..MARAC_FACTS
};
pub const MARAC_SHARED: Field = field("marac_shared", "information");
pub const MARAC_SUMMARY: Field = field("marac_meetings", "summary");
pub const AUTHENTICATOR_SECRET: Field = Field {
    table: "two_factor",
    column: "secret",
    key: &["user_id"],
};
/// One being set up, not yet proved by a code; it becomes the secret when one is.
pub const AUTHENTICATOR_NEW_SECRET: Field = Field {
    column: "new_secret",
    ..AUTHENTICATOR_SECRET
};
pub const CLIENT_SECRET: Field = Field {
    table: "agency_identity_providers",
    column: "client_secret",
    key: &["agency_id"],
};
pub const WEBHOOK_SECRET: Field = field("agencies", "webhook_secret");

/// Every sealed field.
pub const SEALED: &[Field] = &[
    PERSON_DETAILS,
    PERSON_SAFE_CONTACT,
    REFERRAL_NOTES,
    REFERRAL_PERSON_DETAILS,
    REFERRAL_SAFE_CONTACT,
    REFERRAL_PERPETRATORS,
    REFERRAL_CHILDREN,
    ADVICE_NOTE,
    DRAFT_INPUT,
    TRIAGE_RISK_ANSWERS,
    TRIAGE_OVERRIDE_REASON,
    TRIAGE_JUDGEMENT_REASON,
    TRIAGE_TIER_REASON,
    ONWARD_NOTE,
    DECLINE_NOTE,
    OUTCOME_NOTE,
    ONWARD_EVENT_NOTE,
    CONTACT_NOTE,
    CASE_NOTE_BODY,
    CASE_NOTE_VERSION_BODY,
    RISK_ASSESSMENT_ANSWERS,
    RISK_ASSESSMENT_JUDGEMENT,
    CASE_CLOSURE_NOTE,
    CASE_EVENT_DETAIL,
    SAFETY_PLAN,
    SAFETY_PLAN_VERSION,
    MARAC_AFRAID_OF,
    MARAC_JUDGEMENT_REASON,
    MARAC_NO_CONSENT_REASON,
    MARAC_SAFE_TO_TALK,
    MARAC_UNSAFE_TO_TALK,
    MARAC_PERPETRATORS,
    MARAC_CHILDREN,
    MARAC_RISKS,
    MARAC_FACTS,
    MARAC_OPINION,
    MARAC_WITHHELD,
    MARAC_SHARED,
    MARAC_SUMMARY,
    AUTHENTICATOR_SECRET,
    AUTHENTICATOR_NEW_SECRET,
    CLIENT_SECRET,
    WEBHOOK_SECRET,
];

/// The tables with sealed fields, each once: one data key each.
pub(crate) fn sealed_tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = SEALED.iter().map(|f| f.table).collect();
    tables.sort_unstable();
    tables.dedup();
    tables
}

/// How a sealed value begins.
const PREFIX: &str = "hbe1:";

/// Values with nothing in them, kept as they are: no text, an empty JSON list or object (no one
/// named, no answers). That there is nothing is no secret worth a key (a sealed value's length
/// would tell it anyway), and erasure and bulk loading write them as they are.
pub const EMPTY: [&str; 3] = ["", "[]", "{}"];

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// A database's data keys, by the table each seals.
pub struct Keyring {
    by_table: HashMap<&'static str, (String, Arc<Aes256Gcm>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("tables", &self.by_table.len())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Seals `plain` for `field`. A value with nothing in it (see [`EMPTY`]) stays as it is.
    pub fn seal(&self, field: Field, plain: &str) -> Result<String> {
        if EMPTY.contains(&plain) {
            return Ok(plain.to_owned());
        }
        let (id, cipher) = self
            .by_table
            .get(field.table)
            .ok_or_else(|| StorageError::Write(format!("no data key for {}", field.table)))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| StorageError::Write("sealing a value failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{id}:{}", B64.encode(bytes)))
    }

    /// Seals `value` as JSON for `field`.
    pub fn seal_json<T: serde::Serialize + ?Sized>(
        &self,
        field: Field,
        value: &T,
    ) -> Result<String> {
        self.seal(field, &crate::db::to_json(value)?)
    }

    /// Seals an optional value; none stays none.
    pub fn seal_opt(&self, field: Field, plain: Option<&str>) -> Result<Option<String>> {
        plain.map(|p| self.seal(field, p)).transpose()
    }
}

/// Every data key unwrapped in this process, by id, for opening values.
static OPENING: LazyLock<RwLock<HashMap<String, Arc<Aes256Gcm>>>> = LazyLock::new(RwLock::default);

fn remember(id: &str, cipher: Arc<Aes256Gcm>) {
    OPENING
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id.to_owned(), cipher);
}

/// A stored value, opened if it is sealed.
pub fn open(stored: &str) -> Result<Cow<'_, str>> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Ok(Cow::Borrowed(stored));
    };
    let (id, body) = rest
        .split_once(':')
        .ok_or_else(|| StorageError::Corrupt("a sealed value without its key".into()))?;
    let cipher = OPENING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(id)
        .cloned()
        .ok_or_else(|| {
            StorageError::Corrupt(format!(
                "a value is sealed with data key {id}, which this database does not hold"
            ))
        })?;
    let bytes = B64
        .decode(body)
        .map_err(|_| StorageError::Corrupt("a sealed value is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(StorageError::Corrupt("a sealed value is too short".into()));
    }
    let (nonce, sealed) = bytes.split_at(12);
    let plain = cipher.decrypt(nonce.into(), sealed).map_err(|_| {
        StorageError::Corrupt(format!("a value sealed with data key {id} does not open"))
    })?;
    String::from_utf8(plain)
        .map(Cow::Owned)
        .map_err(|_| StorageError::Corrupt("a sealed value is not text".into()))
}

/// An owned stored value, opened if it is sealed.
pub fn open_owned(stored: String) -> Result<String> {
    if is_sealed(&stored) {
        Ok(open(&stored)?.into_owned())
    } else {
        Ok(stored)
    }
}

/// A sealed text column read opened, for row structs: `#[derive(FromRow)] struct NoteRow {
/// body: Opened, … }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opened(pub String);

impl sqlx::Type<sqlx::Any> for Opened {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Opened {
    fn decode(
        value: sqlx::any::AnyValueRef<'r>,
    ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(Opened(open_owned(text)?))
    }
}

impl From<Opened> for String {
    fn from(o: Opened) -> String {
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        let (id, cipher) = keys::new_data_key_for_tests();
        remember(&id, cipher.clone());
        Keyring {
            by_table: SEALED
                .iter()
                .map(|f| (f.table, (id.clone(), cipher.clone())))
                .collect(),
        }
    }

    #[test]
    fn a_value_sealed_opens_to_itself_and_shows_nothing_of_it() {
        let ring = ring();
        let sealed = ring.seal(CASE_NOTE_BODY, "Code word: bluebell").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("bluebell"));
        assert_eq!(open(&sealed).unwrap(), "Code word: bluebell");
        // Fresh nonce each time: the same text seals differently.
        assert_ne!(
            sealed,
            ring.seal(CASE_NOTE_BODY, "Code word: bluebell").unwrap()
        );
        assert_eq!(ring.seal(CASE_NOTE_BODY, "").unwrap(), "");
        assert_eq!(ring.seal(REFERRAL_PERPETRATORS, "[]").unwrap(), "[]");
        assert!(is_sealed(
            &ring.seal(REFERRAL_PERPETRATORS, "[{}]").unwrap()
        ));
    }

    #[test]
    fn plain_values_read_as_they_are_and_tampering_is_an_error_not_garbage() {
        assert_eq!(open("not sealed").unwrap(), "not sealed");
        let ring = ring();
        let sealed = ring.seal(REFERRAL_NOTES, "07700 900123").unwrap();
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(matches!(open(&tampered), Err(StorageError::Corrupt(_))));
        let unknown = format!("hbe1:000000000000:{}", sealed.rsplit(':').next().unwrap());
        let err = open(&unknown).unwrap_err().to_string();
        assert!(err.contains("does not hold"), "{err}");
    }
}
