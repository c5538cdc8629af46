//! Storage on the configured database: the audit chain, its append-only guard, durability of
//! the schema on both backends.

use harbour_domain::audit::ChainBreak;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::demo::load_demo;
use harbour_storage::{Backend, Db};
use harbour_testkit::TestDb;
use sqlx::{Executor, Row};

type R = anyhow::Result<()>;

async fn demo_db() -> anyhow::Result<(TestDb, Db)> {
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    load_demo(&db).await?;
    Ok((test_db, db))
}

/// Changes the log behind the application's back, as someone with database access could.
async fn tamper(db: &Db, sql: &str) -> R {
    let mut conn = db.pool().acquire().await?;
    match db.backend() {
        Backend::Sqlite => {
            conn.execute("DROP TRIGGER audit_log_no_update").await?;
            conn.execute("DROP TRIGGER audit_log_no_delete").await?;
        }
        Backend::Postgres => {
            conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
                .await?;
        }
    }
    conn.execute(sql).await?;
    Ok(())
}

#[tokio::test]
async fn the_demo_is_audited_and_the_chain_verifies() -> R {
    let (_t, db) = demo_db().await?;
    let n = harbour_testkit::inspect::rows(&db, "audit_log").await?;
    assert!(
        n >= 7 + 21,
        "every agency and person created is audited, got {n}"
    );
    assert_eq!(verify_log(&db).await?, Verification::Intact { entries: n });
    // Loading the demo twice changes nothing.
    assert!(!load_demo(&db).await?);
    Ok(())
}

#[tokio::test]
async fn the_application_cannot_alter_or_delete_audit_entries() -> R {
    let (_t, db) = demo_db().await?;
    let update = sqlx::query("UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 1")
        .execute(db.pool())
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 1")
        .execute(db.pool())
        .await;
    assert!(delete.is_err());
    assert!(matches!(
        verify_log(&db).await?,
        Verification::Intact { .. }
    ));
    Ok(())
}

#[tokio::test]
async fn an_altered_entry_is_named() -> R {
    let (_t, db) = demo_db().await?;
    tamper(&db, "UPDATE audit_log SET purpose = 'edited' WHERE seq = 5").await?;
    assert_eq!(
        verify_log(&db).await?,
        Verification::Broken(ChainBreak::Altered { seq: 5 })
    );
    Ok(())
}

#[tokio::test]
async fn a_removed_entry_is_named() -> R {
    let (_t, db) = demo_db().await?;
    tamper(&db, "DELETE FROM audit_log WHERE seq = 9").await?;
    assert_eq!(
        verify_log(&db).await?,
        Verification::Broken(ChainBreak::Missing {
            expected: 9,
            prev: 8,
            found: 10
        })
    );
    Ok(())
}

