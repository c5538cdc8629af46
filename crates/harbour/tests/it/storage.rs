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
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(db.pool())
        .await?
        .get("n");
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
    let expected: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(db.pool())
        .await?
        .get("n");
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

async fn columns(db: &Db) -> anyhow::Result<Vec<String>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name AS c FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'"
        }
    };
    let mut cols: Vec<String> = sqlx::query(sql)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.get("c"))
        .collect();
    cols.sort();
    Ok(cols)
}

#[tokio::test]
async fn both_backends_have_the_same_schema() -> R {
    let sqlite = TestDb::sqlite()?;
    let sqlite_cols = columns(&sqlite.open().await?).await?;
    for expected in [
        "agencies.name",
        "audit_log.hash",
        "audit_head.seq",
        "sessions.csrf_token",
        "users.email",
        "api_tokens.token_hash",
    ] {
        assert!(sqlite_cols.iter().any(|c| c == expected), "{expected}");
    }
    let configured = TestDb::new().await?;
    if configured.backend == Backend::Postgres {
        let pg_cols = columns(&configured.open().await?).await?;
        assert_eq!(
            sqlite_cols, pg_cols,
            "migrations/sqlite and migrations/postgres define the same tables and columns"
        );
    }
    Ok(())
}

#[tokio::test]
async fn ended_sessions_and_spent_failures_are_purged() -> R {
    use harbour_storage::auth::{SignInOutcome, SignInPolicy, purge_expired, sign_in};
    let (_t, db) = demo_db().await?;
    let policy = SignInPolicy::default();
    let live = sign_in(
        &db,
        &policy,
        "caseworker@demo.harbour.example",
        "harbour-demo-only",
        "r1",
    )
    .await?;
    let stale = sign_in(
        &db,
        &policy,
        "referrer@demo.harbour.example",
        "harbour-demo-only",
        "r2",
    )
    .await?;
    assert!(
        matches!(live, SignInOutcome::SignedIn { .. })
            && matches!(stale, SignInOutcome::SignedIn { .. })
    );
    sign_in(&db, &policy, "nobody@demo.harbour.example", "wrong", "r3").await?;
    let referrer: String =
        sqlx::query("SELECT id FROM users WHERE email = 'referrer@demo.harbour.example'")
            .fetch_one(db.pool())
            .await?
            .get("id");
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
