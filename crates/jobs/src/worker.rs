//! The job worker: each round it escalates deadlines that have passed, then leases what is due
//! in the queue and delivers it. A job that fails is put back with a growing wait and tried
//! again, never dropped; a message to a person that is due outside their safe times waits for
//! the next one; one the contact gate refuses outright is never sent.

use crate::mail::{Mailer, Outgoing};
use crate::webhook;
use chrono::{DateTime, Duration, Utc};
use harbour_domain::contact_gate::Refusal;
use harbour_domain::notification::{backoff, staff_email};
use harbour_domain::safe_contact::Channel;
use harbour_storage::Db;
use harbour_storage::jobs::{self, Job, Work};
use harbour_storage::onward::notify::{self, onward_link};

/// What the worker needs to know.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Harbour's address, for links in messages.
    pub public_url: String,
    /// Empty: e-mail waits in the queue.
    pub smtp_url: String,
    pub mail_from: String,
    /// How long a job is held while it is delivered.
    pub lease: Duration,
    /// How long to wait when there is nothing to do.
    pub poll: std::time::Duration,
    /// Whether agencies' webhooks may go to this machine (loopback).
    pub webhook_allow_loopback: bool,
    /// A signed checkpoint of the audit trail e-mailed to the auditors each day, if set.
    pub audit_checkpoints: Option<AuditCheckpoints>,
    /// Whether to e-mail the commissioner's office a link to each quarter's report when it is
    /// ready (`harbour serve` does; tests of other mail turn it off).
    pub quarterly_reports: bool,
}

/// The day's audit checkpoint: the key that signs it and who it goes to.
#[derive(Clone)]
pub struct AuditCheckpoints {
    pub key: ed25519_dalek::SigningKey,
    pub to: Vec<String>,
}

// The key is a secret.
impl std::fmt::Debug for AuditCheckpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditCheckpoints")
            .field("recipients", &self.to.len())
            .finish_non_exhaustive()
    }
}

pub struct Worker {
    pub(crate) db: Db,
    id: String,
    pub(crate) config: WorkerConfig,
    pub(crate) mailer: Option<Mailer>,
    http: reqwest::Client,
    /// When overdue deadlines were last looked for: once a minute is enough.
    escalated_at: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// The UK day this worker last queued the audit checkpoint for.
    checkpoint_day: std::sync::Mutex<Option<chrono::NaiveDate>>,
}

impl Worker {
    /// Signs the trail's head and e-mails the checkpoint, or, if the trail fails its check, the
    /// alarm. Made when it is sent, so a retry signs the head as it is then.
    async fn audit_checkpoint(&self, job: &Job, to: &[String], now: DateTime<Utc>) -> Delivery {
        use harbour_domain::audit_checkpoint::{alarm_email, checkpoint_email};
        let (Some(mailer), Some(a)) = (&self.mailer, &self.config.audit_checkpoints) else {
            return Delivery::Wait(now + Duration::minutes(10));
        };
        let made = harbour_storage::audit_guard::checkpoint(&self.db, &a.key).await;
        let (email, file) = match &made {
            Ok(cp) => (
                checkpoint_email(cp),
                Some((
                    cp.file_name(),
                    serde_json::to_string_pretty(cp).unwrap_or_default(),
                )),
            ),
            Err(harbour_storage::StorageError::Corrupt(problem)) => {
                tracing::error!(%problem, "the audit trail failed its check: no checkpoint made");
                (alarm_email(problem), None)
            }
            Err(_) => return Delivery::Failed("could not make the checkpoint".into()),
        };
        let out = Outgoing {
            id: &job.id,
            to,
            subject: &email.subject,
            body: &email.body,
            attachment: file.as_ref().map(|(n, c)| (n.as_str(), c.as_str())),
            unsubscribe: None,
        };
        match (mailer.send(&out).await, &made) {
            (Ok(()), Ok(cp)) => Delivery::Done(format!("checkpoint of entry {} sent", cp.seq)),
            (Ok(()), Err(_)) => Delivery::Done("the trail failed its check: alarm sent".into()),
            (Err(e), _) => Delivery::Failed(e),
        }
    }
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    Done(String),
    /// Not yet (not a safe time): try again then, without counting a failure.
    Wait(DateTime<Utc>),
    Failed(String),
}

