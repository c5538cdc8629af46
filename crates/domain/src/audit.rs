//! The audit trail's entries and the hash chain that makes a change to them evident.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, and entries are
//! numbered without gaps. Altering an entry breaks its hash; removing one leaves a gap;
//! removing the newest ones disagrees with the recorded head. [`verify`] names the first
//! entry where any of these happens.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    Read,
    Create,
    Change,
    Export,
    /// Personal data shared without the person's consent, on a recorded legal basis.
    ShareWithoutConsent,
    /// A record deleted for good (a subscription its owner deleted).
    Delete,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::Read,
        AuditAction::Create,
        AuditAction::Change,
        AuditAction::Export,
        AuditAction::ShareWithoutConsent,
        AuditAction::Delete,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Change => "change",
            AuditAction::Export => "export",
            AuditAction::ShareWithoutConsent => "share_without_consent",
            AuditAction::Delete => "delete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Signed in",
            AuditAction::SignInFailed => "Failed sign-in",
            AuditAction::SignOut => "Signed out",
            AuditAction::Read => "Read",
            AuditAction::Create => "Created",
            AuditAction::Change => "Changed",
            AuditAction::Export => "Exported",
            AuditAction::ShareWithoutConsent => "Shared without consent",
            AuditAction::Delete => "Deleted",
        }
    }

    pub fn from_slug(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.slug() == s)
    }
}

/// What happened, before it is numbered and chained. Fields hold identifiers, never
/// personal data itself: the trail says *that* a record was read, not what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub actor_user_id: Option<String>,
    pub actor_agency_id: Option<String>,
    pub action: AuditAction,
    /// agency, user, api_token, audit_log, session …
    pub entity_kind: String,
    pub entity_id: Option<String>,
    /// Why: the page or API operation, in words, for example "view person".
    pub purpose: String,
    pub request_id: String,
}

/// An entry as stored: the event, its place in the chain and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339, UTC, microseconds.
    pub at: String,
    pub actor_user_id: Option<String>,
    pub actor_agency_id: Option<String>,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub purpose: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Numbers and chains `event` after the entry whose number and hash are given.
    pub fn chain(event: &AuditEvent, at: String, prev_seq: i64, prev_hash: &str) -> AuditEntry {
        let mut entry = AuditEntry {
            seq: prev_seq + 1,
            at,
            actor_user_id: event.actor_user_id.clone(),
            actor_agency_id: event.actor_agency_id.clone(),
            action: event.action.slug().to_owned(),
            entity_kind: event.entity_kind.clone(),
            entity_id: event.entity_id.clone(),
            purpose: event.purpose.clone(),
            request_id: event.request_id.clone(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over the previous hash and every field, each length-prefixed so that no
    /// two different entries encode alike.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |value: Option<&str>| match value {
            None => h.update(b"-;"),
            Some(v) => {
                h.update(v.len().to_string().as_bytes());
                h.update(b":");
                h.update(v.as_bytes());
                h.update(b";");
            }
        };
        field(Some(&self.prev_hash));
        field(Some(&self.seq.to_string()));
        field(Some(&self.at));
        field(self.actor_user_id.as_deref());
        field(self.actor_agency_id.as_deref());
        field(Some(&self.action));
        field(Some(&self.entity_kind));
        field(self.entity_id.as_deref());
        field(Some(&self.purpose));
        field(Some(&self.request_id));
        hex::encode(h.finalize())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} has been altered: its contents no longer match its hash")]
    Altered { seq: i64 },
    #[error("entry {seq} does not follow entry {prev}: the link between them was altered")]
    BadLink { seq: i64, prev: i64 },
    #[error("entry {expected} is missing: entries jump from {prev} to {found}")]
    Missing {
        expected: i64,
        prev: i64,
        found: i64,
    },
    #[error(
        "the newest entries have been removed: the log ends at entry {last} but entry {head} was recorded"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the recorded head of the log does not match entry {head}")]
    HeadMismatch { head: i64 },
    #[error(
        "entry {seq}, which a signed checkpoint recorded, is missing: the log was cut back behind the checkpoint"
    )]
    BehindCheckpoint { seq: i64 },
    #[error(
        "entry {seq} is not the one a signed checkpoint recorded: the log was rewritten behind the checkpoint"
    )]
    RewrittenBehindCheckpoint { seq: i64 },
}

/// Checks entries in the order of their numbers. `head` is the recorded last number and
/// hash (kept apart from the entries). Returns how many entries were checked.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: (i64, &str),
) -> Result<i64, ChainBreak> {
    verify_from((0, GENESIS_HASH), entries, head)
}

