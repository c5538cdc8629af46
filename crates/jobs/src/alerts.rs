//! Community alerts' e-mails, sent by the job worker.
//!
//! An alert's delivery is one job. Each run lists the recipients if they are not yet listed,
//! then leases the messages due in batches and sends each batch, many at once, recording each
//! as sent as soon as the mail server has accepted it, so that a crash resends only what was
//! accepted in its last moment (with the same Message-ID). After a while it yields to other
//! jobs; when only messages held for quiet hours are left, the job waits until the first is due.

use crate::mail::Outgoing;
use crate::worker::{Delivery, Worker};
use chrono::{DateTime, Duration, Utc};
use harbour_domain::alerts::message::{
    AlertEmail, alert_email, already_subscribed_email, confirm_email, manage_email,
};
use harbour_domain::ids::AlertId;
use harbour_storage::alerts::delivery::{self, Prepared};
use harbour_storage::alerts::subscribers::mail_for;
use harbour_storage::jobs::{Job, SubscriberMail};

/// Messages leased at once, and how many are in flight at a time. Each message waits about 40 ms
/// for the mail server's acknowledgement of its last packet (lettre writes the closing dot apart,
/// and the server delays its ACK), so the rate comes from sending many at once. Each is recorded
/// as sent as soon as it has gone (with any others that went meanwhile, in one transaction).
const BATCH: i64 = 256;
pub(crate) const AT_ONCE: usize = 32;
/// How long one run of a delivery keeps the worker before letting other jobs go.
const SLICE: std::time::Duration = std::time::Duration::from_secs(20);

impl Worker {
    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url.trim_end_matches('/'))
    }

    pub(crate) async fn subscriber_email(
        &self,
        job: &Job,
        subscriber: &str,
        what: SubscriberMail,
        now: DateTime<Utc>,
    ) -> Delivery {
        let Some(mailer) = &self.mailer else {
            return Delivery::Wait(now + Duration::minutes(10));
        };
        let (to, token) = match mail_for(&self.db, subscriber, what, now).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Delivery::Done("not sent: the subscription is gone or confirmed".into());
            }
            Err(_) => return Delivery::Failed("could not read the subscription".into()),
        };
        let email = match what {
            SubscriberMail::Confirm => {
                confirm_email(&self.link(&format!("/alerts/confirm/{token}")))
            }
            SubscriberMail::AlreadySubscribed => {
                already_subscribed_email(&self.link(&format!("/alerts/manage/{token}")))
            }
            SubscriberMail::Manage => manage_email(&self.link(&format!("/alerts/manage/{token}"))),
        };
        let to = [to];
        let out = Outgoing {
            id: &job.id,
            to: &to,
            subject: &email.subject,
            body: &email.body,
            attachment: None,
            unsubscribe: None,
        };
        match mailer.send(&out).await {
            Ok(()) => Delivery::Done("delivered".into()),
            Err(e) => Delivery::Failed(e),
        }
    }

    pub(crate) async fn alert_delivery(&self, alert: &str, now: DateTime<Utc>) -> Delivery {
        let alert = AlertId::from(alert.to_owned());
        // Listed whether or not mail can go yet, so the report counts who it reaches.
        match delivery::prepare(&self.db, &alert, now).await {
            Ok(Prepared::Nothing) => return Delivery::Done("not an alert to send".into()),
            Ok(Prepared::Listed(_)) => {}
            Err(_) => return Delivery::Failed("could not list the recipients".into()),
        }
        let Some(mailer) = &self.mailer else {
            return Delivery::Wait(now + Duration::minutes(10));
        };
        let message = match delivery::message(&self.db, &alert).await {
            Ok(Some(m)) => m,
            Ok(None) => return Delivery::Done("the alert is gone".into()),
            Err(_) => return Delivery::Failed("could not read the alert".into()),
        };
        if message.status != "published" {
            // Updated or cancelled since: what was still waiting was withdrawn with it.
            return Delivery::Done("the alert was updated or cancelled".into());
        }
        let page = self.link(&format!("/alerts/{alert}"));
        let started = std::time::Instant::now();
        let mut sent = 0usize;
        while started.elapsed() < SLICE {
            let now = Utc::now();
            let Ok(batch) = delivery::claim(
                &self.db,
                &alert,
                delivery::EMAIL,
                now,
                self.config.lease,
                BATCH,
            )
            .await
            else {
                return Delivery::Failed("could not lease messages".into());
            };
            if batch.is_empty() {
                break;
            }
            let mut waiting = batch.into_iter();
            let mut sending = tokio::task::JoinSet::new();
            let (mut ok, mut bounced, mut again) = (Vec::new(), Vec::new(), Vec::new());
            loop {
                // Keep AT_ONCE messages going.
                while sending.len() < AT_ONCE {
                    let Some(o) = waiting.next() else { break };
                    let unsubscribe = self.link(&format!("/alerts/unsubscribe/{}", o.unsubscribe));
                    let email = alert_email(&AlertEmail {
                        kind: &message.msg_type,
                        headline: &message.headline,
                        description: &message.description,
                        instruction: &message.instruction,
                        reference: message.reference.as_deref(),
                        contact: &message.contact,
                        sender: &message.sender,
                        page: &page,
                        manage: &self.link(&format!("/alerts/manage/{}", o.manage)),
                        unsubscribe: &unsubscribe,
                    });
                    let (mailer, id, to) = (mailer.clone(), o.id, [o.email]);
                    sending.spawn(async move {
                        let out = Outgoing {
                            id: &id,
                            to: &to,
                            subject: &email.subject,
                            body: &email.body,
                            attachment: None,
                            unsubscribe: Some(&unsubscribe),
                        };
                        let result = mailer.send_classified(&out).await;
                        (id, result)
                    });
                }
                let Some(done) = sending.join_next().await else {
                    break;
                };
                match done {
                    Ok((id, Ok(()))) => ok.push(id),
                    Ok((id, Err((_, true)))) => bounced.push(id),
                    Ok((id, Err((_, false)))) => again.push(id),
                    Err(_) => {}
                }
                // What has gone is recorded as soon as a few have, and at once when nothing
                // else is in flight: a crash then resends only what went in the last moment.
                while let Some(Ok(done)) = sending.try_join_next() {
                    match done {
                        (id, Ok(())) => ok.push(id),
                        (id, Err((_, true))) => bounced.push(id),
                        (id, Err((_, false))) => again.push(id),
                    }
                }
                sent += ok.len();
                let marked = async {
                    delivery::mark_sent(&self.db, &ok, Utc::now()).await?;
                    delivery::mark_bounced(&self.db, &bounced).await?;
                    delivery::retry_at(&self.db, &again, Utc::now() + Duration::minutes(5)).await
                };
                if marked.await.is_err() {
                    return Delivery::Failed("could not record what was sent".into());
                }
                if !again.is_empty() {
                    tracing::warn!(alert = %alert, refused = again.len(), "the mail server refused alert messages for now; will retry");
                }
                ok.clear();
                bounced.clear();
                again.clear();
            }
        }
        if sent > 0 {
            tracing::info!(alert = %alert, sent, "alert messages sent");
        }
        match delivery::next_due(&self.db, &alert).await {
            Ok(Some(at)) => Delivery::Wait(at.max(Utc::now())),
            Ok(None) => Delivery::Done("every message sent or accounted for".into()),
            Err(_) => Delivery::Failed("could not read what is left to send".into()),
        }
    }
}
