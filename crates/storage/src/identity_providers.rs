//! Agencies' identity providers for single sign-on ([`harbour_domain::identity_provider`]):
//! their settings, the sign-ins sent to them until they come back, and signing in the staff
//! account a provider vouches for. The client secret is stored as entered for now; the field
//! encryption will cover it. It is never shown again once saved.

use crate::audit;
use crate::auth::{Device, SignInOutcome, SignInPolicy, start_session, system_event};
use crate::db::{Db, Flag, format_time, now, parse_time};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use crate::tokens::digest;
use chrono::{Duration, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::identity_provider::{self, domain_of};
use harbour_domain::ids::AgencyId;
use harbour_domain::permission::Action;

/// How long a sign-in sent to a provider may take to come back.
const ATTEMPT_LASTS: Duration = Duration::minutes(10);

/// An agency's identity provider.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdentityProvider {
    pub agency_id: AgencyId,
    pub issuer: String,
    pub client_id: String,
    #[sqlx(try_from = "crate::sealed::Opened")]
    pub client_secret: String,
    /// The e-mail domains, comma-separated.
    pub domains: String,
    #[sqlx(try_from = "Flag")]
    pub idp_checks_second_factor: bool,
    /// Every address the provider gives within the domains is one it has verified (Microsoft
    /// Entra ID sends no `email_verified`; a tenant's domains are verified by the tenant).
    #[sqlx(try_from = "Flag")]
    pub domains_verified_by_provider: bool,
    /// The agency's staff (but not its administrators) sign in only through the provider.
    #[sqlx(try_from = "Flag")]
    pub passwords_off: bool,
}

impl IdentityProvider {
    pub fn domain_list(&self) -> Vec<String> {
        identity_provider::parse_domains(&self.domains)
    }
}

/// A sign-in sent to a provider: what its return must match.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub agency_id: AgencyId,
    pub nonce: String,
    pub pkce_verifier: String,
    expires_at: String,
}

const COLUMNS: &str = "agency_id, issuer, client_id, client_secret, domains, \
    idp_checks_second_factor, domains_verified_by_provider, passwords_off";

/// Whether any agency signs in through its own provider (the sign-in page then offers it).
pub async fn any(db: &Db) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agency_identity_providers")
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// The origins of every agency's identity provider, which the sign-in page's form may lead to.
pub async fn origins(db: &Db) -> Result<Vec<String>> {
    let issuers: Vec<String> = sqlx::query_scalar("SELECT issuer FROM agency_identity_providers")
        .fetch_all(db.pool())
        .await?;
    let mut origins: Vec<String> = issuers
        .iter()
        .filter_map(|i| url::Url::parse(i).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    origins.sort();
    origins.dedup();
    Ok(origins)
}

/// The provider whose domains hold this address.
pub async fn for_email(db: &Db, email: &str) -> Result<Option<IdentityProvider>> {
    let Some(domain) = domain_of(email) else {
        return Ok(None);
    };
    let all: Vec<IdentityProvider> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM agency_identity_providers"))
            .fetch_all(db.pool())
            .await?;
    Ok(all.into_iter().find(|p| p.domain_list().contains(&domain)))
}

/// The provider of this agency.
pub async fn for_agency(db: &Db, agency_id: &AgencyId) -> Result<Option<IdentityProvider>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agency_identity_providers WHERE agency_id = $1"
    ))
    .bind(agency_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Records a sign-in sent to a provider; `state` goes in the browser's cookie.
pub async fn record_attempt(
    db: &Db,
    state: &str,
    agency_id: &AgencyId,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM identity_provider_attempts WHERE expires_at <= $1")
        .bind(format_time(Utc::now()))
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO identity_provider_attempts (state_hash, agency_id, nonce, pkce_verifier, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(state))
    .bind(agency_id)
    .bind(nonce)
    .bind(pkce_verifier)
    .bind(format_time(Utc::now() + ATTEMPT_LASTS))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The sign-in a provider's answer belongs to, used up; none if unknown or out of time.
pub async fn take_attempt(db: &Db, state: &str) -> Result<Option<Attempt>> {
    let mut tx = db.begin_write().await?;
    let found: Option<Attempt> = sqlx::query_as(
        "SELECT agency_id, nonce, pkce_verifier, expires_at FROM identity_provider_attempts \
         WHERE state_hash = $1",
    )
    .bind(digest(state))
    .fetch_optional(tx.conn())
    .await?;
    sqlx::query("DELETE FROM identity_provider_attempts WHERE state_hash = $1")
        .bind(digest(state))
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(match found {
        Some(a) if parse_time(&a.expires_at)? > Utc::now() => Some(a),
        _ => None,
    })
}

/// Why a provider's sign-in did not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The provider did not say the address is verified.
    Unverified,
    /// The address is outside the agency's domains.
    OutsideDomains,
    /// No active Harbour account in the agency has the address.
    NoAccount,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Refused::Unverified => {
                "Your organisation's sign-in did not confirm your email address. Ask your IT team, or sign in with your Harbour password."
            }
            Refused::OutsideDomains => {
                "Your organisation's sign-in gave an email address Harbour does not accept from it. Sign in with your Harbour password, or ask your agency's Harbour administrator."
            }
            Refused::NoAccount => {
                "There is no Harbour account for your email address at your organisation, or it has been deactivated. Ask your agency's Harbour administrator."
            }
        }
    }
}

