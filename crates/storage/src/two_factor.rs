//! Two-factor sign-in ([`harbour_domain::two_factor`]): finishing a sign-in whose password was
//! right with a code from the person's authenticator or a recovery code, setting an
//! authenticator up (at sign-in, when the person must have one, or from their account page),
//! new recovery codes, and turning it off where it is not required.
//!
//! A wrong code counts against the address like a wrong password, and a sign-in part-way ends
//! after five of them or ten minutes. Secrets are stored as hex for now; the encryption of
//! sensitive fields at rest will cover them.

use crate::audit;
use crate::auth::{
    Device, PENDING_LASTS, SignInOutcome, SignInPolicy, Started, record_failure, start_session,
    system_event,
};
use crate::db::{Db, WriteTx, format_time, now, parse_time};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use crate::tokens::{digest, random_secret};
use chrono::{DateTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::permission::Action;
use harbour_domain::two_factor::{self, CodeRefused};
use harbour_domain::validation::FieldErrors;

/// Wrong codes a sign-in part-way allows before it must start again.
const MAX_ATTEMPTS: i64 = 5;

/// What setting up an authenticator shows: the QR code's address and the secret to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub url: String,
    pub typed: String,
}

/// How finishing a sign-in with a code went.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeOutcome {
    /// Signed in; `recovery_codes` are new ones to show once, if an authenticator was set up.
    SignedIn {
        session_secret: String,
        device_secret: String,
        recovery_codes: Vec<String>,
    },
    /// The code was refused; the person may try again.
    Refused(&'static str),
    /// The sign-in part-way has ended, or there was none: start again.
    TimedOut,
    /// Too many wrong codes: start again.
    StartAgain,
    LockedOut {
        until: DateTime<Utc>,
    },
}

/// A person's second factor, as their account page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub set_up: bool,
    pub confirmed_at: Option<String>,
    pub recovery_codes_left: i64,
    /// Whether their roles (or the partnership's setting) require it, so it cannot be turned off.
    pub required: bool,
}

