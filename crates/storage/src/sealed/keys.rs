//! The key-encryption key, and the data keys it wraps: made, unwrapped at start, re-wrapped.

use super::{Keyring, remember, sealed_tables};
use crate::db::{Db, format_time, new_id};
use crate::error::{Result, StorageError};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD as B64};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// A key-encryption key's setting that cannot be one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("is not base64: make one with harbour keys new")]
    NotBase64,
    #[error("is {0} bytes long, not 32: make one with harbour keys new")]
    WrongLength(usize),
}

/// The key that wraps the data keys: 32 random bytes, given in base64.
#[derive(Clone)]
pub struct KeyEncryptionKey {
    cipher: Aes256Gcm,
    id: String,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl KeyEncryptionKey {
    fn from_bytes(bytes: &[u8; 32]) -> KeyEncryptionKey {
        // The id names the key in `data_keys` and in errors; a hash of it, not the key.
        let digest = Sha256::new()
            .chain_update(b"harbour key-encryption key id\0")
            .chain_update(bytes)
            .finalize();
        KeyEncryptionKey {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)),
            id: hex::encode(&digest[..6]),
        }
    }

    /// A key from its setting: 32 bytes in base64.
    pub fn from_base64(text: &str) -> std::result::Result<KeyEncryptionKey, KeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::NotBase64)?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(KeyEncryptionKey::from_bytes(&bytes))
    }

    /// A new random key, in base64, for the setting.
    pub fn generate() -> String {
        STANDARD.encode(Aes256Gcm::generate_key(&mut OsRng))
    }

    /// The key the demonstration, the tests and the benchmarks use: it is in the source code,
    /// so it protects nothing, and `harbour serve` uses it only with `--demo`.
    pub fn development() -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes(&development_bytes())
    }

    /// The development key as its setting is written, for the tests' and benchmarks' commands.
    pub fn development_base64() -> String {
        STANDARD.encode(development_bytes())
    }

    /// Its id: a fingerprint, safe to show.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key_id: &str, purpose: &str, key: &[u8]) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = format!("harbour data key {key_id} {purpose}");
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: key,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StorageError::Write("wrapping a data key failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(B64.encode(bytes))
    }

    fn unwrap_key(&self, key_id: &str, purpose: &str, wrapped: &str) -> Option<Aes256Gcm> {
        let key = self.unwrap_bytes(key_id, purpose, wrapped)?;
        Aes256Gcm::new_from_slice(&key).ok()
    }

    fn unwrap_bytes(&self, key_id: &str, purpose: &str, wrapped: &str) -> Option<Vec<u8>> {
        let bytes = B64.decode(wrapped).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let aad = format!("harbour data key {key_id} {purpose}");
        self.cipher
            .decrypt(
                nonce.into(),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }
}

fn development_bytes() -> [u8; 32] {
    Sha256::digest(b"harbour development key-encryption key: protects nothing").into()
}

#[derive(sqlx::FromRow)]
struct DataKeyRow {
    id: String,
    purpose: String,
    wrapped: String,
    wrapped_by: String,
}

async fn data_keys(conn: &mut sqlx::AnyConnection) -> Result<Vec<DataKeyRow>> {
    Ok(
        sqlx::query_as("SELECT id, purpose, wrapped, wrapped_by FROM data_keys ORDER BY purpose")
            .fetch_all(conn)
            .await?,
    )
}

/// The error for a key-encryption key that did not wrap this database's data keys.
fn wrong_key(kek: &KeyEncryptionKey, row: &DataKeyRow) -> StorageError {
    if row.wrapped_by == kek.id() {
        StorageError::Open(format!(
            "the data key for {} does not unwrap with the encryption key {} that wrapped it: \
             the data_keys table has been altered",
            row.purpose,
            kek.id()
        ))
    } else {
        StorageError::Open(format!(
            "the encryption key set (id {}) is not the one this database's data keys are \
             wrapped with (id {}): start Harbour with that key (the encryption_key setting, or \
             HARBOUR_ENCRYPTION_KEY_FILE); if the keys were rotated, with the new one",
            kek.id(),
            row.wrapped_by
        ))
    }
}

