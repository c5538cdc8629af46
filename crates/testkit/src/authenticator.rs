//! The tests' authenticator app: the code to sign in with for an account, from the demo's
//! derived secret or one the tests saw while setting an authenticator up. Harbour accepts each
//! time step's code once, and only this step's or the next; so this remembers the last step it
//! gave for each account on each Harbour, and waits for a new step when both are used, as a
//! person would.

use harbour_domain::two_factor::{STEP, code_at};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

type Key = (String, String);

static SECRETS: LazyLock<Mutex<HashMap<Key, Vec<u8>>>> = LazyLock::new(Default::default);
static LAST_STEP: LazyLock<Mutex<HashMap<Key, u64>>> = LazyLock::new(Default::default);

fn key(base: &str, email: &str) -> Key {
    (base.to_owned(), email.to_lowercase())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Remembers the secret shown while setting up an authenticator (as typed: base32 in groups).
pub fn remember(base: &str, email: &str, typed_secret: &str) -> anyhow::Result<()> {
    let clean: String = typed_secret.split_whitespace().collect();
    let secret = base32_decode(&clean)
        .ok_or_else(|| anyhow::anyhow!("the set-up page's key is not base32"))?;
    SECRETS
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .insert(key(base, email), secret);
    LAST_STEP
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .remove(&key(base, email));
    Ok(())
}

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())?;
        bits = (bits << 5) | u32::try_from(v).ok()?;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The secret for an account: one seen at set-up, or the demo's.
fn secret(base: &str, email: &str) -> Vec<u8> {
    SECRETS
        .lock()
        .ok()
        .and_then(|m| m.get(&key(base, email)).cloned())
        .unwrap_or_else(|| harbour_storage::demo::demo_two_factor_secret(&email.to_lowercase()))
}

/// A code Harbour has not yet seen for this account, waiting for the next step if need be.
pub async fn next_code(base: &str, email: &str) -> String {
    let secret = secret(base, email);
    loop {
        let now = unix_now() / STEP;
        let picked = {
            let Ok(mut last) = LAST_STEP.lock() else {
                return String::new();
            };
            let k = key(base, email);
            let from = last.get(&k).map_or(now, |l| (l + 1).max(now));
            (from <= now + 1).then(|| {
                last.insert(k, from);
                from
            })
        };
        if let Some(step) = picked {
            return code_at(&secret, step);
        }
        let wait = STEP - unix_now() % STEP;
        tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 50)).await;
    }
}

/// The secret as typed on the set-up page, from its HTML.
pub fn typed_secret(html: &str) -> Option<String> {
    let marker = "id=\"secret-key\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].trim().to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base32_reads_back() {
        let secret = b"12345678901234567890";
        let typed = harbour_domain::two_factor::secret_for_typing(secret);
        let clean: String = typed.split_whitespace().collect();
        assert_eq!(super::base32_decode(&clean).as_deref(), Some(&secret[..]));
    }
}
