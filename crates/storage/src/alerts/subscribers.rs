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
use chrono::{DateTime, Duration, NaiveTime, Utc};
use harbour_domain::alerts::links::{self, Link, LinkProblem, Purpose};
use harbour_domain::alerts::quiet::QuietHours;
use harbour_domain::alerts::reach::{UnitVector, grid_row, stored};
use harbour_domain::alerts::subscription::{
    AgeGroup, BusinessSector, Priority, SubscriberKind, Subscription, SubscriptionInput, check,
};
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::ids::SubscriberId;
use harbour_domain::place::Point;
use harbour_domain::postcode::Postcode;
use harbour_domain::validation::FieldErrors;

/// The least time between two e-mails of confirmation or links to one address.
pub const MAIL_GAP_MINUTES: i64 = 10;

/// A subscription as its owner sees it on the page their link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub id: SubscriberId,
    pub email: String,
    pub kind: SubscriberKind,
    pub sector: Option<BusinessSector>,
    pub age_group: AgeGroup,
    pub postcode: Option<String>,
    pub second_postcode: Option<String>,
    pub topics: Vec<String>,
    pub priority: Priority,
    pub quiet: Option<QuietHours>,
    pub confirmed: bool,
}

impl SubscriptionView {
    /// The form's values, to fill the preferences page.
    pub fn as_input(&self) -> SubscriptionInput {
        let time = |t: Option<NaiveTime>| t.map(|t| t.format("%H:%M").to_string());
        SubscriptionInput {
            email: self.email.clone(),
            kind: self.kind.slug().into(),
            sector: self.sector.map(|s| s.slug().into()).unwrap_or_default(),
            age_group: self.age_group.slug().into(),
            postcode: self.postcode.clone().unwrap_or_default(),
            second_postcode: self.second_postcode.clone().unwrap_or_default(),
            topics: self.topics.clone(),
            priority: self.priority.slug().into(),
            quiet_from: time(self.quiet.map(|q| q.start)).unwrap_or_default(),
            quiet_until: time(self.quiet.map(|q| q.end)).unwrap_or_default(),
        }
    }
}

/// Why a link did not open a subscription: to the person, all three read alike, except that an
/// expired link says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    Expired,
    /// Not a link Harbour made, or for another purpose.
    Invalid,
    /// The subscription was deleted, or its links renewed since.
    Gone,
}

