//! Staff accounts: listing, creating, deactivating, one's own account.

use crate::agencies;
use crate::audit;
use crate::db::{Db, WriteTx, get_bool, new_id, now};
use crate::error::{Result, StorageError};
use crate::passwords;
use crate::scoped::ScopedStore;
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::ids::UserId;
use harbour_domain::permission::{Action, Grant, Scope};
use harbour_domain::role::Role;
use harbour_domain::user::{NewUser, User, UserInput, parse_roles};
use sqlx::Row;
use std::collections::BTreeMap;

const DUPLICATE_EMAIL: &str = "A person with this email address already has an account";

/// Users matching `where_sql` (which may use `$1` bound to `param`), with their roles.
async fn select_users(tx: &mut WriteTx, where_sql: &str, param: Option<&str>) -> Result<Vec<User>> {
    let sql = format!(
        "SELECT u.id, u.agency_id, a.name AS agency_name, u.email, u.display_name, u.active \
         FROM users u JOIN agencies a ON a.id = u.agency_id WHERE {where_sql} \
         ORDER BY u.display_name, u.id"
    );
    let role_sql = format!(
        "SELECT r.user_id, r.role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE {where_sql}"
    );
    let mut query = sqlx::query(&sql);
    let mut role_query = sqlx::query(&role_sql);
    if let Some(p) = param {
        query = query.bind(p);
        role_query = role_query.bind(p);
    }
    let rows = query.fetch_all(tx.conn()).await?;
    let role_rows = role_query.fetch_all(tx.conn()).await?;
    let mut roles: BTreeMap<String, Vec<Role>> = BTreeMap::new();
    for r in &role_rows {
        let slug: String = r.try_get("role")?;
        let role = Role::from_slug(&slug)
            .ok_or_else(|| StorageError::Corrupt(format!("role {slug:?}")))?;
        roles.entry(r.try_get("user_id")?).or_default().push(role);
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let mut user_roles = roles.remove(&id).unwrap_or_default();
            user_roles.sort();
            Ok(User {
                id: id.into(),
                agency_id: r.try_get("agency_id")?,
                agency_name: r.try_get("agency_name")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                roles: user_roles,
                active: get_bool(r, "active")?,
            })
        })
        .collect()
}

pub(crate) async fn insert(tx: &mut WriteTx, user: &NewUser) -> Result<String> {
    let id = new_id();
    let at = now();
    let password_hash = passwords::hash(user.password.clone()).await;
    let inserted = sqlx::query(
        "INSERT INTO users (id, agency_id, email, display_name, password_hash, active, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&user.agency_id)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&password_hash)
    .bind(true)
    .bind(&at)
    .execute(tx.conn())
    .await;
    inserted.map_err(|e| {
        let e = StorageError::from(e);
        if e.is_unique_violation() {
            StorageError::invalid("email", DUPLICATE_EMAIL)
        } else {
            e
        }
    })?;
    for role in &user.roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(&id)
            .bind(role.slug())
            .execute(tx.conn())
            .await?;
    }
    Ok(id)
}

async fn agency_ids(db: &Db) -> Result<Vec<String>> {
    Ok(agencies::list_all(db)
        .await?
        .into_iter()
        .map(|a| a.id.into_string())
        .collect())
}

/// Creates a person from the command line or the demo loader, where no one is signed in.
/// The audit entry names no actor and gives `purpose`.
pub async fn create_as_system(db: &Db, input: &UserInput, purpose: &str) -> Result<String> {
    let user = input
        .validate(&agency_ids(db).await?)
        .map_err(StorageError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, &user).await?;
    let event = AuditEvent {
        actor_user_id: None,
        actor_agency_id: None,
        action: AuditAction::Create,
        entity_kind: "user".into(),
        entity_id: Some(id.clone()),
        purpose: purpose.into(),
        request_id: new_id(),
    };
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(id)
}

