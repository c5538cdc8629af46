//! The earlier referrals a batch of new ones is compared with: those sharing a blocking key with
//! any of them, found in one statement, with the person each is about and the details held
//! about that person. Referrals met earlier in the same batch join them as they are planned.

use crate::db::{Backend, Statement, to_json};
use crate::error::Result;
use crate::intake::key_in_json_array;
use crate::referrals::from_json;
use harbour_domain::linkage::Prepared;
use harbour_domain::linkage::known::record_of;
use harbour_domain::linkage::record::NameCache;
use harbour_domain::person_details::Details;
use harbour_domain::referral::Person;
use harbour_domain::safe_contact::SafeContact;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The most referrals one key brings, the newest first: a key shared by thousands (a common
/// name's sound) would otherwise make one referral compare with all of them.
pub const MAX_PER_KEY: i64 = 50;

static CANDIDATES: Statement = Statement::new(|backend| {
    format!(
        "SELECT b.block_key, r.id AS referral_id, r.person_id, r.person_details, \
         r.person_safe_contact, p.details, p.safe_contact \
         FROM (SELECT block_key, referral_id, ROW_NUMBER() OVER \
         (PARTITION BY block_key ORDER BY referral_id DESC) AS n \
         FROM referral_blocks WHERE {}) AS b \
         JOIN referrals r ON r.id = b.referral_id JOIN persons p ON p.id = r.person_id \
         WHERE b.n <= {MAX_PER_KEY}",
        key_in_json_array(backend, "block_key", 1)
    )
});

/// The text of the candidates' look-up (one JSON array parameter of keys), so a test can ask
/// the database how it plans it.
pub fn candidates_statement(backend: Backend) -> &'static str {
    CANDIDATES.text(backend)
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    block_key: i64,
    referral_id: String,
    person_id: String,
    person_details: String,
    person_safe_contact: String,
    details: String,
    safe_contact: String,
}

/// An earlier referral's record of the person, ready to compare.
pub(crate) struct Entry {
    pub(crate) person_id: String,
    pub(crate) referral_id: String,
    pub(crate) prepared: Prepared,
}

/// The candidates for a batch, by key, and what is held about each person they are about
/// (read as text, and parsed only for a person a referral is linked to).
#[derive(Default)]
pub(crate) struct Pool {
    entries: Vec<Entry>,
    by_key: HashMap<i64, Vec<usize>>,
    held_text: HashMap<String, (String, String)>,
    held: HashMap<String, Arc<Details>>,
}

impl Pool {
    /// The stored referrals that share any of `keys`. Names are prepared once a batch
    /// (`names`): the candidates of one batch share many.
    pub(crate) async fn look_up(
        conn: &mut AnyConnection,
        backend: Backend,
        keys: &[i64],
        names: &mut NameCache,
    ) -> Result<Pool> {
        let mut pool = Pool::default();
        if keys.is_empty() {
            return Ok(pool);
        }
        let rows: Vec<CandidateRow> = sqlx::query_as(CANDIDATES.text(backend))
            .bind(to_json(keys)?)
            .fetch_all(conn)
            .await?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in rows {
            let at = match seen.get(&r.referral_id) {
                Some(&at) => at,
                None => {
                    let person: Person = from_json(&r.person_details)?;
                    let safe: SafeContact = from_json(&r.person_safe_contact)?;
                    let at = pool.entries.len();
                    pool.entries.push(Entry {
                        prepared: Prepared::with_cache(&record_of(&person, &safe), names),
                        person_id: r.person_id.clone(),
                        referral_id: r.referral_id.clone(),
                    });
                    pool.held_text
                        .entry(r.person_id)
                        .or_insert((r.details, r.safe_contact));
                    seen.insert(r.referral_id, at);
                    at
                }
            };
            pool.by_key.entry(r.block_key).or_default().push(at);
        }
        Ok(pool)
    }

    /// Adds a referral planned earlier in the batch, found by its keys, with what is held about
    /// its person (for a person it made known).
    pub(crate) fn add(&mut self, entry: Entry, keys: &[i64], held: Option<Arc<Details>>) {
        if let Some(held) = held {
            self.held.insert(entry.person_id.clone(), held);
        }
        let at = self.entries.len();
        self.entries.push(entry);
        for k in keys {
            self.by_key.entry(*k).or_default().push(at);
        }
    }

    /// The referrals that share any of `keys`, each once.
    pub(crate) fn sharing(&self, keys: &[i64]) -> Vec<&Entry> {
        let mut seen = HashSet::new();
        keys.iter()
            .filter_map(|k| self.by_key.get(k))
            .flatten()
            .filter(|&&i| seen.insert(i))
            .map(|&i| &self.entries[i])
            .collect()
    }

    /// What is held about a person among the candidates.
    pub(crate) fn held(&mut self, person_id: &str) -> Result<Option<Arc<Details>>> {
        if let Some(d) = self.held.get(person_id) {
            return Ok(Some(d.clone()));
        }
        let Some((details, safe_contact)) = self.held_text.get(person_id) else {
            return Ok(None);
        };
        let d = Arc::new(Details {
            person: from_json(details)?,
            safe_contact: from_json(safe_contact)?,
        });
        self.held.insert(person_id.to_owned(), d.clone());
        Ok(Some(d))
    }
}