fn event(action: AuditAction, id: &str, purpose: &str) -> AuditEvent {
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
struct Resolved {
    subscription: Subscription,
    places: Vec<Place>,
    mask: i64,
}

async fn resolve(db: &Db, input: &SubscriptionInput, with_email: bool) -> Result<Resolved> {
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

async fn write_places(tx: &mut WriteTx, id: &str, r: &Resolved, live: bool) -> Result<()> {
    sqlx::query("DELETE FROM alert_places WHERE subscriber_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    for (n, p) in r.places.iter().enumerate() {
        let v = UnitVector::of(p.point);
        sqlx::query(
            "INSERT INTO alert_places (subscriber_id, place, postcode, area_code, latitude, \
             longitude, grid_row, x, y, z, topics_mask, min_level, live) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        .bind(live)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

fn quiet_text(q: Option<QuietHours>) -> (Option<String>, Option<String>) {
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

#[derive(sqlx::FromRow)]
struct SubscriberRow {
    id: SubscriberId,
    email: String,
    kind: String,
    sector: Option<String>,
    age_group: String,
    topics_mask: i64,
    min_level: i64,
    quiet_from: Option<String>,
    quiet_until: Option<String>,
    status: String,
    generation: i64,
}

const SUBSCRIBER: &str = "SELECT id, email, kind, sector, age_group, topics_mask, min_level, \
     quiet_from, quiet_until, status, generation FROM alert_subscribers WHERE id = $1";

pub(crate) fn quiet_of(from: Option<&str>, until: Option<&str>) -> Option<QuietHours> {
    let t = |s: Option<&str>| s.and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok());
    Some(QuietHours {
        start: t(from)?,
        end: t(until)?,
    })
}

/// Opens the subscription a link names, if the link is good for `purposes`.
async fn by_link(
    tx: &mut WriteTx,
    key: &[u8],
    token: &str,
    purposes: &[Purpose],
    now: DateTime<Utc>,
) -> Result<std::result::Result<(Link, SubscriberRow), LinkRefused>> {
    let link = match links::read(key, token, now) {
        Ok(l) if purposes.contains(&l.purpose) => l,
        Ok(_) | Err(LinkProblem::Invalid) => return Ok(Err(LinkRefused::Invalid)),
        Err(LinkProblem::Expired) => return Ok(Err(LinkRefused::Expired)),
    };
    let row: Option<SubscriberRow> = sqlx::query_as(SUBSCRIBER)
        .bind(&link.subscriber)
        .fetch_optional(tx.conn())
        .await?;
    Ok(match row {
        Some(r) if r.generation == link.generation => Ok((link, r)),
        _ => Err(LinkRefused::Gone),
    })
}

/// Confirms the subscription a confirmation link names: from now it receives alerts. A second
/// click changes nothing and succeeds.
pub async fn confirm(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), LinkRefused>> {
    let key = crate::alerts::keys::link_key(db).await?;
    let mut tx = db.begin_write().await?;
    let (_, row) = match by_link(&mut tx, &key, token, &[Purpose::Confirm], now).await? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    if row.status != "active" {
        let at = format_time(now);
        sqlx::query(
            "UPDATE alert_subscribers SET status = 'active', confirmed_at = $1, updated_at = $1, \
             mailed_at = NULL WHERE id = $2",
        )
        .bind(&at)
        .bind(&row.id)
        .execute(tx.conn())
        .await?;
        sqlx::query("UPDATE alert_places SET live = $1 WHERE subscriber_id = $2")
            .bind(true)
            .bind(&row.id)
            .execute(tx.conn())
            .await?;
        audit::append(
            &mut tx,
            &event(
                AuditAction::Change,
                row.id.as_str(),
                "subscription confirmed by its owner's link",
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The subscription a manage or unsubscribe link names, for its owner's page. Audited as a read.
pub async fn open(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<SubscriptionView, LinkRefused>> {
    let key = crate::alerts::keys::link_key(db).await?;
    let mut tx = db.begin_write().await?;
    let purposes = [Purpose::Manage, Purpose::Unsubscribe];
    let (_, row) = match by_link(&mut tx, &key, token, &purposes, now).await? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    let places: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT place, postcode FROM alert_places WHERE subscriber_id = $1 ORDER BY place",
    )
    .bind(&row.id)
    .fetch_all(tx.conn())
    .await?;
    audit::append(
        &mut tx,
        &event(
            AuditAction::Read,
            row.id.as_str(),
            "subscription opened by its owner's link",
        ),
    )
    .await?;
    tx.commit().await?;
    let all = topics::topics(db).await?;
    let postcode = |n: i64| places.iter().find(|p| p.0 == n).and_then(|p| p.1.clone());
    Ok(Ok(SubscriptionView {
        email: row.email,
        kind: SubscriberKind::from_slug(&row.kind).unwrap_or(SubscriberKind::Resident),
        sector: row.sector.as_deref().and_then(BusinessSector::from_slug),
        age_group: AgeGroup::from_slug(&row.age_group).unwrap_or(AgeGroup::Adult),
        postcode: postcode(0),
        second_postcode: postcode(1),
        // Sector topics come with the sector; the page lists only the ones chosen.
        topics: topics::in_mask(&all, row.topics_mask)
            .into_iter()
            .filter(|t| t.sector.is_none())
            .map(|t| t.id.clone())
            .collect(),
        priority: Priority::from_level(row.min_level),
        quiet: quiet_of(row.quiet_from.as_deref(), row.quiet_until.as_deref()),
        confirmed: row.status == "active",
        id: row.id,
    }))
}

/// Changes a subscription's choices through its owner's link. The address stays as it is: a
/// new address is a new subscription, confirmed by its own owner.
pub async fn update(
    db: &Db,
    token: &str,
    input: &SubscriptionInput,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), LinkRefused>> {
    let key = crate::alerts::keys::link_key(db).await?;
    let r = resolve(db, input, false).await?;
    let s = &r.subscription;
    let (quiet_from, quiet_until) = quiet_text(s.quiet);
    let mut tx = db.begin_write().await?;
    let purposes = [Purpose::Manage, Purpose::Unsubscribe];
    let (_, row) = match by_link(&mut tx, &key, token, &purposes, now).await? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    sqlx::query(
        "UPDATE alert_subscribers SET kind = $1, sector = $2, age_group = $3, topics_mask = $4, \
         min_level = $5, quiet_from = $6, quiet_until = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(s.kind.slug())
    .bind(s.sector.map(|x| x.slug()))
    .bind(s.age_group.slug())
    .bind(r.mask)
    .bind(s.priority.level())
    .bind(&quiet_from)
    .bind(&quiet_until)
    .bind(format_time(now))
    .bind(&row.id)
    .execute(tx.conn())
    .await?;
    write_places(&mut tx, row.id.as_str(), &r, row.status == "active").await?;
    audit::append(
        &mut tx,
        &event(
            AuditAction::Change,
            row.id.as_str(),
            "preferences changed by their owner's link",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Deletes the subscription and everything held about it: the address, the places, the
/// choices. Its messages' delivery records keep only their counts; one still waiting is
/// withdrawn. When the link came in an alert's message, that alert's report counts the
/// unsubscribe.
pub async fn delete_by_link(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), LinkRefused>> {
    let key = crate::alerts::keys::link_key(db).await?;
    let mut tx = db.begin_write().await?;
    let purposes = [Purpose::Manage, Purpose::Unsubscribe];
    let (link, row) = match by_link(&mut tx, &key, token, &purposes, now).await? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Some(alert) = &link.alert {
        sqlx::query(
            "UPDATE alert_deliveries SET unsubscribed = $1 WHERE alert_id = $2 AND subscriber_id = $3",
        )
        .bind(true)
        .bind(alert)
        .bind(&row.id)
        .execute(tx.conn())
        .await?;
    }
    let purpose = if link.purpose == Purpose::Unsubscribe {
        "unsubscribed by the link in a message: everything held deleted"
    } else {
        "deleted by its owner: everything held deleted"
    };
    erase(&mut tx, row.id.as_str()).await?;
    audit::append(
        &mut tx,
        &event(AuditAction::Delete, row.id.as_str(), purpose),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
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