/// As [`verify`], for the entries after `start`, an entry already trusted (its number and
/// hash): how Harbour checks only the log's tail since its last checkpoint. Returns the last
/// number checked.
pub fn verify_from<'a>(
    start: (i64, &str),
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: (i64, &str),
) -> Result<i64, ChainBreak> {
    let (mut prev_seq, prev_hash) = start;
    let mut prev_hash = prev_hash.to_owned();
    for entry in entries {
        if entry.seq != prev_seq + 1 {
            return Err(ChainBreak::Missing {
                expected: prev_seq + 1,
                prev: prev_seq,
                found: entry.seq,
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        if entry.prev_hash != prev_hash {
            return Err(ChainBreak::BadLink {
                seq: entry.seq,
                prev: prev_seq,
            });
        }
        prev_seq = entry.seq;
        prev_hash.clone_from(&entry.hash);
    }
    let (head_seq, head_hash) = head;
    if head_seq > prev_seq {
        return Err(ChainBreak::Truncated {
            last: prev_seq,
            head: head_seq,
        });
    }
    if head_seq < prev_seq || head_hash != prev_hash {
        return Err(ChainBreak::HeadMismatch { head: head_seq });
    }
    Ok(prev_seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(n: usize) -> AuditEvent {
        AuditEvent {
            actor_user_id: Some(format!("user-{n}")),
            actor_agency_id: None,
            action: AuditAction::ALL[n % AuditAction::ALL.len()],
            entity_kind: "agency".into(),
            entity_id: Some(format!("e{n}")),
            purpose: "test".into(),
            request_id: format!("r{n}"),
        }
    }

    fn log(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS_HASH.to_owned()), |e| (e.seq, e.hash.clone()));
            out.push(AuditEntry::chain(
                &event(i),
                format!("2026-01-01T00:00:{i:02}Z"),
                seq,
                &hash,
            ));
        }
        out
    }

    fn head(log: &[AuditEntry]) -> (i64, &str) {
        log.last()
            .map_or((0, GENESIS_HASH), |e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_log_verifies() {
        let entries = log(5);
        assert_eq!(verify(&entries, head(&entries)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        let mut a = log(1).remove(0);
        let mut b = a.clone();
        a.entity_kind = "ab".into();
        a.entity_id = Some("c".into());
        b.entity_kind = "a".into();
        b.entity_id = Some("bc".into());
        assert_ne!(a.compute_hash(), b.compute_hash());
        b.entity_id = None;
        a.entity_id = Some(String::new());
        assert_ne!(a.compute_hash(), b.compute_hash());
    }

    #[test]
    fn a_removed_tail_is_detected() {
        let entries = log(4);
        let recorded = head(&entries);
        assert_eq!(
            verify(&entries[..3], recorded),
            Err(ChainBreak::Truncated { last: 3, head: 4 })
        );
    }

    proptest! {
        #[test]
        fn any_altered_field_names_that_entry(n in 1usize..20, pick in 0usize..20, field in 0usize..6) {
            let mut entries = log(n);
            let recorded = head(&entries).0;
            let recorded_hash = entries.last().unwrap().hash.clone();
            let i = pick % n;
            let e = &mut entries[i];
            match field {
                0 => e.at.push('1'),
                1 => e.actor_user_id = None,
                2 => e.action = "read".into(),
                3 => e.entity_id = Some("other".into()),
                4 => e.purpose.push('!'),
                _ => e.request_id.clear(),
            }
            // An alteration that happens to leave the fields equal is not an alteration.
            let changed = e.compute_hash() != e.hash;
            let seq = e.seq;
            let result = verify(&entries, (recorded, &recorded_hash));
            if changed {
                prop_assert_eq!(result, Err(ChainBreak::Altered { seq }));
            } else {
                prop_assert!(result.is_ok());
            }
        }

        #[test]
        fn any_removed_entry_is_named(n in 2usize..20, pick in 0usize..19) {
            let mut entries = log(n);
            let recorded = head(&entries).0;
            let recorded_hash = entries.last().unwrap().hash.clone();
            let i = pick % (n - 1); // not the last: that is truncation, tested above
            let removed = entries.remove(i).seq;
            let result = verify(&entries, (recorded, &recorded_hash));
            prop_assert_eq!(result, Err(ChainBreak::Missing { expected: removed, prev: removed - 1, found: removed + 1 }));
        }

        #[test]
        fn a_rehashed_entry_breaks_the_next_link(n in 2usize..20, pick in 0usize..19) {
            // Someone who edits an entry and recomputes its hash still breaks the chain.
            let mut entries = log(n);
            let recorded = head(&entries).0;
            let recorded_hash = entries.last().unwrap().hash.clone();
            let i = pick % (n - 1);
            entries[i].purpose = "edited".into();
            entries[i].hash = entries[i].compute_hash();
            let next = entries[i + 1].seq;
            prop_assert_eq!(
                verify(&entries, (recorded, &recorded_hash)),
                Err(ChainBreak::BadLink { seq: next, prev: next - 1 })
            );
        }
    }
}
