//! Setting a MARAC up: its name, the areas it covers, its member agencies, the cases a meeting
//! can hear and the posts that carry its work. Data, not code: the demo makes two.

use super::*;
use crate::db::{Db, new_id, now};
use harbour_domain::validation::FieldErrors;

/// A MARAC as set up.
#[derive(Debug, Clone, Default)]
pub struct MaracSetup {
    pub name: String,
    pub areas: Vec<String>,
    /// Member agencies, by name.
    pub members: Vec<String>,
    pub coordinator_email: Option<String>,
    pub capacity: i64,
    pub idva_posts: i64,
    pub coordinator_posts: i64,
}

/// Creates a MARAC (or finds it, by name, when it exists already).
pub async fn create_marac(db: &Db, setup: &MaracSetup) -> Result<MaracId> {
    let mut tx = db.begin_write().await?;
    let existing: Option<MaracId> = sqlx::query_scalar("SELECT id FROM maracs WHERE name = $1")
        .bind(&setup.name)
        .fetch_optional(tx.conn())
        .await?;
    if let Some(id) = existing {
        tx.commit().await?;
        return Ok(id);
    }
    let coordinator: Option<String> = match &setup.coordinator_email {
        Some(email) => {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(tx.conn())
                .await?
        }
        None => None,
    };
    let id = MaracId::from(new_id());
    sqlx::query(
        "INSERT INTO maracs (id, name, areas, coordinator_id, capacity, idva_posts, coordinator_posts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&setup.name)
    .bind(setup.areas.join(","))
    .bind(coordinator)
    .bind(setup.capacity)
    .bind(setup.idva_posts)
    .bind(setup.coordinator_posts)
    .bind(now())
    .execute(tx.conn())
    .await?;
    for member in &setup.members {
        let agency: String = sqlx::query_scalar("SELECT id FROM agencies WHERE name = $1")
            .bind(member)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("agency"))?;
        sqlx::query("INSERT INTO marac_members (marac_id, agency_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(agency)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// A MARAC's settings as the form gives them.
#[derive(Debug, Clone, Default)]
pub struct MaracInput {
    pub name: String,
    /// GSS codes.
    pub areas: Vec<String>,
    /// Agency ids.
    pub members: Vec<String>,
    pub capacity: String,
    pub idva_posts: String,
    pub coordinator_posts: String,
}

/// A MARAC's settings as stored, for the form.
#[derive(Debug, Clone, Default)]
pub struct MaracSettings {
    pub name: String,
    pub areas: Vec<String>,
    pub members: Vec<String>,
    pub capacity: i64,
    pub idva_posts: i64,
    pub coordinator_posts: i64,
}

fn number(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!(
                    "{what} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            0
        }
    }
}

impl ScopedStore {
    /// A MARAC's settings, for its form.
    pub async fn marac_settings(&self, id: &MaracId) -> Result<MaracSettings> {
        self.grant(Action::ManageMarac)?;
        let mut tx = self.db().begin_write().await?;
        let m = self.marac_in(&mut tx, id).await?;
        let members: Vec<String> =
            sqlx::query_scalar("SELECT agency_id FROM marac_members WHERE marac_id = $1")
                .bind(id)
                .fetch_all(tx.conn())
                .await?;
        let (idva_posts, coordinator_posts): (i64, i64) =
            sqlx::query_as("SELECT idva_posts, coordinator_posts FROM maracs WHERE id = $1")
                .bind(id)
                .fetch_one(tx.conn())
                .await?;
        tx.commit().await?;
        Ok(MaracSettings {
            name: m.name,
            areas: m.areas,
            members,
            capacity: m.capacity,
            idva_posts,
            coordinator_posts,
        })
    }

    /// Sets a MARAC up (`id` none) or changes its settings. An area belongs to one MARAC.
    pub async fn save_marac(&self, id: Option<&MaracId>, input: &MaracInput) -> Result<MaracId> {
        self.grant(Action::ManageMarac)?;
        let mut errors = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() {
            errors.add("name", "Enter the MARAC's name");
        } else if name.chars().count() > 200 {
            errors.add("name", "Keep the name to 200 characters or fewer");
        }
        if input.areas.is_empty() {
            errors.add("areas", "Choose the areas it covers");
        }
        if input.members.is_empty() {
            errors.add("members", "Choose the agencies that attend it");
        }
        let capacity = number(
            &mut errors,
            "capacity",
            &input.capacity,
            1..=60,
            "Cases a meeting can hear",
        );
        let idvas = number(
            &mut errors,
            "idva_posts",
            &input.idva_posts,
            0..=500,
            "IDVA posts",
        );
        let coordinators = number(
            &mut errors,
            "coordinator_posts",
            &input.coordinator_posts,
            0..=100,
            "Coordinator posts",
        );
        let mut tx = self.db().begin_write().await?;
        if let Some(id) = id {
            self.marac_in(&mut tx, id).await?;
        }
        let taken: Option<String> =
            sqlx::query_scalar("SELECT name FROM maracs WHERE name = $1 AND id <> $2")
                .bind(name)
                .bind(id.map_or("", |i| i.as_str()))
                .fetch_optional(tx.conn())
                .await?;
        if taken.is_some() {
            errors.add("name", "Another MARAC has this name");
        }
        let known_areas: Vec<String> = sqlx::query_scalar("SELECT gss_code FROM areas")
            .fetch_all(tx.conn())
            .await?;
        if input.areas.iter().any(|a| !known_areas.contains(a)) {
            errors.add("areas", "Choose areas from the list");
        }
        let others: Vec<(String, String)> =
            sqlx::query_as("SELECT name, areas FROM maracs WHERE id <> $1")
                .bind(id.map_or("", |i| i.as_str()))
                .fetch_all(tx.conn())
                .await?;
        for (other, areas) in &others {
            if let Some(clash) = input
                .areas
                .iter()
                .find(|a| areas.split(',').any(|b| b == a.as_str()))
            {
                errors.add(
                    "areas",
                    format!("{clash} is already covered by {other}: an area belongs to one MARAC"),
                );
                break;
            }
        }
        let known_agencies: Vec<String> = sqlx::query_scalar("SELECT id FROM agencies")
            .fetch_all(tx.conn())
            .await?;
        if input.members.iter().any(|a| !known_agencies.contains(a)) {
            errors.add("members", "Choose agencies from the list");
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let at = crate::db::now();
        let id = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE maracs SET name = $1, areas = $2, capacity = $3, idva_posts = $4, \
                     coordinator_posts = $5 WHERE id = $6",
                )
                .bind(name)
                .bind(input.areas.join(","))
                .bind(capacity)
                .bind(idvas)
                .bind(coordinators)
                .bind(id)
                .execute(tx.conn())
                .await?;
                sqlx::query("DELETE FROM marac_members WHERE marac_id = $1")
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
                id.clone()
            }
            None => {
                let id = MaracId::from(new_id());
                sqlx::query(
                    "INSERT INTO maracs (id, name, areas, coordinator_id, capacity, idva_posts, coordinator_posts, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&id)
                .bind(name)
                .bind(input.areas.join(","))
                .bind(self.actor().user_id.as_ref())
                .bind(capacity)
                .bind(idvas)
                .bind(coordinators)
                .bind(&at)
                .execute(tx.conn())
                .await?;
                id
            }
        };
        for member in &input.members {
            sqlx::query("INSERT INTO marac_members (marac_id, agency_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(member)
                .execute(tx.conn())
                .await?;
        }
        self.audit(
            &mut tx,
            harbour_domain::audit::AuditAction::Change,
            "marac",
            Some(id.as_str()),
            "set up a MARAC",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