/// Unwraps the database's data keys with its key-encryption key, making any a table lacks and
/// sealing what was written before its field was sealed; the keyring is then the database's.
pub(crate) async fn unlock(db: &Db) -> Result<()> {
    let kek = db.key_encryption_key();
    let mut rows = data_keys(&mut *db.pool().acquire().await?).await?;
    // Check the key before writing anything with it.
    if let Some(row) = rows.first()
        && kek
            .unwrap_key(&row.id, &row.purpose, &row.wrapped)
            .is_none()
    {
        return Err(wrong_key(&kek, row));
    }
    let tables = sealed_tables();
    let missing: Vec<_> = tables
        .iter()
        .filter(|t| !rows.iter().any(|r| r.purpose == **t))
        .collect();
    if !missing.is_empty() {
        let mut tx = db.begin_write().await?;
        let at = format_time(chrono::Utc::now());
        for table in missing {
            let id = new_key_id();
            let key = Aes256Gcm::generate_key(&mut OsRng);
            // Two processes starting at once: the first key made for a table is the one.
            sqlx::query(
                "INSERT INTO data_keys (id, purpose, wrapped, wrapped_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (purpose) DO NOTHING",
            )
            .bind(&id)
            .bind(*table)
            .bind(kek.wrap(&id, table, &key)?)
            .bind(kek.id())
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        rows = data_keys(&mut *db.pool().acquire().await?).await?;
    }
    let mut by_table = HashMap::new();
    for row in &rows {
        let cipher = Arc::new(
            kek.unwrap_key(&row.id, &row.purpose, &row.wrapped)
                .ok_or_else(|| wrong_key(&kek, row))?,
        );
        remember(&row.id, cipher.clone());
        if let Some(table) = tables.iter().find(|t| **t == row.purpose) {
            by_table.insert(*table, (row.id.clone(), cipher));
        }
    }
    db.set_keyring(Keyring { by_table });
    let sealed = super::existing::seal_unlisted_fields(db).await?;
    if sealed > 0 {
        tracing::info!(
            values = sealed,
            "sealed values written before their fields were sealed"
        );
        super::existing::clear_old_pages(db).await?;
    }
    Ok(())
}

/// A data key's id: short, random, and named in every value it seals.
fn new_key_id() -> String {
    new_id().replace('-', "")[20..].to_owned()
}

/// Re-wraps every data key under `to`, in one transaction, after checking `from` unwraps them
/// all. The data keys themselves, and so every sealed value, stay as they are: a Harbour
/// running meanwhile carries on, and starts next with `to`. Returns how many were re-wrapped.
pub async fn rotate(db: &Db, from: &KeyEncryptionKey, to: &KeyEncryptionKey) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let rows = data_keys(tx.conn()).await?;
    let at = format_time(chrono::Utc::now());
    for row in &rows {
        if row.wrapped_by == to.id() && to.unwrap_key(&row.id, &row.purpose, &row.wrapped).is_some()
        {
            continue;
        }
        let key = from
            .unwrap_bytes(&row.id, &row.purpose, &row.wrapped)
            .ok_or_else(|| wrong_key(from, row))?;
        sqlx::query(
            "UPDATE data_keys SET wrapped = $1, wrapped_by = $2, rewrapped_at = $3 WHERE id = $4",
        )
        .bind(to.wrap(&row.id, &row.purpose, &key)?)
        .bind(to.id())
        .bind(&at)
        .bind(&row.id)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
pub(super) fn new_data_key_for_tests() -> (String, Arc<Aes256Gcm>) {
    let key = Aes256Gcm::generate_key(&mut OsRng);
    (new_key_id(), Arc::new(Aes256Gcm::new(&key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_bytes_of_base64_and_its_id_is_not_the_key() {
        let text = KeyEncryptionKey::generate();
        let kek = KeyEncryptionKey::from_base64(&text).unwrap();
        assert_eq!(kek.id().len(), 12);
        assert!(!text.contains(kek.id()));
        assert_eq!(
            KeyEncryptionKey::from_base64("not base64!").unwrap_err(),
            KeyError::NotBase64
        );
        assert_eq!(
            KeyEncryptionKey::from_base64("c2hvcnQ=").unwrap_err(),
            KeyError::WrongLength(5)
        );
    }

    #[test]
    fn a_data_key_unwraps_only_with_its_key_and_for_its_table() {
        let (a, b) = (
            KeyEncryptionKey::from_base64(&KeyEncryptionKey::generate()).unwrap(),
            KeyEncryptionKey::from_base64(&KeyEncryptionKey::generate()).unwrap(),
        );
        let key = [7u8; 32];
        let wrapped = a.wrap("k1", "persons", &key).unwrap();
        assert_eq!(a.unwrap_bytes("k1", "persons", &wrapped).unwrap(), key);
        assert!(b.unwrap_bytes("k1", "persons", &wrapped).is_none());
        assert!(a.unwrap_bytes("k1", "referrals", &wrapped).is_none());
    }
}
