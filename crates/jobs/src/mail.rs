//! Sending e-mail over SMTP with lettre. What goes wrong is described without the addresses
//! involved, since a mail server's reply can quote them.

use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// An outgoing message. `id` becomes the Message-ID, the same on every try, so a receiver
/// that saw a message before a crash can recognise the repeat.
pub struct Outgoing<'a> {
    pub id: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    /// A JSON file sent with it: its name and content.
    pub attachment: Option<(&'a str, &'a str)>,
    /// A one-click unsubscribe address (RFC 8058), for messages to subscribers: mail
    /// programs show their own "Unsubscribe" button, which posts to it.
    pub unsubscribe: Option<&'a str>,
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://host:port`, `smtp://user:pw@host:587?tls=required`,
    /// `smtps://…`), sending as `from`.
    pub fn new(smtp_url: &str, from: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| anyhow::anyhow!("setting smtp_url: not a mail server address"))?
            .timeout(Some(Duration::from_secs(30)))
            // Connections are kept and reused, as many as an alert's delivery sends at once.
            .pool_config(
                lettre::transport::smtp::PoolConfig::new().max_size(crate::alerts::AT_ONCE as u32),
            )
            .build();
        let from = from
            .parse()
            .map_err(|_| anyhow::anyhow!("setting mail_from: not an e-mail address"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a message; the error says whether the refusal was for good.
    pub async fn send(&self, m: &Outgoing<'_>) -> Result<(), String> {
        self.send_classified(m).await.map_err(|(e, _)| e)
    }

    /// Sends a message; on failure, what went wrong and whether it was permanent (the mail
    /// server refused the message for good: a bounce, not worth trying again).
    pub async fn send_classified(&self, m: &Outgoing<'_>) -> Result<(), (String, bool)> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(m.subject)
            .message_id(Some(format!("<{}@harbour>", m.id)));
        for to in m.to {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|_| ("a recipient's address is not valid".to_owned(), true))?;
            builder = builder.to(mailbox);
        }
        if let Some(url) = m.unsubscribe {
            use lettre::message::header::{HeaderName, HeaderValue};
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.to_owned());
        let message = match m.attachment {
            None => builder.singlepart(text),
            Some((name, content)) => {
                builder.multipart(MultiPart::mixed().singlepart(text).singlepart(
                    Attachment::new(name.to_owned()).body(
                        content.to_owned(),
                        ContentType::parse("application/json").expect("a media type"),
                    ),
                ))
            }
        }
        .map_err(|_| ("the message could not be built".to_owned(), true))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| (describe(&e), e.is_permanent()))
    }
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    if e.is_permanent() {
        "the mail server refused the message (permanent)".into()
    } else if e.is_transient() {
        "the mail server refused the message for now (temporary)".into()
    } else if e.is_timeout() {
        "the mail server did not answer in time".into()
    } else {
        "could not deliver to the mail server".into()
    }
}
