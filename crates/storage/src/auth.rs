//! Signing in and out, sessions, and API token checks: the work done before anyone is
//! known, so it cannot go through a [`crate::ScopedStore`]. Sign-ins, failures and
//! sign-outs are audited all the same.

use crate::actor::Actor;
use crate::audit;
use crate::db::{Db, WriteTx, format_time, now, parse_time};
use crate::error::{Result, StorageError};
use crate::passwords;
use crate::tokens::{TOKEN_PREFIX, digest, random_secret};
use chrono::{DateTime, Duration, Utc};
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::ids::{AgencyId, UserId};
use harbour_domain::role::Role;
use harbour_domain::user::normalise_email;
use sqlx::Row;
use std::collections::HashMap;

/// How sign-in protects itself; configurable, with these defaults.
#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    /// Failures within `window` that lock the address out.
    pub max_failures: i64,
    pub window: Duration,
    pub lockout: Duration,
    /// A session ends after this long without a request…
    pub idle_timeout: Duration,
    /// …and this long after sign-in, whatever happens.
    pub absolute_timeout: Duration,
    /// Whether everyone must sign in with a second factor, not only the roles that must
    /// ([`harbour_domain::two_factor::required`]).
    pub two_factor_for_everyone: bool,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            two_factor_for_everyone: false,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum SignInOutcome {
    /// The secret goes in the session cookie; only its digest is stored.
    SignedIn {
        session_secret: String,
        user_id: String,
        /// The device cookie's secret: the one the browser sent, or a new one to set.
        device_secret: String,
        /// Whether the person had signed in from other devices but never this one.
        new_device: bool,
    },
    /// The password was right; a code from the person's authenticator comes next, or, if they
    /// must use one and have none, setting one up. The secret goes in a short-lived cookie.
    SecondFactor {
        pending_secret: String,
        set_up: bool,
    },
    /// The password was right, but the person's agency signs its staff in only through its
    /// identity provider.
    UseIdentityProvider,
    WrongCredentials,
    LockedOut {
        until: DateTime<Utc>,
    },
}

/// A live session, as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: UserId,
    pub agency_id: AgencyId,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub csrf_token: String,
}

pub(crate) fn system_event(
    action: AuditAction,
    user_id: Option<String>,
    agency_id: Option<String>,
    purpose: &str,
    request_id: &str,
) -> AuditEvent {
    AuditEvent {
        actor_user_id: user_id.clone(),
        actor_agency_id: agency_id,
        action,
        entity_kind: "session".into(),
        entity_id: None,
        purpose: purpose.into(),
        request_id: request_id.into(),
    }
}

/// The browser signing in: its device cookie's secret, if it sent one, and its User-Agent in
/// words ([`harbour_domain::device::label`]).
#[derive(Debug, Clone, Default)]
pub struct Device<'a> {
    pub secret: Option<&'a str>,
    pub label: String,
}

