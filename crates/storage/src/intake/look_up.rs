//! What a batch depends on, in one statement whatever its size: earlier keys (idempotency keys,
//! bulk-file rows) and people already known, by match key.

use super::*;

pub(super) type KeyIndex = HashMap<(Option<String>, String), (Receipt, Option<String>)>;

/// The condition that `column` holds one of the strings in the JSON array bound as `$param`: how
/// a batch's keys are looked up.
///
/// The values travel as one parameter, so the statement's text is the same whatever the batch:
/// it is prepared once per connection, and PostgreSQL remakes its plan whenever the table's
/// statistics change. (A list of placeholders made a statement for every batch size, each with
/// a plan of its own, some made while the table was small and kept after it had grown.) On
/// PostgreSQL the values are an array, which the planner takes to be short and so looks each up
/// in the column's index; a set-returning function in a join it takes to be a hundred rows, and
/// it then reads the whole table instead once the table holds a few thousand. The condition also
/// says the column is not null, so an index of only the rows with a value serves it.
pub(crate) fn in_json_array(backend: Backend, column: &str, param: usize) -> String {
    let one_of = match backend {
        Backend::Postgres => {
            format!("= ANY (ARRAY(SELECT json_array_elements_text(${param}::json)))")
        }
        Backend::Sqlite => format!("IN (SELECT value FROM json_each(${param}))"),
    };
    format!("{column} IS NOT NULL AND {column} {one_of}")
}

/// The condition that the BIGINT `column` holds one of the numbers in the JSON array bound as
/// `$param`, by the same means as [`in_json_array`]: how blocking keys are looked up.
pub(crate) fn key_in_json_array(backend: Backend, column: &str, param: usize) -> String {
    match backend {
        Backend::Postgres => format!(
            "{column} = ANY (ARRAY(SELECT json_array_elements_text(${param}::json)::bigint))"
        ),
        Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${param}))"),
    }
}

/// A batch's look-ups in one statement, so they cost one round trip: earlier referrals by
/// idempotency key (`$1`) and by bulk-file row (`$2`), and people by match key (`$3`), each a
/// JSON array, empty when the batch has none; a person comes with the details held about them,
/// which a new referral is compared with. Every agency's referrals with a key are
/// returned; the writer matches the agency too. A key comes first in its unique index on (key,
/// submitting_agency), so each is one index probe.
static LOOK_UP: Statement = Statement::new(|backend| {
    let referrals = |kind: &str, column: &str, param: usize| {
        format!(
            "SELECT '{kind}' AS kind, submitting_agency, {column} AS k, id, reference, status, \
             received_at, due_on, idempotency_hash, NULL AS details, NULL AS safe_contact \
             FROM referrals WHERE {}",
            in_json_array(backend, column, param)
        )
    };
    format!(
        "{} UNION ALL {} UNION ALL SELECT 'person', NULL, match_key, id, NULL, NULL, NULL, \
         NULL, NULL, details, safe_contact FROM persons WHERE merged_into IS NULL AND {}",
        referrals("idempotency", "idempotency_key", 1),
        referrals("import", "import_key", 2),
        in_json_array(backend, "match_key", 3)
    )
});

/// The text of the intake's look-up, with its three JSON array parameters (idempotency keys,
/// bulk-file rows, match keys), so a test can ask the database how it plans it.
pub fn look_up_statement(backend: Backend) -> &'static str {
    LOOK_UP.text(backend)
}

/// What a batch's look-ups found: earlier referrals by key and people already known.
#[derive(Default)]
pub(super) struct Found {
    pub(super) by_idem: KeyIndex,
    pub(super) by_import: KeyIndex,
    /// People already stored, by match key.
    pub(super) known: HashMap<String, Known>,
}

/// A person already stored (or first met earlier in the batch): their id and the details held.
pub(super) struct Known {
    pub(super) id: String,
    pub(super) held: Details,
}

/// Looks up everything a batch depends on already stored: earlier idempotency keys, bulk-file
/// rows and people known by their match key (`harbour_domain::person_match`).
pub(super) async fn look_up(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &[Submission],
) -> Result<Found> {
    let values = |value: fn(&Submission) -> Option<String>| {
        let mut values: Vec<String> = batch.iter().filter_map(value).collect();
        values.sort_unstable();
        values.dedup();
        values
    };
    let idem_keys = values(|s| s.idempotency.as_ref().map(|(k, _)| k.clone()));
    let import_keys = values(|s| s.import_key.clone());
    let match_keys = values(|s| s.referral.person.match_key());
    let mut found = Found::default();
    if idem_keys.is_empty() && import_keys.is_empty() && match_keys.is_empty() {
        return Ok(found);
    }
    let rows = sqlx::query(LOOK_UP.text(backend))
        .bind(to_json(&idem_keys)?)
        .bind(to_json(&import_keys)?)
        .bind(to_json(&match_keys)?)
        .fetch_all(conn)
        .await?;
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let index = match kind.as_str() {
            "idempotency" => &mut found.by_idem,
            "import" => &mut found.by_import,
            "person" => {
                let key: String = r.try_get("k")?;
                if let std::collections::hash_map::Entry::Vacant(slot) = found.known.entry(key) {
                    let held = Details {
                        person: from_json(&r.try_get::<String, _>("details")?)?,
                        safe_contact: from_json(&r.try_get::<String, _>("safe_contact")?)?,
                    };
                    slot.insert(Known {
                        id: r.try_get("id")?,
                        held,
                    });
                }
                continue;
            }
            other => return Err(StorageError::Corrupt(format!("look-up row {other:?}"))),
        };
        index.insert(
            (r.try_get("submitting_agency")?, r.try_get("k")?),
            (receipt_from(&r)?, r.try_get("idempotency_hash")?),
        );
    }
    Ok(found)
}
