//! Writing a planned batch: one statement on PostgreSQL, a statement each in one transaction
//! on SQLite, from typed rows serialised as JSON so a statement's text never changes.

use super::*;

/// Writes a batch with a few statements, whatever its size.
///
/// On PostgreSQL: the look-ups, then one statement that inserts the new people and the
/// referrals, updates the people already known and appends the audit entries, committed on its
/// own. Each round trip wakes a process on both sides, and on these machines that, not the rows,
/// was most of a batch's cost; one statement is also all-or-nothing without a transaction
/// around it. On SQLite: one transaction with a statement each, under the database's write lock.
pub(super) async fn write_together(
    db: &Db,
    batch: &[Submission],
) -> Result<Vec<Result<Submitted>>> {
    match db.backend() {
        Backend::Postgres => {
            let mut conn = db.intake_pool().acquire().await?;
            let found = look_up(&mut conn, Backend::Postgres, batch).await?;
            let (records, recognising) = recognising(db, &mut conn, batch).await?;
            let plan = plan(batch, found, records, recognising, &*db.keyring()?)?;
            if !plan.referrals.is_empty() {
                write_in_one_statement(&mut conn, &plan).await?;
            }
            Ok(plan.results)
        }
        Backend::Sqlite => {
            // The candidates are read before the database's one write lock is taken, so the
            // comparing does not hold up other writers. A referral committed in between is not
            // among them: two referrals of one new person a few milliseconds apart in different
            // batches may make two people, as two concurrent batches on PostgreSQL may; dedupe
            // finds them.
            let (records, recognising) = {
                let mut conn = db.pool().acquire().await?;
                recognising(db, &mut conn, batch).await?
            };
            let mut tx = db.begin_write().await?;
            let found = look_up(tx.conn(), Backend::Sqlite, batch).await?;
            let plan = plan(batch, found, records, recognising, &*db.keyring()?)?;
            if !plan.referrals.is_empty() {
                write_statement_by_statement(&mut tx, &plan).await?;
            }
            tx.commit().await?;
            Ok(plan.results)
        }
    }
}

