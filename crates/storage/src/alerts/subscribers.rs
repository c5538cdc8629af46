//! Subscriptions, made and kept by the public without an account: sign-up (double opt-in),
//! confirmation, preferences, deletion; and what the job worker needs to write to a subscriber.
//!
//! Each write is audited with no one named, as the public self-referral is. The sign-up answers
//! the same whether or not the address is already subscribed; the owner of the address is told
//! by e-mail instead. A confirmation or link is e-mailed to an address at most once in
//! [`MAIL_GAP_MINUTES`], so the form cannot be used to flood someone's inbox.

use crate::alerts::topics::{self, Topic};
use crate::audit;
use crate::db::{Db, WriteTx, format_time, new_id};
use crate::error::{Result, StorageError};
use crate::jobs::{self, SubscriberMail, Work};
use chrono::{DateTime, Duration, Utc};
use harbour_domain::alerts::links::{self, Purpose};
use harbour_domain::alerts::quiet::QuietHours;
use harbour_domain::alerts::reach::{UnitVector, grid_row, stored};
use harbour_domain::alerts::subscription::{Subscription, SubscriptionInput, check};
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::place::Point;
use harbour_domain::postcode::Postcode;
use harbour_domain::validation::FieldErrors;

/// The least time between two e-mails of confirmation or links to one address.
pub const MAIL_GAP_MINUTES: i64 = 10;

pub(crate) fn event(action: AuditAction, id: &str, purpose: &str) -> AuditEvent {
    AuditEvent {
        actor_user_id: None,
        actor_agency_id: None,
        action,
        entity_kind: "alert_subscriber".into(),
        entity_id: Some(id.to_owned()),
        purpose: purpose.to_owned(),
        request_id: new_id(),
    }
}

/// A place a subscriber hears about, found from its postcode.
struct Place {
    postcode: String,
    point: Point,
    area_code: Option<String>,
}

async fn locate(db: &Db, field: &str, text: &str, errors: &mut FieldErrors) -> Option<Place> {
    let postcode = Postcode::parse(text)?;
    match crate::postcodes::locate(db, &postcode).await {
        Ok(Some((point, area_code))) => Some(Place {
            postcode: postcode.as_str().to_owned(),
            point: stored(point),
            area_code,
        }),
        Ok(None) => {
            errors.add(
                field,
                "We could not find that postcode in this area. Check it, or enter a postcode nearby",
            );
            None
        }
        Err(e) => {
            e.log();
            errors.add(
                field,
                "We could not look up that postcode just now. Try again",
            );
            None
        }
    }
}

/// A checked subscription with its places found and its topics as bits.
pub(crate) struct Resolved {
    pub(crate) subscription: Subscription,
    places: Vec<Place>,
    pub(crate) mask: i64,
}

pub(crate) async fn resolve(
    db: &Db,
    input: &SubscriptionInput,
    with_email: bool,
) -> Result<Resolved> {
    let all = topics::topics(db).await?;
    let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
    let subscription = check(input, &ids, with_email).map_err(StorageError::Invalid)?;
    let mut errors = FieldErrors::new();
    let mut places = Vec::new();
    if let Some(p) = locate(db, "postcode", &subscription.postcode, &mut errors).await {
        places.push(p);
    }
    if let Some(second) = &subscription.second_postcode
        && let Some(p) = locate(db, "second_postcode", second, &mut errors).await
    {
        places.push(p);
    }
    if !errors.is_empty() {
        return Err(StorageError::Invalid(errors));
    }
    Ok(Resolved {
        mask: mask_of(&all, &subscription),
        subscription,
        places,
    })
}

/// The chosen topics' bits, with a business's sector topics added: a business hears about its
/// own sector without having to find its topic in the list.
fn mask_of(all: &[Topic], s: &Subscription) -> i64 {
    let sector: Vec<String> = all
        .iter()
        .filter(|t| t.sector.is_some() && t.sector == s.sector)
        .map(|t| t.id.clone())
        .collect();
    topics::mask(all, &s.topics) | topics::mask(all, &sector)
}