impl ScopedStore {
    /// People the actor may see: their own agency's, or everyone's with partnership scope.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let grant = self.grant(Action::ViewPeople)?;
        let mut tx = self.db().begin_write().await?;
        let users = match grant.scope() {
            Scope::Partnership => select_users(&mut tx, "1 = 1", None).await?,
            Scope::Agency | Scope::SharedWithAgency => {
                select_users(
                    &mut tx,
                    "u.agency_id = $1",
                    Some(self.actor().agency_id.as_str()),
                )
                .await?
            }
            Scope::Own => match &self.actor().user_id {
                Some(own) => select_users(&mut tx, "u.id = $1", Some(own.as_str())).await?,
                None => Vec::new(),
            },
        };
        self.audit(&mut tx, AuditAction::Read, "user", None, "list people")
            .await?;
        tx.commit().await?;
        Ok(users)
    }

    pub async fn get_user(&self, id: &UserId) -> Result<User> {
        let grant = self.grant(Action::ViewPeople)?;
        self.read_user(id, &grant, "view person").await
    }

    /// The signed-in person's own account.
    pub async fn own_account(&self) -> Result<User> {
        let grant = self.grant(Action::ViewOwnAccount)?;
        let own = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        self.read_user(&own, &grant, "view own account").await
    }

    async fn read_user(&self, id: &UserId, grant: &Grant, purpose: &str) -> Result<User> {
        let mut tx = self.db().begin_write().await?;
        let user = self.user_in_scope(&mut tx, id, grant).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "user",
            Some(id.as_str()),
            purpose,
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The person with `id` if the grant reaches them; otherwise "not found", so that a record
    /// out of reach cannot be told from one that does not exist. Only a grant the permission
    /// check returned can be passed, so no query is scoped by a scope made up on the spot.
    pub(crate) async fn user_in_scope(
        &self,
        tx: &mut WriteTx,
        id: &UserId,
        grant: &Grant,
    ) -> Result<User> {
        select_users(tx, "u.id = $1", Some(id.as_str()))
            .await?
            .into_iter()
            .find(|u| self.in_scope(u, grant))
            .ok_or(StorageError::NotFound("person"))
    }

    fn in_scope(&self, user: &User, grant: &Grant) -> bool {
        match grant.scope() {
            Scope::Partnership => true,
            Scope::Agency | Scope::SharedWithAgency => user.agency_id == self.actor().agency_id,
            Scope::Own => self.actor().user_id.as_ref() == Some(&user.id),
        }
    }

    pub async fn create_user(&self, input: &UserInput) -> Result<User> {
        let grant = self.grant(Action::ManagePeople)?;
        let user = input
            .validate(&agency_ids(self.db()).await?)
            .map_err(StorageError::Invalid)?;
        if grant.scope() != Scope::Partnership && user.agency_id != self.actor().agency_id {
            return Err(StorageError::invalid(
                "agency_id",
                "You can only add people to your own agency",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let id = insert(&mut tx, &user).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "user",
            Some(&id),
            "create person",
        )
        .await?;
        tx.commit().await?;
        self.read_user(&UserId::from(id), &grant, "view person just created")
            .await
    }

    /// Deactivating ends the person's sessions in the same transaction: they are out at once.
    pub async fn set_user_active(&self, id: &UserId, active: bool) -> Result<User> {
        let grant = self.grant(Action::ManagePeople)?;
        if !active && self.actor().user_id.as_ref() == Some(id) {
            return Err(StorageError::invalid(
                "active",
                "You cannot deactivate your own account",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let user = self.user_in_scope(&mut tx, id, &grant).await?;
        sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(active)
            .bind(now())
            .bind(&user.id)
            .execute(tx.conn())
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(&user.id)
                .execute(tx.conn())
                .await?;
        }
        let purpose = if active {
            "reactivate person"
        } else {
            "deactivate person"
        };
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(id.as_str()),
            purpose,
        )
        .await?;
        tx.commit().await?;
        self.read_user(id, &grant, "view person just changed").await
    }

    /// Changes the signed-in person's password, checking the current one first, and ends their
    /// other sessions; the one whose secret is given stays signed in.
    pub async fn change_own_password(
        &self,
        current: &str,
        new: &str,
        confirm: &str,
        keep_session_secret: &str,
    ) -> Result<()> {
        self.grant(Action::ViewOwnAccount)?;
        let own = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let row = sqlx::query("SELECT email, password_hash FROM users WHERE id = $1")
            .bind(&own)
            .fetch_one(self.db().pool())
            .await?;
        let email: String = row.try_get("email")?;
        let mut errors = harbour_domain::validation::FieldErrors::new();
        if current.is_empty() {
            errors.add("current_password", "Enter your current password");
        } else if !passwords::verify(Some(row.try_get("password_hash")?), current.to_owned()).await
        {
            errors.add("current_password", "Your current password is not correct");
        }
        if let Err(message) = harbour_domain::user::check_password(new, &email) {
            errors.add("new_password", message);
        } else if new == current {
            errors.add(
                "new_password",
                "Choose a password different from your current one",
            );
        }
        if confirm != new {
            errors.add("confirm_password", "The passwords do not match");
        }
        errors.into_result(()).map_err(StorageError::Invalid)?;
        let hash = passwords::hash(new.to_owned()).await;
        let mut tx = self.db().begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(&hash)
            .bind(now())
            .bind(&own)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(&own)
            .bind(crate::tokens::digest(keep_session_secret))
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(own.as_str()),
            "change own password",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a person's roles. Takes effect at their next request: roles are read per request.
    pub async fn set_user_roles(&self, id: &UserId, roles: &[String]) -> Result<User> {
        let grant = self.grant(Action::ManagePeople)?;
        let mut errors = harbour_domain::validation::FieldErrors::new();
        let parsed = parse_roles(roles, &mut errors);
        if self.actor().user_id.as_ref() == Some(id) && !parsed.contains(&Role::Administrator) {
            errors.add("roles", "You cannot remove your own administrator role");
        }
        errors.into_result(()).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        self.user_in_scope(&mut tx, id, &grant).await?;
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        for role in &parsed {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role.slug())
                .execute(tx.conn())
                .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(id.as_str()),
            "change person's roles",
        )
        .await?;
        tx.commit().await?;
        self.read_user(id, &grant, "view person just changed").await
    }

    /// Sets a new password for someone who has forgotten theirs, and ends their sessions.
    pub async fn set_user_password(&self, id: &UserId, password: &str) -> Result<()> {
        let grant = self.grant(Action::ManagePeople)?;
        let mut tx = self.db().begin_write().await?;
        let user = self.user_in_scope(&mut tx, id, &grant).await?;
        harbour_domain::user::check_password(password, &user.email)
            .map_err(|m| StorageError::invalid("password", m))?;
        let hash = passwords::hash(password.to_owned()).await;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(&hash)
            .bind(now())
            .bind(id)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "user",
            Some(id.as_str()),
            "set person's password",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the signed-in person, on every device.
    pub async fn sign_out_everywhere(&self) -> Result<u64> {
        self.grant(Action::ViewOwnAccount)?;
        let own = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))?;
        let mut tx = self.db().begin_write().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&own)
            .execute(tx.conn())
            .await?
            .rows_affected();
        self.audit(
            &mut tx,
            AuditAction::SignOut,
            "session",
            None,
            "sign out everywhere",
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}