/// Signs in the staff account a provider vouched for: an active account in the provider's
/// agency with the provider's verified address, within its domains. Roles are Harbour's. If
/// the account needs a second factor and the provider does not check one, it comes next.
pub async fn sign_in(
    db: &Db,
    policy: &SignInPolicy,
    provider: &IdentityProvider,
    email: &str,
    email_verified: bool,
    device: &Device<'_>,
    request_id: &str,
) -> Result<std::result::Result<SignInOutcome, Refused>> {
    let email = harbour_domain::user::normalise_email(email);
    let refused = if !(email_verified || provider.domains_verified_by_provider) {
        Some(Refused::Unverified)
    } else if !domain_of(&email).is_some_and(|d| provider.domain_list().contains(&d)) {
        Some(Refused::OutsideDomains)
    } else {
        None
    };
    let user: Option<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1 AND agency_id = $2 AND active = $3",
    )
    .bind(&email)
    .bind(&provider.agency_id)
    .bind(true)
    .fetch_optional(db.pool())
    .await?;
    let mut tx = db.begin_write().await?;
    let refused = refused.or(user.is_none().then_some(Refused::NoAccount));
    let (Some(user_id), None) = (user, refused) else {
        let event = system_event(
            AuditAction::SignInFailed,
            None,
            Some(provider.agency_id.to_string()),
            "sign in through the agency's identity provider refused",
            request_id,
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(Err(refused.unwrap_or(Refused::NoAccount)));
    };
    let roles = crate::auth::roles_of(&mut tx, &user_id).await?;
    if !provider.idp_checks_second_factor
        && let Some(next) =
            crate::two_factor::second_factor_next(&mut tx, policy, &user_id, &roles).await?
    {
        tx.commit().await?;
        return Ok(Ok(next));
    }
    let started = start_session(
        &mut tx,
        policy,
        &user_id,
        Some(provider.agency_id.to_string()),
        device,
        "sign in through the agency's identity provider",
        request_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(SignInOutcome::SignedIn {
        session_secret: started.session_secret,
        user_id,
        device_secret: started.device_secret,
        new_device: started.new_device,
    }))
}

/// What an administrator enters.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub issuer: String,
    pub client_id: String,
    /// Blank keeps the stored one.
    pub client_secret: String,
    pub domains: String,
    pub idp_checks_second_factor: bool,
    pub domains_verified_by_provider: bool,
    pub passwords_off: bool,
}

impl ScopedStore {
    /// The agency's identity provider, for its administrator (the secret is not returned).
    pub async fn agency_identity_provider(
        &self,
        agency_id: &AgencyId,
    ) -> Result<Option<IdentityProvider>> {
        self.grant(Action::ManageAgencies)?;
        self.get_agency(agency_id).await?;
        Ok(for_agency(self.db(), agency_id).await?.map(|mut p| {
            p.client_secret = String::new();
            p
        }))
    }

    /// Saves the agency's identity provider.
    pub async fn set_agency_identity_provider(
        &self,
        agency_id: &AgencyId,
        input: &ProviderInput,
    ) -> Result<()> {
        self.grant(Action::ManageAgencies)?;
        self.get_agency(agency_id).await?;
        let stored = for_agency(self.db(), agency_id).await?;
        let domains = identity_provider::check(
            &input.issuer,
            &input.client_id,
            &input.client_secret,
            &input.domains,
            stored.is_some(),
        )
        .map_err(StorageError::Invalid)?;
        let secret = if input.client_secret.trim().is_empty() {
            stored.map(|s| s.client_secret).unwrap_or_default()
        } else {
            input.client_secret.trim().to_owned()
        };
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO agency_identity_providers (agency_id, issuer, client_id, client_secret, \
             domains, idp_checks_second_factor, domains_verified_by_provider, passwords_off, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (agency_id) DO UPDATE SET issuer = excluded.issuer, \
             client_id = excluded.client_id, client_secret = excluded.client_secret, \
             domains = excluded.domains, idp_checks_second_factor = excluded.idp_checks_second_factor, \
             domains_verified_by_provider = excluded.domains_verified_by_provider, \
             passwords_off = excluded.passwords_off, \
             updated_at = excluded.updated_at",
        )
        .bind(agency_id)
        .bind(input.issuer.trim())
        .bind(input.client_id.trim())
        .bind(tx.keyring()?.seal(crate::sealed::CLIENT_SECRET, &secret)?)
        .bind(domains.join(", "))
        .bind(input.idp_checks_second_factor)
        .bind(input.domains_verified_by_provider)
        .bind(input.passwords_off)
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "agency",
            Some(agency_id.as_str()),
            "set the agency's identity provider",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops the agency's staff signing in through its identity provider.
    pub async fn remove_agency_identity_provider(&self, agency_id: &AgencyId) -> Result<()> {
        self.grant(Action::ManageAgencies)?;
        self.get_agency(agency_id).await?;
        let mut tx = self.db().begin_write().await?;
        sqlx::query("DELETE FROM agency_identity_providers WHERE agency_id = $1")
            .bind(agency_id)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "agency",
            Some(agency_id.as_str()),
            "remove the agency's identity provider",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