#[tokio::test]
async fn removing_the_newest_entries_is_detected() -> R {
    let (_t, db) = demo_db().await?;
    let n: i64 = sqlx::query("SELECT MAX(seq) AS n FROM audit_log")
        .fetch_one(db.pool())
        .await?
        .get("n");
    tamper(
        &db,
        &format!("DELETE FROM audit_log WHERE seq >= {}", n - 1),
    )
    .await?;
    assert_eq!(
        verify_log(&db).await?,
        Verification::Broken(ChainBreak::Truncated {
            last: n - 2,
            head: n
        })
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_audited_writes_keep_the_chain_whole() -> R {
    let (_t, db) = demo_db().await?;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                let mut tx = db.begin_write().await?;
                let event = harbour_domain::audit::AuditEvent {
                    actor_user_id: None,
                    actor_agency_id: None,
                    action: harbour_domain::audit::AuditAction::Read,
                    entity_kind: "test".into(),
                    entity_id: Some(format!("{i}-{j}")),
                    purpose: "concurrency".into(),
                    request_id: "r".into(),
                };
                harbour_storage::audit::append(&mut tx, &event).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let Verification::Intact { entries } = verify_log(&db).await? else {
        panic!("chain broken under concurrency");
    };
    let expected = harbour_testkit::inspect::rows(&db, "audit_log").await?;
    assert_eq!(entries, expected);
    Ok(())
}

/// On PostgreSQL the database hashes the chain (`audit_append`) and Rust checks it; on SQLite
/// Rust does both. Either way, awkward values in every field must chain and verify.
#[tokio::test]
async fn awkward_values_in_every_field_chain_and_verify() -> R {
    use harbour_domain::audit::{AuditAction, AuditEntry, AuditEvent};
    let test_db = TestDb::new().await?;
    let db = test_db.open().await?;
    let awkward: [Option<&str>; 12] = [
        None,
        Some(""),
        Some("-;"),
        Some("3:abc;"),
        Some("Siân Ní Bhriain"),
        Some("名前 🙂 \u{200b}"),
        Some("line one\nline two\ttab"),
        Some("'quoted' \"double\" \\ back"),
        Some("9223372036854775807"),
        Some("ß"),
        Some("x; y: z"),
        Some("a very long value that goes on and on and on and on and on and on and on and on"),
    ];
    let text = |i: usize| awkward[i % awkward.len()].unwrap_or("required");
    for i in 0..awkward.len() {
        let event = AuditEvent {
            actor_user_id: awkward[i].map(str::to_owned),
            actor_agency_id: awkward[(i + 1) % awkward.len()].map(str::to_owned),
            action: AuditAction::Read,
            entity_kind: text(i + 2).to_owned(),
            entity_id: awkward[(i + 3) % awkward.len()].map(str::to_owned),
            purpose: text(i + 4).to_owned(),
            request_id: text(i + 5).to_owned(),
        };
        let mut tx = db.begin_write().await?;
        harbour_storage::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
    }
    let Verification::Intact { entries } = verify_log(&db).await? else {
        panic!("the chain does not verify with awkward values");
    };
    assert!(entries >= awkward.len() as i64);
    if db.backend() == Backend::Postgres {
        // The database's hash of each awkward value in each place is the Rust one.
        for i in 0..awkward.len() {
            let entry = AuditEntry {
                seq: [0, 1, 42, i64::MAX][i % 4],
                at: text(i).to_owned(),
                actor_user_id: awkward[(i + 1) % awkward.len()].map(str::to_owned),
                actor_agency_id: awkward[(i + 2) % awkward.len()].map(str::to_owned),
                action: text(i + 3).to_owned(),
                entity_kind: text(i + 4).to_owned(),
                entity_id: awkward[(i + 5) % awkward.len()].map(str::to_owned),
                purpose: text(i + 6).to_owned(),
                request_id: text(i + 7).to_owned(),
                prev_hash: text(i + 8).to_owned(),
                hash: String::new(),
            };
            let hashed: String = sqlx::query(
                "SELECT audit_entry_hash($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS h",
            )
            .bind(&entry.prev_hash)
            .bind(entry.seq)
            .bind(&entry.at)
            .bind(&entry.actor_user_id)
            .bind(&entry.actor_agency_id)
            .bind(&entry.action)
            .bind(&entry.entity_kind)
            .bind(&entry.entity_id)
            .bind(&entry.purpose)
            .bind(&entry.request_id)
            .fetch_one(db.pool())
            .await?
            .get("h");
            assert_eq!(hashed, entry.compute_hash(), "{entry:?}");
        }
    }
    Ok(())
}

/// A column's type as both dialects can agree on it: SQLite stores booleans as integers and
/// has no widths, so PostgreSQL's types are read in SQLite's terms.
fn type_class(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "boolean" || t == "bool" {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real")
        || t.contains("floa")
        || t.contains("doub")
        || t.contains("numeric")
    {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else {
        "other"
    }
}

/// The schema as lines both dialects can be compared on: each column with its type class,
/// nullability and whether it has a default; each index by its table, columns, uniqueness and
/// whether it is partial (names differ between dialects for constraints' own indexes); each
/// trigger by name.
async fn schema(db: &Db) -> anyhow::Result<Vec<String>> {
    let (columns, indexes, triggers) = match db.backend() {
        Backend::Sqlite => (
            "SELECT m.name AS t, p.name AS c, p.type AS ty, (p.\"notnull\" = 1 OR p.pk > 0) AS nn, \
             p.dflt_value IS NOT NULL AS d FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            "SELECT m.name AS t, l.name AS i, l.\"unique\" AS u, l.partial AS p, \
             (SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_info(l.name) ii ORDER BY ii.seqno)) AS cols \
             FROM sqlite_master m JOIN pragma_index_list(m.name) l \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            "SELECT name AS n FROM sqlite_master WHERE type = 'trigger'",
        ),
        Backend::Postgres => (
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable = 'NO' AS nn, \
             column_default IS NOT NULL AS d FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
            "SELECT t.relname::text AS t, i.relname::text AS i, x.indisunique AS u, x.indpred IS NOT NULL AS p, \
             (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols \
             FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             WHERE ns.nspname = 'public' AND t.relname NOT LIKE '_sqlx%'",
            "SELECT DISTINCT trigger_name::text AS n FROM information_schema.triggers WHERE trigger_schema = 'public'",
        ),
    };
    let flag = |r: &sqlx::any::AnyRow, c: &str| -> anyhow::Result<bool> {
        Ok(r.try_get::<harbour_storage::db::Flag, _>(c)?.0)
    };
    let mut lines = Vec::new();
    for r in sqlx::query(columns).fetch_all(db.pool()).await? {
        let t: String = r.try_get("t")?;
        let c: String = r.try_get("c")?;
        let ty: String = r.try_get("ty")?;
        lines.push(format!(
            "column {t}.{c} {}{}{}",
            type_class(&ty),
            if flag(&r, "nn")? { " not null" } else { "" },
            if flag(&r, "d")? { " default" } else { "" },
        ));
    }
    for r in sqlx::query(indexes).fetch_all(db.pool()).await? {
        let t: String = r.try_get("t")?;
        let cols: Option<String> = r.try_get("cols")?;
        lines.push(format!(
            "index {t}({}){}{}",
            cols.unwrap_or_default(),
            if flag(&r, "u")? { " unique" } else { "" },
            if flag(&r, "p")? { " partial" } else { "" },
        ));
    }
    for r in sqlx::query(triggers).fetch_all(db.pool()).await? {
        let n: String = r.try_get("n")?;
        lines.push(format!("trigger {n}"));
    }
    lines.sort();
    Ok(lines)
}

#[tokio::test]
async fn both_backends_have_the_same_schema() -> R {
    let sqlite = TestDb::sqlite()?;
    let sqlite_schema = schema(&sqlite.open().await?).await?;
    for expected in [
        "column agencies.name text not null",
        "column audit_log.hash text not null",
        "index audit_log(seq) unique",
        "trigger audit_log_no_update",
        "index users(email) unique",
    ] {
        assert!(
            sqlite_schema.iter().any(|c| c == expected),
            "{expected} in {sqlite_schema:#?}"
        );
    }
    let configured = TestDb::new().await?;
    if configured.backend == Backend::Postgres {
        // The one known difference: SQLite cannot add a NOT NULL column without a default, so
        // migration 0011 gives these two an empty one there (intake always writes them);
        // PostgreSQL adds them, fills them and then makes them NOT NULL with no default.
        let sqlite_schema: Vec<String> = sqlite_schema
            .into_iter()
            .map(|l| match l.as_str() {
                "column referrals.person_details text not null default"
                | "column referrals.person_safe_contact text not null default" => {
                    l.trim_end_matches(" default").to_owned()
                }
                _ => l,
            })
            .collect();
        let pg_schema = schema(&configured.open().await?).await?;
        let only = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|l| !b.contains(l)).cloned().collect()
        };
        assert!(
            sqlite_schema == pg_schema,
            "migrations/sqlite and migrations/postgres differ.\nOnly on SQLite: {:#?}\nOnly on PostgreSQL: {:#?}",
            only(&sqlite_schema, &pg_schema),
            only(&pg_schema, &sqlite_schema)
        );
    }
    Ok(())
}

#[tokio::test]
async fn ended_sessions_and_spent_failures_are_purged() -> R {
    use harbour_storage::auth::{Device, SignInOutcome, SignInPolicy, purge_expired, sign_in};
    let (_t, db) = demo_db().await?;
    let device = Device::default();
    let policy = SignInPolicy::default();
    let live = sign_in(
        &db,
        &policy,
        "caseworker@demo.harbour.example",
        "harbour-demo-only",
        &device,
        "r1",
    )
    .await?;
    let stale = sign_in(
        &db,
        &policy,
        "referrer@demo.harbour.example",
        "harbour-demo-only",
        &device,
        "r2",
    )
    .await?;
    assert!(
        matches!(live, SignInOutcome::SignedIn { .. })
            && matches!(stale, SignInOutcome::SignedIn { .. })
    );
    sign_in(
        &db,
        &policy,
        "nobody@demo.harbour.example",
        "wrong",
        &device,
        "r3",
    )
    .await?;
    let referrer = harbour_testkit::inspect::user_id(&db, "referrer@demo.harbour.example").await?;
    sqlx::query(
        "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z' WHERE user_id = $1",
    )
    .bind(&referrer)
    .execute(db.pool())
    .await?;
    sqlx::query("UPDATE sign_in_failures SET window_started_at = '2000-01-01T00:00:00.000000Z'")
        .execute(db.pool())
        .await?;
    assert_eq!(purge_expired(&db, &policy).await?, (1, 1));
    let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sessions")
        .fetch_one(db.pool())
        .await?
        .get("n");
    assert_eq!(left, 1, "the live session stays");
    Ok(())
}
