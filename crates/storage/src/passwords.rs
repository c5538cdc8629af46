//! Password hashing with Argon2id (the argon2 crate's defaults: the OWASP-recommended
//! m=19 MiB, t=2, p=1). Hashing is slow on purpose, so it runs off the async threads.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::OnceLock;

pub(crate) async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            // Hashing only fails for parameters we do not use.
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

/// Checks `password` against `stored`. With no stored hash (no such account) it checks
/// against a dummy, so an unknown address takes as long to refuse as a wrong password.
pub(crate) async fn verify(stored: Option<String>, password: String) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy().to_owned());
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    known && matches
}

fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no account has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = super::hash("correct horse battery".into()).await;
        let b = super::hash("correct horse battery".into()).await;
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(super::verify(Some(a.clone()), "correct horse battery".into()).await);
        assert!(!super::verify(Some(a), "wrong horse battery".into()).await);
        assert!(!super::verify(None, "no account has this password".into()).await);
    }
}