/// Each submission's record of the person, prepared, with its blocking keys; and, once a model
/// has been trained, the model and the stored referrals sharing a key with any of them.
async fn recognising(
    db: &Db,
    conn: &mut AnyConnection,
    batch: &[Submission],
) -> Result<(Vec<(Prepared, Vec<i64>)>, Option<Recognising>)> {
    let mut names = NameCache::new();
    let records: Vec<(Prepared, Vec<i64>)> = batch
        .iter()
        .map(|s| {
            let record = record_of(&s.referral.person, &s.referral.safe_contact);
            let prepared = Prepared::with_cache(&record, &mut names);
            let keys = keys(&prepared);
            (prepared, keys)
        })
        .collect();
    let Some(recogniser) = crate::recognition::recogniser(db).await? else {
        return Ok((records, None));
    };
    let mut all: Vec<i64> = records
        .iter()
        .flat_map(|(_, k)| k.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    let pool = Pool::look_up(conn, db.backend(), &all, &mut names).await?;
    Ok((records, Some(Recognising { recogniser, pool })))
}

/// PostgreSQL: the whole batch in one statement, from seven JSON parameters (new people,
/// referrals, audit entries, blocking keys, matches, the reports' facts and what they add to
/// the reports' sums, in key order). The referrals' foreign keys are checked at its end,
/// when the people are there. The audit head is locked last, inside `intake_append`, after the
/// rows are in (its FROM reads every WITH first), and the sums after it, so concurrent batches
/// wait for each other only from there to the commit.
static WRITE_ALL: Statement = Statement::new(|backend| {
    let people = insert_json_rows_from(backend, "persons", &PERSON_COLUMNS, 1);
    let referrals = insert_json_rows_from(backend, "referrals", &REFERRAL_COLUMNS, 2);
    let blocks = insert_json_rows_from(backend, "referral_blocks", &BLOCK_COLUMNS, 4);
    let matches = insert_json_rows_from(backend, "person_matches", &MATCH_COLUMNS, 5);
    let facts = insert_json_rows_from(backend, "report_facts", &FACT_COLUMNS, 6);
    format!(
        "WITH people AS ({people} RETURNING 1), referrals AS ({referrals} RETURNING 1), \
         blocks AS ({blocks} RETURNING 1), matches AS ({matches} RETURNING 1), \
         facts AS ({facts} RETURNING 1) \
         SELECT intake_append($3::json, $7::json) FROM (SELECT count(*) FROM people) AS p, \
         (SELECT count(*) FROM referrals) AS r, (SELECT count(*) FROM blocks) AS b, \
         (SELECT count(*) FROM matches) AS m, (SELECT count(*) FROM facts) AS f"
    )
});

/// SQLite: a statement each for the new people and the referrals, each from one JSON parameter;
/// then the audit entries.
static WRITE_PEOPLE: Statement =
    Statement::new(|backend| insert_json_rows(backend, "persons", &PERSON_COLUMNS));
static WRITE_REFERRALS: Statement =
    Statement::new(|backend| insert_json_rows(backend, "referrals", &REFERRAL_COLUMNS));
static WRITE_MATCHES: Statement =
    Statement::new(|backend| insert_json_rows(backend, "person_matches", &MATCH_COLUMNS));

/// The texts of the statements that write a batch on `backend`, each with the number of JSON
/// array parameters it takes, so a test can ask the database how it plans them.
pub fn write_statements(backend: Backend) -> Vec<(&'static str, usize)> {
    match backend {
        Backend::Postgres => vec![(WRITE_ALL.text(backend), 7)],
        Backend::Sqlite => [
            &WRITE_PEOPLE,
            &WRITE_REFERRALS,
            &WRITE_MATCHES,
            &WRITE_FACTS,
        ]
        .into_iter()
        .map(|s| (s.text(backend), 1))
        .chain([(write_blocks_statement(backend), 1)])
        .collect(),
    }
}

pub(super) async fn write_in_one_statement(
    conn: &mut AnyConnection,
    plan: &Plan<'_>,
) -> Result<()> {
    sqlx::query(WRITE_ALL.text(Backend::Postgres))
        .bind(to_json(&plan.new_people)?)
        .bind(to_json(&plan.referrals)?)
        .bind(audit::to_append(&plan.events, &now())?)
        .bind(to_json(&plan.blocks)?)
        .bind(to_json(&plan.matches)?)
        .bind(to_json(&plan.facts)?)
        .bind(to_json(&crate::reports::summary::changes(
            &[],
            &plan.facts,
        ))?)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn write_statement_by_statement(tx: &mut WriteTx, plan: &Plan<'_>) -> Result<()> {
    let backend = tx.backend();
    if !plan.new_people.is_empty() {
        sqlx::query(WRITE_PEOPLE.text(backend))
            .bind(to_json(&plan.new_people)?)
            .execute(tx.conn())
            .await?;
    }
    sqlx::query(WRITE_REFERRALS.text(backend))
        .bind(to_json(&plan.referrals)?)
        .execute(tx.conn())
        .await?;
    if !plan.blocks.is_empty() {
        sqlx::query(write_blocks_statement(backend))
            .bind(to_json(&plan.blocks)?)
            .execute(tx.conn())
            .await?;
    }
    if !plan.matches.is_empty() {
        sqlx::query(WRITE_MATCHES.text(backend))
            .bind(to_json(&plan.matches)?)
            .execute(tx.conn())
            .await?;
    }
    sqlx::query(WRITE_FACTS.text(backend))
        .bind(to_json(&plan.facts)?)
        .execute(tx.conn())
        .await?;
    audit::append_all(tx, &plan.events).await?;
    crate::reports::summary::apply(tx.conn(), backend, &[], &plan.facts).await
}

/// A new person as the INSERT reads it; the names are the columns'.
#[derive(Serialize)]
pub(super) struct PersonRow<'a> {
    pub(super) id: String,
    pub(super) given_name: &'a str,
    pub(super) family_name: &'a str,
    pub(super) date_of_birth: Option<String>,
    pub(super) match_key: Option<String>,
    pub(super) postcode: &'a str,
    pub(super) area: Option<&'a str>,
    pub(super) details: String,
    pub(super) safe_contact: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) const PERSON_COLUMNS: [(&str, &str); 11] = [
    ("id", "text"),
    ("given_name", "text"),
    ("family_name", "text"),
    ("date_of_birth", "text"),
    ("match_key", "text"),
    ("postcode", "text"),
    ("area", "text"),
    ("details", "text"),
    ("safe_contact", "text"),
    ("created_at", "text"),
    ("updated_at", "text"),
];

/// A new referral as the INSERT reads it; the names are the columns'.
#[derive(Serialize)]
pub(super) struct ReferralRow<'a> {
    pub(super) id: String,
    pub(super) reference: String,
    pub(super) person_id: String,
    pub(super) status: &'static str,
    pub(super) source: &'static str,
    pub(super) submitted_by: Option<&'a str>,
    pub(super) submitting_agency: Option<&'a str>,
    pub(super) api_token_id: Option<&'a str>,
    pub(super) received_at: String,
    pub(super) due_on: String,
    pub(super) crime_category: &'static str,
    pub(super) reported_to_police: bool,
    pub(super) police_reference: Option<&'a str>,
    pub(super) incident_date: Option<String>,
    pub(super) incident_area: Option<&'a str>,
    pub(super) area: Option<&'a str>,
    pub(super) perpetrators: String,
    pub(super) children: String,
    pub(super) consent_to_referral: &'static str,
    pub(super) consent_basis: &'static str,
    pub(super) consent_to_aggregate: bool,
    pub(super) referrer_risk_level: Option<&'static str>,
    pub(super) risk_level: Option<&'static str>,
    pub(super) notes: String,
    pub(super) block_keys: i64,
    pub(super) person_details: String,
    pub(super) person_safe_contact: String,
    pub(super) details_review: Option<&'static str>,
    pub(super) idempotency_key: Option<&'a str>,
    pub(super) idempotency_hash: Option<&'a str>,
    pub(super) import_key: Option<&'a str>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) const REFERRAL_COLUMNS: [(&str, &str); 33] = [
    ("id", "text"),
    ("reference", "text"),
    ("person_id", "text"),
    ("status", "text"),
    ("source", "text"),
    ("submitted_by", "text"),
    ("submitting_agency", "text"),
    ("api_token_id", "text"),
    ("received_at", "text"),
    ("due_on", "text"),
    ("crime_category", "text"),
    ("reported_to_police", "boolean"),
    ("police_reference", "text"),
    ("incident_date", "text"),
    ("incident_area", "text"),
    ("area", "text"),
    ("perpetrators", "text"),
    ("children", "text"),
    ("consent_to_referral", "text"),
    ("consent_basis", "text"),
    ("consent_to_aggregate", "boolean"),
    ("referrer_risk_level", "text"),
    ("risk_level", "text"),
    ("notes", "text"),
    ("block_keys", "bigint"),
    ("person_details", "text"),
    ("person_safe_contact", "text"),
    ("details_review", "text"),
    ("idempotency_key", "text"),
    ("idempotency_hash", "text"),
    ("import_key", "text"),
    ("created_at", "text"),
    ("updated_at", "text"),
];

