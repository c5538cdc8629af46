//! A real SMTP server on loopback for tests: it speaks enough of the protocol for any client
//! (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it accepted. It can be
//! told to leave the next message unanswered after its data, as a server does while a sending
//! process dies mid-delivery: that message is then never accepted.

use anyhow::Result;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message the server accepted (answered 250 to its data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent.
    pub data: String,
}

impl Received {
    /// A header's value, such as `Message-ID` or `Subject`.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }
}

impl Received {
    /// The message's text, decoded from whatever transfer encoding it was sent in.
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The path of the first link in the text that goes to `prefix` (`/alerts/confirm/`),
    /// without Harbour's address before it.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let at = text.find(prefix)?;
        let end = text[at..]
            .find(|c: char| c.is_whitespace())
            .map_or(text.len(), |e| at + e);
        Some(text[at..end].to_owned())
    }
}

#[derive(Default)]
struct State {
    accepted: Vec<Received>,
    stall_next: bool,
    stalled: usize,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl SmtpSink {
    pub async fn start() -> Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, state).await;
                });
            }
        });
        Ok(SmtpSink { addr, state })
    }

    /// The address for Harbour's `smtp_url` setting.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Leaves the next message unanswered after its data, until the client goes away.
    pub fn stall_next(&self) {
        self.lock().stall_next = true;
    }

    /// Messages left unanswered so far.
    pub fn stalled(&self) -> usize {
        self.lock().stalled
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.lock().accepted.clone()
    }

    /// Waits until at least `n` messages were accepted, or `timeout` passes.
    /// How many messages it has accepted, without copying them.
    pub fn count(&self) -> usize {
        self.lock().accepted.len()
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Received>> {
        let until = Instant::now() + timeout;
        loop {
            let got = self.accepted();
            if got.len() >= n {
                return Ok(got);
            }
            if Instant::now() > until {
                anyhow::bail!("{} of {n} messages arrived in {timeout:?}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn address(arg: &str) -> String {
    arg.split_once(':')
        .map_or(arg, |(_, a)| a)
        .trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) -> Result<()> {
    // Replies go at once, as a mail server's do, not held for the client's next packet.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM") {
            from = address(&line);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            to.push(address(&line));
            b"250 OK\r\n"
        } else if upper.starts_with("DATA") {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
                data.push('\n');
            }
            let stall = {
                let mut s = state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if s.stall_next {
                    s.stall_next = false;
                    s.stalled += 1;
                    true
                } else {
                    s.accepted.push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    false
                }
            };
            if stall {
                // Say nothing until the client goes away; the message is not accepted.
                while lines.next_line().await?.is_some() {}
                return Ok(());
            }
            b"250 OK: queued\r\n"
        } else if upper.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