pub async fn sign_in(
    db: &Db,
    policy: &SignInPolicy,
    email: &str,
    password: &str,
    device: &Device<'_>,
    request_id: &str,
) -> Result<SignInOutcome> {
    let email = normalise_email(email);
    let email_hash = digest(&email);
    let now_t = Utc::now();

    let locked_until: Option<String> =
        sqlx::query("SELECT locked_until FROM sign_in_failures WHERE email_hash = $1")
            .bind(&email_hash)
            .fetch_optional(db.pool())
            .await?
            .map(|r| r.try_get("locked_until"))
            .transpose()?
            .flatten();
    let account = sqlx::query(
        "SELECT id, agency_id, password_hash FROM users WHERE email = $1 AND active = $2",
    )
    .bind(&email)
    .bind(true)
    .fetch_optional(db.pool())
    .await?;
    let (user_id, agency_id, stored_hash) = match &account {
        Some(r) => (
            Some(r.try_get::<String, _>("id")?),
            Some(r.try_get::<String, _>("agency_id")?),
            Some(r.try_get::<String, _>("password_hash")?),
        ),
        None => (None, None, None),
    };

    if let Some(until) = locked_until.as_deref().map(parse_time).transpose()?
        && until > now_t
    {
        let mut tx = db.begin_write().await?;
        let event = system_event(
            AuditAction::SignInFailed,
            user_id,
            agency_id,
            "sign in while locked out",
            request_id,
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(SignInOutcome::LockedOut { until });
    }

    // The password check is slow by design: do it before taking the writer lock.
    let matches = passwords::verify(stored_hash, password.to_owned()).await;
    let mut tx = db.begin_write().await?;
    if !matches {
        let locked = record_failure(&mut tx, policy, &email_hash, now_t).await?;
        let event = system_event(
            AuditAction::SignInFailed,
            user_id,
            agency_id,
            "sign in with wrong credentials",
            request_id,
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(match locked {
            Some(until) => SignInOutcome::LockedOut { until },
            None => SignInOutcome::WrongCredentials,
        });
    }

    let user_id = user_id.ok_or(StorageError::NotFound("person"))?;
    sqlx::query("DELETE FROM sign_in_failures WHERE email_hash = $1")
        .bind(&email_hash)
        .execute(tx.conn())
        .await?;
    let roles = roles_of(&mut tx, &user_id).await?;
    let passwords_off: Option<crate::db::Flag> = sqlx::query_scalar(
        "SELECT passwords_off FROM agency_identity_providers WHERE agency_id = $1",
    )
    .bind(&agency_id)
    .fetch_optional(tx.conn())
    .await?;
    if passwords_off.is_some_and(|f| f.0) && !roles.contains(&Role::Administrator) {
        let event = system_event(
            AuditAction::SignInFailed,
            Some(user_id.clone()),
            agency_id,
            "sign in with a password where the agency uses its identity provider",
            request_id,
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(SignInOutcome::UseIdentityProvider);
    }
    if let Some(next) =
        crate::two_factor::second_factor_next(&mut tx, policy, &user_id, &roles).await?
    {
        tx.commit().await?;
        return Ok(next);
    }
    let started = start_session(
        &mut tx, policy, &user_id, agency_id, device, "sign in", request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(SignInOutcome::SignedIn {
        session_secret: started.session_secret,
        user_id,
        device_secret: started.device_secret,
        new_device: started.new_device,
    })
}

/// How long a sign-in part-way (password right, second factor to come) lasts.
pub(crate) const PENDING_LASTS: Duration = Duration::minutes(10);

/// The roles a person holds.
pub(crate) async fn roles_of(tx: &mut WriteTx, user_id: &str) -> Result<Vec<Role>> {
    let slugs: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(tx.conn())
        .await?;
    Ok(slugs
        .iter()
        .filter_map(|s| Role::staff_from_slug(s))
        .collect())
}

/// Counts a failed sign-in (a wrong password, or a wrong second factor) against the address;
/// the time it is locked out until, if this failure locks it.
pub(crate) async fn record_failure(
    tx: &mut WriteTx,
    policy: &SignInPolicy,
    email_hash: &str,
    now_t: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let row = sqlx::query(
        "SELECT failures, window_started_at FROM sign_in_failures WHERE email_hash = $1",
    )
    .bind(email_hash)
    .fetch_optional(tx.conn())
    .await?;
    let (failures, started) = match row {
        Some(r) => {
            let started = parse_time(&r.try_get::<String, _>("window_started_at")?)?;
            if now_t - started > policy.window {
                (1, now_t)
            } else {
                (r.try_get::<i64, _>("failures")? + 1, started)
            }
        }
        None => (1, now_t),
    };
    let locked = (failures >= policy.max_failures).then(|| now_t + policy.lockout);
    sqlx::query(
        "INSERT INTO sign_in_failures (email_hash, failures, window_started_at, locked_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (email_hash) DO UPDATE SET \
         failures = excluded.failures, window_started_at = excluded.window_started_at, \
         locked_until = excluded.locked_until",
    )
    .bind(email_hash)
    .bind(if locked.is_some() { 0 } else { failures })
    .bind(format_time(started))
    .bind(locked.map(format_time))
    .execute(tx.conn())
    .await?;
    Ok(locked)
}

/// A session begun: its secret for the cookie, the device cookie's, and whether the device is
/// new to the person.
pub(crate) struct Started {
    pub session_secret: String,
    pub device_secret: String,
    pub new_device: bool,
}

/// Begins a session for someone whose sign-in is complete, and audits it with `purpose`.
pub(crate) async fn start_session(
    tx: &mut WriteTx,
    policy: &SignInPolicy,
    user_id: &str,
    agency_id: Option<String>,
    device: &Device<'_>,
    purpose: &str,
    request_id: &str,
) -> Result<Started> {
    let now_t = Utc::now();
    let session_secret = random_secret();
    let at = now();
    // A device is known by its cookie; one the person has not used before is new, unless it is
    // their first.
    let device_secret = device
        .secret
        .filter(|s| s.len() >= 32)
        .map_or_else(random_secret, str::to_owned);
    let device_hash = digest(&device_secret);
    let known: Vec<(String, String)> =
        sqlx::query_as("SELECT id, device_hash FROM known_devices WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(tx.conn())
            .await?;
    let new_device = !known.is_empty() && !known.iter().any(|(_, h)| *h == device_hash);
    let device_id = if let Some((id, _)) = known.iter().find(|(_, h)| *h == device_hash) {
        sqlx::query("UPDATE known_devices SET last_seen = $1, label = $2 WHERE id = $3")
            .bind(&at)
            .bind(&device.label)
            .bind(id)
            .execute(tx.conn())
            .await?;
        id.clone()
    } else {
        let id = crate::db::new_id();
        sqlx::query(
            "INSERT INTO known_devices (id, user_id, device_hash, label, first_seen, last_seen, acknowledged) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(&device_hash)
        .bind(&device.label)
        .bind(&at)
        .bind(!new_device)
        .execute(tx.conn())
        .await?;
        id
    };
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, id, device, device_id) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
    )
    .bind(digest(&session_secret))
    .bind(user_id)
    .bind(random_secret())
    .bind(&at)
    .bind(format_time(now_t + policy.absolute_timeout))
    .bind(crate::db::new_id())
    .bind(&device.label)
    .bind(&device_id)
    .execute(tx.conn())
    .await?;
    let purpose = if new_device {
        format!("{purpose} from a new device")
    } else {
        purpose.to_owned()
    };
    let event = system_event(
        AuditAction::SignIn,
        Some(user_id.to_owned()),
        agency_id,
        &purpose,
        request_id,
    );
    audit::append(tx, &event).await?;
    Ok(Started {
        session_secret,
        device_secret,
        new_device,
    })
}

/// The session for a cookie's secret, if it is live; refreshes its idle clock.
pub async fn load_session(db: &Db, policy: &SignInPolicy, secret: &str) -> Result<Option<Session>> {
    let token_hash = digest(secret);
    let Some(row) = sqlx::query(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, u.agency_id, u.display_name \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.active = $2",
    )
    .bind(&token_hash)
    .bind(true)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let now_t = Utc::now();
    let last_seen = parse_time(&row.try_get::<String, _>("last_seen_at")?)?;
    let expires = parse_time(&row.try_get::<String, _>("expires_at")?)?;
    if expires <= now_t || now_t - last_seen > policy.idle_timeout {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash)
            .execute(db.pool())
            .await?;
        return Ok(None);
    }
    // Refresh at most once a minute, so reading pages does not mean writing on every request.
    if now_t - last_seen > Duration::minutes(1) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(format_time(now_t))
            .bind(&token_hash)
            .execute(db.pool())
            .await?;
    }
    let user_id: UserId = row.try_get("user_id")?;
    let roles = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(&user_id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String, _>("role").ok())
        .filter_map(|slug| Role::staff_from_slug(&slug))
        .collect();
    Ok(Some(Session {
        user_id,
        agency_id: row.try_get("agency_id")?,
        display_name: row.try_get("display_name")?,
        roles,
        csrf_token: row.try_get("csrf_token")?,
    }))
}

pub async fn sign_out(db: &Db, secret: &str, session: &Session, request_id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(digest(secret))
        .execute(tx.conn())
        .await?;
    let event = system_event(
        AuditAction::SignOut,
        Some(session.user_id.to_string()),
        Some(session.agency_id.to_string()),
        "sign out",
        request_id,
    );
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// How long a token found live is trusted without asking the database again. Revoking in this
/// process clears it at once; another Harbour process sees a revocation within this time.
const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// API tokens recently found live, by digest: (when checked, token id, agency id).
#[derive(Default)]
pub(crate) struct LiveTokens(pub(crate) std::sync::Mutex<HashMap<String, LiveToken>>);

/// When a token was found live, its id and its agency.
type LiveToken = (std::time::Instant, String, String);

/// The integration actor for a bearer token, if the token is live.
pub async fn authenticate_token(db: &Db, secret: &str, request_id: &str) -> Result<Option<Actor>> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let token_digest = digest(secret);
    let live = db.owned::<LiveTokens>();
    let cached = live.0.lock().ok().and_then(|c| {
        c.get(&token_digest)
            .filter(|(at, _, _)| at.elapsed() < TOKEN_RECHECK)
            .cloned()
    });
    if let Some((_, id, agency_id)) = cached {
        return Ok(Some(Actor {
            user_id: None,
            agency_id: agency_id.into(),
            roles: vec![Role::Integration],
            request_id: request_id.to_owned(),
            token_id: Some(id),
        }));
    }
    let Some(row) = sqlx::query(
        "SELECT t.id, t.agency_id, t.last_used_at FROM api_tokens t \
         JOIN agencies a ON a.id = t.agency_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.active = $2",
    )
    .bind(&token_digest)
    .bind(true)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let agency_id: String = row.try_get("agency_id")?;
    if let Ok(mut cache) = live.0.lock() {
        cache.insert(
            token_digest,
            (std::time::Instant::now(), id.clone(), agency_id.clone()),
        );
    }
    let last_used: Option<String> = row.try_get("last_used_at")?;
    let stale = match last_used.as_deref().map(parse_time).transpose()? {
        Some(t) => Utc::now() - t > Duration::minutes(1),
        None => true,
    };
    if stale {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now())
            .bind(&id)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(Actor {
        user_id: None,
        agency_id: agency_id.into(),
        roles: vec![Role::Integration],
        request_id: request_id.to_owned(),
        token_id: Some(id),
    }))
}

/// Deletes sessions past either timeout and failure counts whose window and lock-out are
/// over. Returns how many of each were removed. Run periodically by the server.
pub async fn purge_expired(db: &Db, policy: &SignInPolicy) -> Result<(u64, u64)> {
    let now_t = Utc::now();
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(format_time(now_t))
        .bind(format_time(now_t - policy.idle_timeout))
        .execute(db.pool())
        .await?
        .rows_affected();
    // Sign-ins part-way go with the sessions.
    sqlx::query("DELETE FROM pending_sign_ins WHERE expires_at <= $1")
        .bind(format_time(now_t))
        .execute(db.pool())
        .await?;
    let failures = sqlx::query(
        "DELETE FROM sign_in_failures WHERE window_started_at < $1 \
         AND (locked_until IS NULL OR locked_until < $2)",
    )
    .bind(format_time(now_t - policy.window))
    .bind(format_time(now_t))
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok((sessions, failures))
}
