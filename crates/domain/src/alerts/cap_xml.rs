//! Writing alerts as OASIS CAP 1.2 messages and the Atom feed of current alerts. Elements go
//! in the order the schema's sequences require; text is escaped by the XML writer.

use crate::alerts::cap::{Certainty, Severity, Urgency, cap_time};
use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io::Cursor;

pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// An area as CAP writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum CapArea {
    /// Centre (latitude, longitude) and radius in kilometres.
    Circle(f64, f64, f64),
    /// Corners (latitude, longitude), not repeating the first.
    Polygon(Vec<(f64, f64)>),
    /// ONS GSS codes.
    Geocodes(Vec<String>),
}

/// One message: an alert, an update or a cancellation.
#[derive(Debug, Clone, PartialEq)]
pub struct CapMessage {
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<Utc>,
    /// `Alert`, `Update` or `Cancel`.
    pub msg_type: String,
    /// The message amended: (identifier, sent).
    pub references: Option<(String, DateTime<Utc>)>,
    pub event: String,
    pub urgency: Urgency,
    pub severity: Severity,
    pub certainty: Certainty,
    pub expires: DateTime<Utc>,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub web: String,
    pub contact: String,
    pub reference: Option<String>,
    pub area_description: String,
    pub area: CapArea,
}

type W = Writer<Cursor<Vec<u8>>>;

fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// A coordinate as CAP wants it: decimal degrees, no more places than mean anything.
fn degrees(v: f64) -> String {
    let s = format!("{v:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

fn area(w: &mut W, m: &CapMessage) -> std::io::Result<()> {
    w.create_element("area").write_inner_content(|w| {
        text(w, "areaDesc", &m.area_description)?;
        match &m.area {
            CapArea::Polygon(corners) => {
                let mut pairs: Vec<String> = corners
                    .iter()
                    .map(|(la, lo)| format!("{},{}", degrees(*la), degrees(*lo)))
                    .collect();
                if let Some(first) = pairs.first().cloned() {
                    pairs.push(first);
                }
                text(w, "polygon", &pairs.join(" "))?;
            }
            CapArea::Circle(la, lo, km) => {
                text(
                    w,
                    "circle",
                    &format!("{},{} {}", degrees(*la), degrees(*lo), degrees(*km)),
                )?;
            }
            CapArea::Geocodes(codes) => {
                for c in codes {
                    w.create_element("geocode").write_inner_content(|w| {
                        text(w, "valueName", "GSS")?;
                        text(w, "value", c)
                    })?;
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// The message as CAP 1.2 XML.
pub fn cap_message(m: &CapMessage) -> String {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    let written: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("alert")
            .with_attribute(("xmlns", CAP_NAMESPACE))
            .write_inner_content(|w| {
                text(w, "identifier", &m.identifier)?;
                text(w, "sender", &m.sender)?;
                text(w, "sent", &cap_time(m.sent))?;
                text(w, "status", "Actual")?;
                text(w, "msgType", &m.msg_type)?;
                text(w, "scope", "Public")?;
                if let Some((id, sent)) = &m.references {
                    text(
                        w,
                        "references",
                        &format!("{},{id},{}", m.sender, cap_time(*sent)),
                    )?;
                }
                w.create_element("info").write_inner_content(|w| {
                    text(w, "language", "en-GB")?;
                    text(w, "category", "Security")?;
                    text(w, "event", &m.event)?;
                    text(
                        w,
                        "responseType",
                        if m.msg_type == "Cancel" {
                            "AllClear"
                        } else {
                            "Monitor"
                        },
                    )?;
                    text(w, "urgency", m.urgency.slug())?;
                    text(w, "severity", m.severity.slug())?;
                    text(w, "certainty", m.certainty.slug())?;
                    text(w, "expires", &cap_time(m.expires))?;
                    text(w, "senderName", &m.sender_name)?;
                    text(w, "headline", &m.headline)?;
                    text(w, "description", &m.description)?;
                    text(w, "instruction", &m.instruction)?;
                    text(w, "web", &m.web)?;
                    text(w, "contact", &m.contact)?;
                    if let Some(r) = &m.reference {
                        w.create_element("parameter").write_inner_content(|w| {
                            text(w, "valueName", "crimeReference")?;
                            text(w, "value", r)
                        })?;
                    }
                    area(w, m)
                })?;
                Ok(())
            })?;
        Ok(())
    })();
    written.unwrap_or_else(|_| unreachable!("writing to memory does not fail"));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

/// An entry of the Atom feed: one current alert.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub updated: DateTime<Utc>,
    pub page: String,
    pub cap: String,
}

/// The Atom feed of current alerts, each linking to its CAP message.
pub fn atom_feed(
    title: &str,
    self_url: &str,
    page_url: &str,
    updated: DateTime<Utc>,
    entries: &[FeedEntry],
) -> String {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    let written: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("feed")
            .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
            .write_inner_content(|w| {
                text(w, "id", self_url)?;
                text(w, "title", title)?;
                text(
                    w,
                    "updated",
                    &updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )?;
                w.create_element("link")
                    .with_attributes([("rel", "self"), ("href", self_url)])
                    .write_empty()?;
                w.create_element("link")
                    .with_attributes([
                        ("rel", "alternate"),
                        ("type", "text/html"),
                        ("href", page_url),
                    ])
                    .write_empty()?;
                w.create_element("author")
                    .write_inner_content(|w| text(w, "name", title))?;
                for e in entries {
                    w.create_element("entry").write_inner_content(|w| {
                        text(w, "id", &e.id)?;
                        text(w, "title", &e.title)?;
                        text(
                            w,
                            "updated",
                            &e.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        )?;
                        text(w, "summary", &e.summary)?;
                        w.create_element("link")
                            .with_attributes([
                                ("rel", "alternate"),
                                ("type", "application/cap+xml"),
                                ("href", e.cap.as_str()),
                            ])
                            .write_empty()?;
                        w.create_element("link")
                            .with_attributes([
                                ("rel", "related"),
                                ("type", "text/html"),
                                ("href", e.page.as_str()),
                            ])
                            .write_empty()?;
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    written.unwrap_or_else(|_| unreachable!("writing to memory does not fail"));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> CapMessage {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        CapMessage {
            identifier: "0193-abc".into(),
            sender: "alerts@harbour.example".into(),
            sent: t("2026-07-01T09:00:00Z"),
            msg_type: "Update".into(),
            references: Some(("0193-aaa".into(), t("2026-06-30T20:00:00Z"))),
            event: "Burglary".into(),
            urgency: Urgency::Expected,
            severity: Severity::Moderate,
            certainty: Certainty::Observed,
            expires: t("2026-07-04T09:00:00Z"),
            sender_name: "Staffordshire Police".into(),
            headline: "Sheds & garages <forced>".into(),
            description: "d".into(),
            instruction: "i".into(),
            web: "https://h/alerts/0193-abc".into(),
            contact: "Call 101".into(),
            reference: Some("SP-1".into()),
            area_description: "Within 3 km".into(),
            area: CapArea::Polygon(vec![(52.8, -2.1), (52.81, -2.1), (52.81, -2.09)]),
        }
    }

    #[test]
    fn a_message_escapes_text_closes_its_polygon_and_puts_latitude_first() {
        let xml = cap_message(&message());
        assert!(xml.contains("<headline>Sheds &amp; garages &lt;forced&gt;</headline>"));
        assert!(xml.contains("<polygon>52.8,-2.1 52.81,-2.1 52.81,-2.09 52.8,-2.1</polygon>"));
        assert!(xml.contains("<sent>2026-07-01T10:00:00+01:00</sent>"));
        assert!(xml.contains(
            "<references>alerts@harbour.example,0193-aaa,2026-06-30T21:00:00+01:00</references>"
        ));
        // The schema's order: msgType before scope, scope before references, info last.
        let at = |s: &str| xml.find(s).unwrap();
        assert!(at("<msgType>") < at("<scope>"));
        assert!(at("<scope>") < at("<references>"));
        assert!(at("<expires>") < at("<senderName>"));
        assert!(at("<parameter>") < at("<area>"));
    }

    #[test]
    fn a_circle_is_written_with_its_radius_in_kilometres() {
        let mut m = message();
        m.area = CapArea::Circle(52.807, -2.116, 3.0);
        assert!(cap_message(&m).contains("<circle>52.807,-2.116 3</circle>"));
    }
}
