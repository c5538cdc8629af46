//! Signed checkpoints of the audit trail. The hash chain shows that no entry was altered or
//! removed from the middle, but someone who can write to the database can delete the newest
//! entries and move the head back, and the chain still verifies. A checkpoint is the head's
//! number and hash at a moment, signed (Ed25519) with a key the database never holds, for an
//! auditor to keep elsewhere: a log that no longer holds that entry, with that hash, was cut back
//! or rewritten behind it.

use crate::audit::{AuditEntry, ChainBreak};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A signed record of the audit trail's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The head entry's number and hash.
    pub seq: i64,
    pub hash: String,
    /// When it was made (RFC 3339).
    pub at: String,
    /// The public half of the key that signed it, hex.
    pub public_key: String,
    /// Ed25519 signature of [`Checkpoint::message`], hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "the key is not an Ed25519 key: give 64 hexadecimal characters, as `harbour audit new-key` prints"
    )]
    BadKey,
    #[error("the checkpoint was not signed by the trusted key")]
    NotTrustedKey,
    #[error("the checkpoint's signature does not match what it records: it was altered")]
    BadSignature,
}

fn key_bytes(hex_text: &str) -> Result<[u8; 32], CheckpointError> {
    hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(CheckpointError::BadKey)
}

/// A signing key from its 32-byte seed in hex (the `audit_signing_key` setting).
pub fn signing_key(hex_text: &str) -> Result<SigningKey, CheckpointError> {
    Ok(SigningKey::from_bytes(&key_bytes(hex_text)?))
}

/// A public key from hex, as an auditor is given it.
pub fn verifying_key(hex_text: &str) -> Result<VerifyingKey, CheckpointError> {
    VerifyingKey::from_bytes(&key_bytes(hex_text)?).map_err(|_| CheckpointError::BadKey)
}

/// A new key from 32 random bytes: the secret seed and the public key, each in hex.
pub fn new_key(seed: [u8; 32]) -> (String, String) {
    let key = SigningKey::from_bytes(&seed);
    (
        hex::encode(key.to_bytes()),
        hex::encode(key.verifying_key().to_bytes()),
    )
}

impl Checkpoint {
    /// The bytes signed: a fixed label, then the number, hash and time, a line each.
    pub fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
        format!("harbour audit checkpoint v1\n{seq}\n{hash}\n{at}\n").into_bytes()
    }

    pub fn sign(seq: i64, hash: &str, at: &str, key: &SigningKey) -> Checkpoint {
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(key.sign(&Self::message(seq, hash, at)).to_bytes()),
        }
    }

    /// Checks the checkpoint was signed, as it stands, by `trusted`.
    pub fn verify_signature(&self, trusted: &VerifyingKey) -> Result<(), CheckpointError> {
        if self.public_key != hex::encode(trusted.to_bytes()) {
            return Err(CheckpointError::NotTrustedKey);
        }
        let signature = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b))
            .ok_or(CheckpointError::BadSignature)?;
        trusted
            .verify(&Self::message(self.seq, &self.hash, &self.at), &signature)
            .map_err(|_| CheckpointError::BadSignature)
    }

    /// Whether the log still holds what the checkpoint recorded: `entry` is the log's entry
    /// with the checkpoint's number, if there is one.
    pub fn held_by(&self, entry: Option<&AuditEntry>) -> Result<(), ChainBreak> {
        holds((self.seq, &self.hash), entry)
    }
}

/// The e-mail that carries the day's checkpoint to the auditors: what it is, what to do with it,
/// and the checkpoint itself (also attached as a file, `Checkpoint::file_name`).
pub fn checkpoint_email(cp: &Checkpoint) -> crate::notification::StaffEmail {
    let json = serde_json::to_string_pretty(cp).unwrap_or_default();
    crate::notification::StaffEmail {
        subject: format!("Harbour audit checkpoint: entry {}", cp.seq),
        body: format!(
            "Harbour has signed its audit trail as it stood at {at}: entry {seq}.\n\n\
             Keep this message, or the attached file, somewhere Harbour's administrators cannot \
             change it. To check that nothing before this point has since been removed or \
             rewritten, save the file and run:\n\n  \
             harbour audit verify --checkpoint {file} --public-key {key}\n\n\
             Check that the public key is the one you were given when the key was made. \
             The checkpoint:\n\n{json}\n",
            at = cp.at,
            seq = cp.seq,
            file = cp.file_name(),
            key = cp.public_key,
        ),
    }
}

/// The e-mail telling the auditors that the trail failed its check, so no checkpoint was made.
pub fn alarm_email(problem: &str) -> crate::notification::StaffEmail {
    crate::notification::StaffEmail {
        subject: "Harbour's audit trail failed its check".to_owned(),
        body: format!(
            "Harbour checked its audit trail before signing today's checkpoint, and the check \
             failed, so no checkpoint was made:\n\n  {problem}\n\n\
             Someone may have changed or removed audit entries. Compare the trail with the last \
             checkpoint you kept (harbour audit verify --checkpoint FILE --public-key KEY) and tell \
             the data protection officer.\n"
        ),
    }
}

impl Checkpoint {
    /// A name for the checkpoint's file.
    pub fn file_name(&self) -> String {
        format!("harbour-audit-checkpoint-{}.json", self.seq)
    }
}

/// Whether the log still holds entry `seq` with `hash` (a checkpoint's): `entry` is the log's
/// entry with that number, if there is one.
pub fn holds((seq, hash): (i64, &str), entry: Option<&AuditEntry>) -> Result<(), ChainBreak> {
    match entry {
        None => Err(ChainBreak::BehindCheckpoint { seq }),
        Some(e) if e.hash != hash => Err(ChainBreak::RewrittenBehindCheckpoint { seq }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_only_as_signed_and_only_by_the_trusted_key() {
        let (secret, public) = new_key([7; 32]);
        let key = signing_key(&secret).unwrap();
        let trusted = verifying_key(&public).unwrap();
        let cp = Checkpoint::sign(42, "abc", "2026-12-02T09:00:00Z", &key);
        assert_eq!(cp.verify_signature(&trusted), Ok(()));
        let mut moved = cp.clone();
        moved.seq = 41;
        assert_eq!(
            moved.verify_signature(&trusted),
            Err(CheckpointError::BadSignature)
        );
        let (other_secret, _) = new_key([8; 32]);
        let forged = Checkpoint::sign(41, "abc", "x", &signing_key(&other_secret).unwrap());
        assert_eq!(
            forged.verify_signature(&trusted),
            Err(CheckpointError::NotTrustedKey)
        );
        assert_eq!(signing_key("not hex").unwrap_err(), CheckpointError::BadKey);
    }
}