pub(crate) async fn write_places(
    tx: &mut WriteTx,
    id: &str,
    r: &Resolved,
    live: bool,
) -> Result<()> {
    sqlx::query("DELETE FROM alert_places WHERE subscriber_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    for (n, p) in r.places.iter().enumerate() {
        let v = UnitVector::of(p.point);
        sqlx::query(
            "INSERT INTO alert_places (subscriber_id, place, postcode, area_code, latitude, \
             longitude, grid_row, x, y, z, topics_mask, min_level, quiet, live) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id)
        .bind(n as i64)
        .bind(&p.postcode)
        .bind(&p.area_code)
        .bind(p.point.latitude)
        .bind(p.point.longitude)
        .bind(grid_row(p.point.latitude))
        .bind(v.x)
        .bind(v.y)
        .bind(v.z)
        .bind(r.mask)
        .bind(r.subscription.priority.level())
        .bind(r.subscription.quiet.map(|q| q.code()))
        .bind(live)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

pub(crate) fn quiet_text(q: Option<QuietHours>) -> (Option<String>, Option<String>) {
    match q {
        Some(q) => (
            Some(q.start.format("%H:%M").to_string()),
            Some(q.end.format("%H:%M").to_string()),
        ),
        None => (None, None),
    }
}

/// Queues `what` to the subscriber unless one went to the address within the gap.
pub(crate) async fn mail_in(
    tx: &mut WriteTx,
    id: &str,
    mailed_at: Option<&str>,
    what: SubscriberMail,
    now: DateTime<Utc>,
) -> Result<bool> {
    let recent = mailed_at
        .and_then(|t| crate::db::parse_time(t).ok())
        .is_some_and(|t| now - t < Duration::minutes(MAIL_GAP_MINUTES) && t <= now);
    if recent {
        return Ok(false);
    }
    sqlx::query("UPDATE alert_subscribers SET mailed_at = $1 WHERE id = $2")
        .bind(format_time(now))
        .bind(id)
        .execute(tx.conn())
        .await?;
    let work = Work::SubscriberEmail {
        subscriber_id: id.to_owned(),
        what,
    };
    jobs::enqueue(tx, &work, None, now).await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: String,
    status: String,
    mailed_at: Option<String>,
}

/// Asks to subscribe. Nothing is sent to a new subscriber but the confirmation. If the address
/// already has a subscription waiting for confirmation, the new choices replace it and the
/// confirmation goes again (older confirmation links stop working); if it already receives
/// alerts, nothing changes and its owner is told. The caller shows the same page in every case.
pub async fn subscribe(db: &Db, input: &SubscriptionInput, now: DateTime<Utc>) -> Result<()> {
    let r = resolve(db, input, true).await?;
    let s = &r.subscription;
    let key = s.email.to_lowercase();
    let (quiet_from, quiet_until) = quiet_text(s.quiet);
    let at = format_time(now);
    let mut tx = db.begin_write().await?;
    let existing: Option<Existing> =
        sqlx::query_as("SELECT id, status, mailed_at FROM alert_subscribers WHERE email_key = $1")
            .bind(&key)
            .fetch_optional(tx.conn())
            .await?;
    let (id, what, purpose) = match existing {
        Some(e) if e.status == "active" => {
            mail_in(
                &mut tx,
                &e.id,
                e.mailed_at.as_deref(),
                SubscriberMail::AlreadySubscribed,
                now,
            )
            .await?;
            audit::append(
                &mut tx,
                &event(
                    AuditAction::Read,
                    &e.id,
                    "sign-up for an address already subscribed: its owner told by e-mail",
                ),
            )
            .await?;
            return tx.commit().await;
        }
        Some(e) => {
            sqlx::query(
                "UPDATE alert_subscribers SET email = $1, kind = $2, sector = $3, age_group = $4, \
                 topics_mask = $5, min_level = $6, quiet_from = $7, quiet_until = $8, \
                 generation = generation + 1, updated_at = $9 WHERE id = $10",
            )
            .bind(&s.email)
            .bind(s.kind.slug())
            .bind(s.sector.map(|x| x.slug()))
            .bind(s.age_group.slug())
            .bind(r.mask)
            .bind(s.priority.level())
            .bind(&quiet_from)
            .bind(&quiet_until)
            .bind(&at)
            .bind(&e.id)
            .execute(tx.conn())
            .await?;
            (
                e.id,
                e.mailed_at,
                "sign-up repeated before confirmation: choices replaced",
            )
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO alert_subscribers (id, email, email_key, kind, sector, age_group, \
                 topics_mask, min_level, quiet_from, quiet_until, status, generation, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11)",
            )
            .bind(&id)
            .bind(&s.email)
            .bind(&key)
            .bind(s.kind.slug())
            .bind(s.sector.map(|x| x.slug()))
            .bind(s.age_group.slug())
            .bind(r.mask)
            .bind(s.priority.level())
            .bind(&quiet_from)
            .bind(&quiet_until)
            .bind(&at)
            .execute(tx.conn())
            .await?;
            (id, None, "sign-up (public page): waiting for confirmation")
        }
    };
    write_places(&mut tx, &id, &r, false).await?;
    mail_in(&mut tx, &id, what.as_deref(), SubscriberMail::Confirm, now).await?;
    audit::append(&mut tx, &event(AuditAction::Create, &id, purpose)).await?;
    tx.commit().await
}

/// Removes a subscription and what is held about it, in the caller's transaction.
pub(crate) async fn erase(tx: &mut WriteTx, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE alert_deliveries SET state = 'withdrawn', locked_until = NULL \
         WHERE subscriber_id = $1 AND state = 'waiting'",
    )
    .bind(id)
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE alert_deliveries SET subscriber_id = NULL WHERE subscriber_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM alert_places WHERE subscriber_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM alert_subscribers WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Someone asks for a link to change their subscription: it is e-mailed if the address has a
/// confirmed subscription, and nothing happens otherwise. The caller says the same either way.
pub async fn request_manage_link(db: &Db, email: &str, now: DateTime<Utc>) -> Result<()> {
    let key = email.trim().to_lowercase();
    let mut tx = db.begin_write().await?;
    let existing: Option<Existing> =
        sqlx::query_as("SELECT id, status, mailed_at FROM alert_subscribers WHERE email_key = $1")
            .bind(&key)
            .fetch_optional(tx.conn())
            .await?;
    if let Some(e) = existing.filter(|e| e.status == "active") {
        mail_in(
            &mut tx,
            &e.id,
            e.mailed_at.as_deref(),
            SubscriberMail::Manage,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &event(
                AuditAction::Read,
                &e.id,
                "a link to change the subscription asked for (public page)",
            ),
        )
        .await?;
    }
    tx.commit().await
}

/// Deletes subscriptions never confirmed within seven days, as their confirmation links lapse.
pub async fn delete_unconfirmed(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let before = format_time(now - Purpose::Confirm.lasts());
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM alert_subscribers WHERE status = 'pending' AND created_at < $1 LIMIT 1000",
    )
    .bind(&before)
    .fetch_all(db.pool())
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    for (id,) in &ids {
        erase(&mut tx, id).await?;
    }
    audit::append(
        &mut tx,
        &AuditEvent {
            actor_user_id: None,
            actor_agency_id: None,
            action: AuditAction::Delete,
            entity_kind: "alert_subscriber".into(),
            entity_id: None,
            purpose: format!(
                "{} subscriptions never confirmed within 7 days deleted",
                ids.len()
            ),
            request_id: new_id(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len() as u64)
}

/// What the job worker needs to e-mail a subscriber: the address and a fresh link of the kind
/// `what` calls for. `None` if the subscription is gone, or (for a confirmation) already done.
pub async fn mail_for(
    db: &Db,
    id: &str,
    what: SubscriberMail,
    now: DateTime<Utc>,
) -> Result<Option<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        email: String,
        status: String,
        generation: i64,
    }
    let row: Option<Row> =
        sqlx::query_as("SELECT email, status, generation FROM alert_subscribers WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let Some(row) = row else { return Ok(None) };
    let purpose = match what {
        SubscriberMail::Confirm if row.status == "active" => return Ok(None),
        SubscriberMail::Confirm => Purpose::Confirm,
        SubscriberMail::AlreadySubscribed | SubscriberMail::Manage => Purpose::Manage,
    };
    let key = crate::alerts::keys::link_key(db).await?;
    Ok(Some((
        row.email,
        links::make(&key, purpose, id, row.generation, None, now),
    )))
}