impl Worker {
    pub fn new(db: Db, config: WorkerConfig) -> anyhow::Result<Worker> {
        let mailer = if config.smtp_url.is_empty() {
            None
        } else {
            Some(Mailer::new(&config.smtp_url, &config.mail_from)?)
        };
        // No redirects, and only public addresses, checked on what the name resolves to at the
        // moment of sending (webhook::PublicOnly), not only when the address was saved.
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(webhook::PublicOnly {
                allow_loopback: config.webhook_allow_loopback,
            }))
            .build()?;
        let id = format!(
            "worker-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Ok(Worker {
            db,
            id,
            config,
            mailer,
            http,
            escalated_at: std::sync::Mutex::new(None),
            checkpoint_day: std::sync::Mutex::new(None),
        })
    }

    /// Runs rounds until the task is stopped.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.mailer.is_none() {
                tracing::warn!("no mail server is set (smtp_url): staff e-mails wait in the queue");
            }
            loop {
                match self.run_once(Utc::now()).await {
                    Ok(0) => tokio::time::sleep(self.config.poll).await,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "a job round failed; will retry");
                        tokio::time::sleep(self.config.poll).await;
                    }
                }
            }
        })
    }

    /// One round at `now`: escalates what became overdue (at most once a minute), then
    /// delivers up to 16 due jobs. Returns how many jobs it handled.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let look = {
            let mut last = self
                .escalated_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = last.is_none_or(|t| now - t >= Duration::minutes(1) || now < t);
            if due {
                *last = Some(now);
            }
            due
        };
        if look {
            let escalated = notify::escalate_overdue(&self.db, now).await?;
            if escalated > 0 {
                tracing::info!(escalated, "escalated overdue onward referrals");
            }
            let lapsed =
                harbour_storage::alerts::subscribers::delete_unconfirmed(&self.db, now).await?;
            if lapsed > 0 {
                tracing::info!(lapsed, "deleted alert subscriptions never confirmed");
            }
            if let Some(run) =
                harbour_storage::retention::runs::prepare_nightly(&self.db, now).await?
            {
                tracing::info!(run = %run, "prepared the night's retention run");
            }
            let chased = harbour_storage::marac::chase_overdue(&self.db, now).await?;
            if chased > 0 {
                tracing::info!(chased, "chased agencies' overdue MARAC actions");
            }
            if self.config.quarterly_reports
                && let Some(q) =
                    harbour_storage::reports::schedule::queue_quarterly_report(&self.db, now)
                        .await?
            {
                tracing::info!(quarter = %q.slug(), "the quarter's report is ready: e-mailing the commissioner's office");
            }
            if let Some(a) = &self.config.audit_checkpoints {
                // Once a UK day, however many workers share the queue (the job's dedupe key),
                // and without a write a minute from this one (the day it last queued).
                let day = harbour_domain::calendar::uk_date(now);
                let queued = *self
                    .checkpoint_day
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if queued != Some(day) {
                    let work = Work::AuditCheckpoint { to: a.to.clone() };
                    let key = format!("audit-checkpoint-{day}");
                    jobs::schedule(&self.db, &work, Some(&key), now).await?;
                    *self
                        .checkpoint_day
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(day);
                }
            }
        }
        let claimed = jobs::claim(&self.db, &self.id, now, self.config.lease, 16).await?;
        for job in &claimed {
            let delivery = self.deliver(job, now).await;
            match delivery {
                Delivery::Done(outcome) => {
                    jobs::complete(&self.db, &job.id, &self.id, &outcome).await?;
                    tracing::info!(job = %job.id, kind = job.work.kind(), %outcome, "job done");
                }
                Delivery::Wait(at) => {
                    jobs::release(&self.db, &job.id, &self.id, at, None).await?;
                }
                Delivery::Failed(error) => {
                    let at = now + backoff(job.attempts);
                    jobs::release(&self.db, &job.id, &self.id, at, Some(&error)).await?;
                    tracing::warn!(job = %job.id, kind = job.work.kind(), attempts = job.attempts, %error, "job failed; will retry");
                }
            }
        }
        Ok(claimed.len())
    }

    async fn deliver(&self, job: &Job, now: DateTime<Utc>) -> Delivery {
        match &job.work {
            Work::AuditCheckpoint { to } => self.audit_checkpoint(job, to, now).await,
            Work::SubscriberEmail {
                subscriber_id,
                what,
            } => self.subscriber_email(job, subscriber_id, *what, now).await,
            Work::AlertDelivery { alert_id } => self.alert_delivery(alert_id, now).await,
            Work::ErasureRequest { request_id } => {
                let id = harbour_domain::ids::ErasureRequestId::from(request_id.as_str());
                match harbour_storage::retention::requests::execute(&self.db, &id).await {
                    Ok(n) => {
                        tracing::info!(request = %id, erased = n, "erased everything about the person who asked");
                        Delivery::Done("erased".into())
                    }
                    Err(e) => Delivery::Failed(e.to_string()),
                }
            }
            Work::RetentionErase { run_id } => {
                let run = harbour_domain::ids::RetentionRunId::from(run_id.as_str());
                match harbour_storage::retention::runs::erase_run(&self.db, &run, now).await {
                    Ok(n) => {
                        tracing::info!(run = %run, erased = n, "erased what the approved retention run listed");
                        Delivery::Done("erased".into())
                    }
                    Err(e) => Delivery::Failed(e.to_string()),
                }
            }
            Work::MaracChase { to, overdue } => {
                let Some(mailer) = &self.mailer else {
                    return Delivery::Wait(now + Duration::minutes(10));
                };
                let link = format!(
                    "{}/marac/actions",
                    self.config.public_url.trim_end_matches('/')
                );
                let email = harbour_domain::notification::marac_chase_email(*overdue, &link);
                let out = Outgoing {
                    id: &job.id,
                    to,
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
            Work::QuarterlyReport { to, quarter, label } => {
                let Some(mailer) = &self.mailer else {
                    return Delivery::Wait(now + Duration::minutes(10));
                };
                let link = format!(
                    "{}/reports?period={quarter}",
                    self.config.public_url.trim_end_matches('/')
                );
                let email = harbour_domain::notification::quarterly_report_email(label, &link);
                let out = Outgoing {
                    id: &job.id,
                    to,
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
            Work::StaffEmail {
                to,
                event,
                onward_referral_id,
            } => {
                let Some(mailer) = &self.mailer else {
                    // Held, not failed: it goes once a mail server is set (and Harbour restarted).
                    return Delivery::Wait(now + Duration::minutes(10));
                };
                let email = staff_email(
                    *event,
                    &onward_link(&self.config.public_url, onward_referral_id),
                );
                let out = Outgoing {
                    id: &job.id,
                    to,
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
            Work::Webhook {
                agency_id,
                event,
                onward_referral_id,
            } => {
                let (url, secret) =
                    match harbour_storage::agencies::webhook_target(&self.db, agency_id).await {
                        Ok(Some(t)) => (
                            t.webhook_url.unwrap_or_default(),
                            t.webhook_secret.unwrap_or_default(),
                        ),
                        Ok(None) => return Delivery::Done("the agency no longer exists".into()),
                        Err(_) => return Delivery::Failed("could not read the agency".into()),
                    };
                if url.is_empty() {
                    return Delivery::Done("the agency no longer has a webhook".into());
                }
                if let Some(problem) = harbour_domain::webhook_address::problem(
                    &url,
                    self.config.webhook_allow_loopback,
                ) {
                    // Saved before the rule, or the rule's setting changed: never sent there.
                    tracing::warn!(%problem, "an agency's webhook address is not allowed; not sent");
                    return Delivery::Done(format!("not sent: {problem}"));
                }
                let link = onward_link(&self.config.public_url, onward_referral_id);
                let body = webhook::body(&job.id, *event, onward_referral_id, &link);
                match webhook::post(&self.http, &url, &secret, &job.id, body).await {
                    Ok(()) => Delivery::Done("delivered".into()),
                    Err(e) => Delivery::Failed(e),
                }
            }
            Work::PersonMessage {
                onward_referral_id,
                channel,
                subject,
                text,
            } => {
                // The gate decides now, not when the message was written: a channel may have
                // been suspended, or the safe time may have passed.
                let permit = match notify::gate(&self.db, onward_referral_id, *channel, now).await {
                    Ok(Ok(p)) => p,
                    Ok(Err(Refusal::OutsideSafeTimes { next: Some(t) })) => {
                        return Delivery::Wait(t);
                    }
                    Ok(Err(refusal)) => {
                        return Delivery::Done(format!("held back: {}", refusal.slug()));
                    }
                    Err(_) => return Delivery::Failed("could not ask the contact gate".into()),
                };
                if *channel != Channel::Email {
                    return Delivery::Done("held back: Harbour sends e-mail only".into());
                }
                let Some(mailer) = &self.mailer else {
                    return Delivery::Wait(now + Duration::minutes(10));
                };
                let to = [permit.to];
                let out = Outgoing {
                    id: &job.id,
                    to: &to,
                    subject,
                    body: text,
                    attachment: None,
                    unsubscribe: None,
                };
                match mailer.send(&out).await {
                    Ok(()) => Delivery::Done("delivered".into()),
                    Err(e) => Delivery::Failed(e),
                }
            }
        }
    }
}