#[derive(sqlx::FromRow)]
struct Factor {
    secret: Option<String>,
    new_secret: Option<String>,
    last_step: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Pending {
    user_id: String,
    attempts: i64,
    expires_at: String,
    email: String,
    agency_id: String,
}

/// Whether the person has a proved authenticator.
pub(crate) async fn has_authenticator(tx: &mut WriteTx, user_id: &str) -> Result<bool> {
    let secret: Option<Option<String>> =
        sqlx::query_scalar("SELECT secret FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?;
    Ok(secret.flatten().is_some())
}

/// After the first factor (a password, or an identity provider that checks none): if the
/// person has an authenticator or their roles need one, begins a sign-in part-way and says
/// so; otherwise `None`, and the session may start.
pub(crate) async fn second_factor_next(
    tx: &mut WriteTx,
    policy: &SignInPolicy,
    user_id: &str,
    roles: &[harbour_domain::role::Role],
) -> Result<Option<SignInOutcome>> {
    let has_factor = has_authenticator(tx, user_id).await?;
    if !has_factor && !two_factor::required(roles, policy.two_factor_for_everyone) {
        return Ok(None);
    }
    let pending_secret = random_secret();
    let now_t = Utc::now();
    sqlx::query(
        "INSERT INTO pending_sign_ins (token_hash, user_id, attempts, created_at, expires_at) \
         VALUES ($1, $2, 0, $3, $4)",
    )
    .bind(digest(&pending_secret))
    .bind(user_id)
    .bind(format_time(now_t))
    .bind(format_time(now_t + PENDING_LASTS))
    .execute(tx.conn())
    .await?;
    Ok(Some(SignInOutcome::SecondFactor {
        pending_secret,
        set_up: !has_factor,
    }))
}

/// A stored authenticator secret (sealed hex) as bytes.
fn unhex(s: &str) -> Result<Vec<u8>> {
    hex::decode(crate::sealed::open(s)?.as_bytes())
        .map_err(|_| StorageError::Corrupt("an authenticator secret".into()))
}

async fn factor(tx: &mut WriteTx, user_id: &str) -> Result<Option<Factor>> {
    Ok(
        sqlx::query_as("SELECT secret, new_secret, last_step FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// The secret being set up for this person, made now if there is none.
async fn new_secret_for(tx: &mut WriteTx, user_id: &str) -> Result<Vec<u8>> {
    if let Some(f) = factor(tx, user_id).await?
        && let Some(s) = f.new_secret
    {
        return unhex(&s);
    }
    let secret = two_factor::new_secret();
    sqlx::query(
        "INSERT INTO two_factor (user_id, new_secret) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET new_secret = excluded.new_secret",
    )
    .bind(user_id)
    .bind(tx.keyring()?.seal(
        crate::sealed::AUTHENTICATOR_NEW_SECRET,
        &hex::encode(&secret),
    )?)
    .execute(tx.conn())
    .await?;
    Ok(secret)
}

/// Records new recovery codes for the person in place of any old ones; the codes, to show once.
async fn replace_recovery_codes(tx: &mut WriteTx, user_id: &str) -> Result<Vec<String>> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    let codes = two_factor::new_recovery_codes();
    for c in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(digest(&two_factor::normalise_recovery_code(c)))
            .execute(tx.conn())
            .await?;
    }
    Ok(codes)
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or_default()
}

/// What a code proves for this person: `Ok(Some(codes))` when it finished setting up an
/// authenticator (with the new recovery codes), `Ok(None)` when it was their code or an unused
/// recovery code, or why it was refused.
async fn prove(
    tx: &mut WriteTx,
    user_id: &str,
    code: &str,
) -> Result<std::result::Result<(Option<Vec<String>>, &'static str), CodeRefused>> {
    let f = factor(tx, user_id).await?;
    let at = now();
    // Setting up: the code must come from the new secret.
    if let Some(Factor {
        new_secret: Some(new),
        ..
    }) = &f
    {
        let secret = unhex(new)?;
        if let Ok(step) = two_factor::check(&secret, code, unix_now(), None) {
            sqlx::query(
                "UPDATE two_factor SET secret = new_secret, new_secret = NULL, confirmed_at = $1, \
                 last_step = $2 WHERE user_id = $3",
            )
            .bind(&at)
            .bind(i64::try_from(step).unwrap_or(i64::MAX))
            .bind(user_id)
            .execute(tx.conn())
            .await?;
            let codes = replace_recovery_codes(tx, user_id).await?;
            return Ok(Ok((Some(codes), "set up two-factor sign-in")));
        }
    }
    let Some(Factor {
        secret: Some(secret),
        last_step,
        ..
    }) = f
    else {
        return Ok(Err(CodeRefused::Wrong));
    };
    if two_factor::is_app_code(code) {
        let last = last_step.and_then(|s| u64::try_from(s).ok());
        return match two_factor::check(&unhex(&secret)?, code, unix_now(), last) {
            Ok(step) => {
                sqlx::query("UPDATE two_factor SET last_step = $1 WHERE user_id = $2")
                    .bind(i64::try_from(step).unwrap_or(i64::MAX))
                    .bind(user_id)
                    .execute(tx.conn())
                    .await?;
                Ok(Ok((None, "sign in with an authenticator code")))
            }
            Err(refused) => Ok(Err(refused)),
        };
    }
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(&at)
    .bind(user_id)
    .bind(digest(&two_factor::normalise_recovery_code(code)))
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(if used == 1 {
        Ok((None, "sign in with a recovery code"))
    } else {
        Err(CodeRefused::Wrong)
    })
}

async fn pending(tx: &mut WriteTx, pending_secret: &str) -> Result<Option<Pending>> {
    let row: Option<Pending> = sqlx::query_as(
        "SELECT p.user_id, p.attempts, p.expires_at, u.email, u.agency_id FROM pending_sign_ins p \
         JOIN users u ON u.id = p.user_id WHERE p.token_hash = $1 AND u.active = $2",
    )
    .bind(digest(pending_secret))
    .bind(true)
    .fetch_optional(tx.conn())
    .await?;
    match row {
        Some(p) if parse_time(&p.expires_at)? > Utc::now() && p.attempts < MAX_ATTEMPTS => {
            Ok(Some(p))
        }
        Some(_) => {
            sqlx::query("DELETE FROM pending_sign_ins WHERE token_hash = $1")
                .bind(digest(pending_secret))
                .execute(tx.conn())
                .await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// For a sign-in part-way whose person must set up an authenticator: what to show them. `None`
/// if the sign-in has ended.
pub async fn enrolment_for_sign_in(db: &Db, pending_secret: &str) -> Result<Option<Enrolment>> {
    let mut tx = db.begin_write().await?;
    let Some(p) = pending(&mut tx, pending_secret).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let secret = new_secret_for(&mut tx, &p.user_id).await?;
    tx.commit().await?;
    Ok(Some(Enrolment {
        url: two_factor::enrolment_url(&secret, &p.email),
        typed: two_factor::secret_for_typing(&secret),
    }))
}

/// Finishes a sign-in part-way with a code: an authenticator's, a recovery code, or the first
/// from an authenticator being set up.
pub async fn finish_sign_in(
    db: &Db,
    policy: &SignInPolicy,
    pending_secret: &str,
    code: &str,
    device: &Device<'_>,
    request_id: &str,
) -> Result<CodeOutcome> {
    let mut tx = db.begin_write().await?;
    let Some(p) = pending(&mut tx, pending_secret).await? else {
        tx.commit().await?;
        return Ok(CodeOutcome::TimedOut);
    };
    match prove(&mut tx, &p.user_id, code).await? {
        Ok((codes, purpose)) => {
            sqlx::query("DELETE FROM pending_sign_ins WHERE token_hash = $1")
                .bind(digest(pending_secret))
                .execute(tx.conn())
                .await?;
            let Started {
                session_secret,
                device_secret,
                ..
            } = start_session(
                &mut tx,
                policy,
                &p.user_id,
                Some(p.agency_id.clone()),
                device,
                purpose,
                request_id,
            )
            .await?;
            tx.commit().await?;
            Ok(CodeOutcome::SignedIn {
                session_secret,
                device_secret,
                recovery_codes: codes.unwrap_or_default(),
            })
        }
        Err(refused) => {
            sqlx::query(
                "UPDATE pending_sign_ins SET attempts = attempts + 1 WHERE token_hash = $1",
            )
            .bind(digest(pending_secret))
            .execute(tx.conn())
            .await?;
            let locked = record_failure(&mut tx, policy, &digest(&p.email), Utc::now()).await?;
            let event = system_event(
                AuditAction::SignInFailed,
                Some(p.user_id.clone()),
                Some(p.agency_id.clone()),
                "sign in with a wrong second factor",
                request_id,
            );
            audit::append(&mut tx, &event).await?;
            if let Some(until) = locked {
                sqlx::query("DELETE FROM pending_sign_ins WHERE user_id = $1")
                    .bind(&p.user_id)
                    .execute(tx.conn())
                    .await?;
                tx.commit().await?;
                return Ok(CodeOutcome::LockedOut { until });
            }
            tx.commit().await?;
            Ok(if p.attempts + 1 >= MAX_ATTEMPTS {
                CodeOutcome::StartAgain
            } else {
                CodeOutcome::Refused(refused.message())
            })
        }
    }
}

impl ScopedStore {
    fn own_id(&self) -> Result<String> {
        self.grant(Action::ViewOwnAccount)?;
        Ok(self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?
            .into_string())
    }

    /// The person's second factor; `everyone` is the partnership's setting.
    pub async fn own_two_factor(&self, everyone: bool) -> Result<TwoFactorStatus> {
        let own = self.own_id()?;
        let mut tx = self.db().begin_write().await?;
        let f: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT secret, confirmed_at FROM two_factor WHERE user_id = $1")
                .bind(&own)
                .fetch_optional(tx.conn())
                .await?;
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(&own)
        .fetch_one(tx.conn())
        .await?;
        let roles = crate::auth::roles_of(&mut tx, &own).await?;
        tx.commit().await?;
        let (secret, confirmed_at) = f.unwrap_or_default();
        Ok(TwoFactorStatus {
            set_up: secret.is_some(),
            confirmed_at,
            recovery_codes_left: left,
            required: two_factor::required(&roles, everyone),
        })
    }

    /// Begins setting up an authenticator (or a new one, the old staying good till then).
    pub async fn begin_two_factor(&self) -> Result<Enrolment> {
        let own = self.own_id()?;
        let mut tx = self.db().begin_write().await?;
        let secret = new_secret_for(&mut tx, &own).await?;
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&own)
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Enrolment {
            url: two_factor::enrolment_url(&secret, &email),
            typed: two_factor::secret_for_typing(&secret),
        })
    }

    /// Finishes setting up an authenticator with its first code; the new recovery codes.
    pub async fn confirm_two_factor(&self, code: &str) -> Result<Vec<String>> {
        let own = self.own_id()?;
        let mut tx = self.db().begin_write().await?;
        let has_new: Option<Option<String>> =
            sqlx::query_scalar("SELECT new_secret FROM two_factor WHERE user_id = $1")
                .bind(&own)
                .fetch_optional(tx.conn())
                .await?;
        if has_new.flatten().is_none() {
            return Err(StorageError::NotFound("authenticator being set up"));
        }
        match prove(&mut tx, &own, code).await? {
            Ok((Some(codes), purpose)) => {
                self.audit(&mut tx, AuditAction::Change, "user", Some(&own), purpose)
                    .await?;
                tx.commit().await?;
                Ok(codes)
            }
            _ => {
                let mut errors = FieldErrors::new();
                errors.add(
                    "code",
                    if code.trim().is_empty() {
                        "Enter the 6-digit code your authenticator app shows"
                    } else {
                        "Enter the 6-digit code your authenticator app shows now for Harbour"
                    },
                );
                Err(StorageError::Invalid(errors))
            }
        }
    }

    /// New recovery codes in place of the old; the codes, to show once.
    pub async fn new_recovery_codes(&self) -> Result<Vec<String>> {
        let own = self.own_id()?;
        let mut tx = self.db().begin_write().await?;
        if !has_authenticator(&mut tx, &own).await? {
            return Err(StorageError::NotFound("authenticator"));
        }
        let codes = replace_recovery_codes(&mut tx, &own).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(&own),
            "replace their recovery codes",
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns two-factor sign-in off, where the person's roles do not require it.
    pub async fn turn_off_two_factor(&self, everyone: bool) -> Result<()> {
        let status = self.own_two_factor(everyone).await?;
        if status.required {
            let mut errors = FieldErrors::new();
            errors.add(
                "two_factor",
                "Your roles need two-factor sign-in, so it cannot be turned off",
            );
            return Err(StorageError::Invalid(errors));
        }
        let own = self.own_id()?;
        let mut tx = self.db().begin_write().await?;
        for sql in [
            "DELETE FROM two_factor WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(&own).execute(tx.conn()).await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(&own),
            "turn off two-factor sign-in",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl ScopedStore {
    /// Whether a person in the administrator's reach has an authenticator set up.
    pub async fn user_two_factor_set_up(&self, id: &harbour_domain::ids::UserId) -> Result<bool> {
        let grant = self.grant(Action::ViewPeople)?;
        let mut tx = self.db().begin_write().await?;
        self.user_in_scope(&mut tx, id, &grant).await?;
        let set_up = has_authenticator(&mut tx, id.as_str()).await?;
        tx.commit().await?;
        Ok(set_up)
    }

    /// For someone who has lost their phone and their recovery codes: removes their
    /// authenticator and recovery codes and signs them out everywhere. If their roles need a
    /// second factor they set a new one up at their next sign-in, after their password.
    pub async fn reset_user_two_factor(&self, id: &harbour_domain::ids::UserId) -> Result<()> {
        let grant = self.grant(Action::ManagePeople)?;
        if self.actor().user_id.as_ref() == Some(id) {
            let mut errors = FieldErrors::new();
            errors.add(
                "two_factor",
                "You cannot reset your own two-factor sign-in: ask another administrator",
            );
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        self.user_in_scope(&mut tx, id, &grant).await?;
        for sql in [
            "DELETE FROM two_factor WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM pending_sign_ins WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(tx.conn()).await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(id.as_str()),
            "reset person's two-factor sign-in",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
