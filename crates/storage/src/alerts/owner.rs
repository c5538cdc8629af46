//! What a subscription's owner does by the links e-mailed to them, without an account: confirm
//! it, see and change their choices, delete it and everything held. Each is audited naming no one.

use crate::alerts::subscribers::{erase, event, quiet_text, resolve, write_places};
use crate::alerts::topics;
use crate::audit;
use crate::db::{Db, WriteTx, format_time};
use crate::error::Result;
use chrono::{DateTime, NaiveTime, Utc};
use harbour_domain::alerts::links::{self, Link, LinkProblem, Purpose};
use harbour_domain::alerts::quiet::QuietHours;
use harbour_domain::alerts::subscription::{
    AgeGroup, BusinessSector, Priority, SubscriberKind, SubscriptionInput,
};
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::SubscriberId;

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