/// What recognition found for a new referral, as the INSERT reads it.
#[derive(Serialize)]
pub(super) struct MatchRow {
    pub(super) id: String,
    pub(super) referral_id: String,
    pub(super) person_id: String,
    pub(super) candidate_id: String,
    pub(super) candidate_referral_id: String,
    pub(super) probability: f64,
    pub(super) explanation: String,
    pub(super) model_version: i64,
    pub(super) state: &'static str,
    pub(super) created_at: String,
}

pub(super) const MATCH_COLUMNS: [(&str, &str); 10] = [
    ("id", "text"),
    ("referral_id", "text"),
    ("person_id", "text"),
    ("candidate_id", "text"),
    ("candidate_referral_id", "text"),
    ("probability", "double precision"),
    ("explanation", "text"),
    ("model_version", "bigint"),
    ("state", "text"),
    ("created_at", "text"),
];

/// A referral linked to a known person at once, above the link threshold.
pub(crate) const MATCH_LINKED: &str = "linked";
/// A possible match, waiting for the hub.
pub(crate) const MATCH_POSSIBLE: &str = "possible";

/// A referral whose details differ from those held, until someone chooses between them.
pub(crate) const DETAILS_PENDING: &str = "pending";

/// A reference people can read out on the phone: 60 random bits in Crockford's base 32.
pub(super) fn new_reference() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = rand::thread_rng().next_u64();
    let mut chars = Vec::with_capacity(12);
    for _ in 0..12 {
        chars.push(ALPHABET[(n & 31) as usize] as char);
        n >>= 5;
    }
    let s: String = chars.into_iter().collect();
    format!("HBR-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}
