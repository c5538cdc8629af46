//! What an alert says and the checks on what its author writes; the e-mails subscribers get.

use crate::alerts::area::{AlertArea, DEFAULT_RADIUS_M};
use crate::alerts::cap::{Certainty, Severity, Urgency};
use crate::notification::StaffEmail as Email;
use crate::place::Point;
use crate::stats::facts::vocabulary;
use crate::validation::{FieldErrors, required_text};
use chrono::Duration;

vocabulary!(AlertStatus {
    AwaitingApproval = "awaiting_approval", "Waiting for approval";
    Declined = "declined", "Not approved";
    Published = "published", "Sent";
    Superseded = "superseded", "Replaced by an update";
    Cancelled = "cancelled", "Cancelled";
});

// CAP's message types, as Harbour sends them.
vocabulary!(MessageType {
    Alert = "Alert", "Alert";
    Update = "Update", "Update";
    Cancel = "Cancel", "Cancellation";
});

/// How long an alert stays current, as the composer offers it.
pub const EXPIRY_CHOICES: [(i64, &str); 7] = [
    (6, "6 hours"),
    (12, "12 hours"),
    (24, "1 day"),
    (72, "3 days"),
    (168, "1 week"),
    (336, "2 weeks"),
    (672, "4 weeks"),
];

/// What the composer's form holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertInput {
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub reference: String,
    pub contact: String,
    pub topics: Vec<String>,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub expires_hours: String,
    /// `circle`, `named` or `polygon`.
    pub area_kind: String,
    pub postcode: String,
    pub radius_m: String,
    pub areas: Vec<String>,
    /// Corners as CAP writes them: `lat,lon lat,lon …`.
    pub polygon: String,
    /// Show the "Exit this page" control with it on the public page.
    pub exit_control: bool,
}

/// Where an alert is aimed before storage has found its postcode.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaRequest {
    CircleAroundPostcode { postcode: String, radius_m: f64 },
    Ready(AlertArea),
}

/// An alert's content once checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertContent {
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub reference: Option<String>,
    pub contact: String,
    pub topics: Vec<String>,
    pub urgency: Urgency,
    pub severity: Severity,
    pub certainty: Certainty,
    pub lasts: Duration,
    pub exit_control: bool,
}

/// Checks an alert as written. `topics` are the topics on offer and `areas` the named areas'
/// GSS codes. A cancellation needs no area; pass `with_area: false`.
pub fn check(
    input: &AlertInput,
    topics: &[String],
    areas: &[String],
    with_area: bool,
) -> Result<(AlertContent, Option<AreaRequest>), FieldErrors> {
    let mut e = FieldErrors::new();
    let headline = required_text(
        &mut e,
        "headline",
        &input.headline,
        "Enter a headline: what has happened, in a few words",
        100,
    );
    let description = multi_line(
        &mut e,
        "description",
        &input.description,
        "Enter the message: what has happened and where",
        2_000,
    );
    let instruction = multi_line(
        &mut e,
        "instruction",
        &input.instruction,
        "Enter what people should do or look out for",
        1_000,
    );
    let reference = input.reference.trim();
    if reference.chars().count() > 40 {
        e.add("reference", "Must be 40 characters or fewer");
    } else if reference.chars().any(char::is_control) {
        e.add("reference", "Must be on one line");
    }
    let contact = required_text(
        &mut e,
        "contact",
        &input.contact,
        "Enter how to contact the police about it, like “Call 101 quoting the reference”",
        200,
    );
    let mut chosen = Vec::new();
    for t in &input.topics {
        if !topics.contains(t) {
            e.add("topics", "Choose topics from the list");
            break;
        }
        if !chosen.contains(t) {
            chosen.push(t.clone());
        }
    }
    if input.topics.is_empty() {
        e.add(
            "topics",
            "Choose at least one topic: only subscribers who chose it will hear",
        );
    }
    let urgency = Urgency::from_slug(&input.urgency);
    if urgency.is_none() {
        e.add("urgency", "Choose how soon people need to act");
    }
    let severity = Severity::from_slug(&input.severity);
    if severity.is_none() {
        e.add("severity", "Choose how serious the threat is");
    }
    let certainty = Certainty::from_slug(&input.certainty);
    if certainty.is_none() {
        e.add("certainty", "Choose how certain it is");
    }
    let lasts = input
        .expires_hours
        .parse::<i64>()
        .ok()
        .filter(|h| EXPIRY_CHOICES.iter().any(|(c, _)| c == h))
        .map(Duration::hours);
    if lasts.is_none() {
        e.add("expires_hours", "Choose how long the alert stays current");
    }
    let area = if with_area {
        area_request(input, areas, &mut e)
    } else {
        None
    };
    if !e.is_empty() {
        return Err(e);
    }
    let (Some(urgency), Some(severity), Some(certainty), Some(lasts)) =
        (urgency, severity, certainty, lasts)
    else {
        unreachable!("each was checked above")
    };
    Ok((
        AlertContent {
            headline,
            description,
            instruction,
            reference: (!reference.is_empty()).then(|| reference.to_owned()),
            contact,
            topics: chosen,
            urgency,
            severity,
            certainty,
            lasts,
            exit_control: input.exit_control,
        },
        area,
    ))
}

fn multi_line(e: &mut FieldErrors, field: &str, value: &str, missing: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        e.add(field, missing);
    } else if v.chars().count() > max {
        e.add(field, format!("Must be {max} characters or fewer"));
    } else if let Some(problem) = crate::validation::text_problem(v, true) {
        e.add(field, format!("The text {problem}"));
    }
    v.replace("\r\n", "\n")
}

fn area_request(input: &AlertInput, areas: &[String], e: &mut FieldErrors) -> Option<AreaRequest> {
    match input.area_kind.as_str() {
        "circle" => {
            let postcode = input.postcode.trim();
            if crate::postcode::Postcode::parse(postcode).is_none() {
                e.add(
                    "postcode",
                    "Enter the postcode at the centre of the area, like ST16 2DH",
                );
                return None;
            }
            let radius_m = if input.radius_m.trim().is_empty() {
                DEFAULT_RADIUS_M
            } else if let Ok(r) = input.radius_m.trim().parse::<f64>() {
                r
            } else {
                e.add(
                    "radius_m",
                    "Enter the radius in metres as a number, like 3000",
                );
                return None;
            };
            // The limits are the area's own rule; a dummy centre checks them here.
            if let Err(problem) = AlertArea::circle(Point::new(52.8, -2.1)?, radius_m) {
                e.add("radius_m", problem.0);
                return None;
            }
            Some(AreaRequest::CircleAroundPostcode {
                postcode: postcode.to_owned(),
                radius_m,
            })
        }
        "named" => {
            if input.areas.is_empty() {
                e.add("areas", "Choose at least one area");
                return None;
            }
            if input.areas.iter().any(|a| !areas.contains(a)) {
                e.add("areas", "Choose areas from the list");
                return None;
            }
            let mut codes = input.areas.clone();
            codes.sort();
            codes.dedup();
            Some(AreaRequest::Ready(AlertArea::Named(codes)))
        }
        "polygon" => match parse_polygon(&input.polygon) {
            Ok(corners) => match AlertArea::polygon(corners) {
                Ok(a) => Some(AreaRequest::Ready(a)),
                Err(problem) => {
                    e.add("polygon", problem.0);
                    None
                }
            },
            Err(problem) => {
                e.add("polygon", problem);
                None
            }
        },
        _ => {
            e.add(
                "area_kind",
                "Choose how to set the area: a circle, named areas or a drawn shape",
            );
            None
        }
    }
}

/// Corners written as CAP writes a polygon: `lat,lon` pairs separated by spaces.
pub fn parse_polygon(text: &str) -> Result<Vec<Point>, String> {
    let corners: Option<Vec<Point>> = text
        .split_whitespace()
        .map(|pair| {
            let (la, lo) = pair.split_once(',')?;
            Point::new(la.trim().parse().ok()?, lo.trim().parse().ok()?)
        })
        .collect();
    match corners {
        Some(c) if c.len() > 200 => Err("Draw the area with 200 corners or fewer".into()),
        Some(c) if !c.is_empty() => Ok(c),
        _ => Err(
            "Enter the corners as latitude,longitude pairs separated by spaces, like 52.80,-2.12 52.81,-2.10 52.79,-2.09"
                .into(),
        ),
    }
}

/// The e-mail asking someone to confirm a subscription. Nothing is sent to them before it.
pub fn confirm_email(link: &str) -> Email {
    Email {
        subject: "Confirm your community alerts subscription".into(),
        body: format!(
            "Someone, probably you, asked to receive community alerts from the local policing and community safety partnership at this address.\n\n\
             To start receiving alerts, confirm within 7 days:\n{link}\n\n\
             If it was not you, ignore this message: nothing more will be sent, and the request is deleted after 7 days."
        ),
    }
}

/// The e-mail sent when someone asks to subscribe an address already subscribed: it tells the
/// owner of the address, and the page shown to whoever asked says the same as for anyone.
pub fn already_subscribed_email(manage: &str) -> Email {
    Email {
        subject: "You already receive community alerts".into(),
        body: format!(
            "Someone asked to subscribe this address to community alerts, but it already receives them.\n\n\
             To change what you receive, or to stop, use this link:\n{manage}\n\n\
             If it was not you, you need do nothing."
        ),
    }
}

/// The e-mail with a link to change preferences, for someone who asked for one.
pub fn manage_email(manage: &str) -> Email {
    Email {
        subject: "Change your community alerts".into(),
        body: format!(
            "Use this link to change which community alerts you receive, or to stop them:\n{manage}\n\n\
             The link works for 90 days. If you did not ask for it, you need do nothing."
        ),
    }
}

/// What an alert's e-mail says. `kind` is "Alert", "Update" or "Cancel" (CAP's message type).
pub struct AlertEmail<'a> {
    pub kind: &'a str,
    pub headline: &'a str,
    pub description: &'a str,
    pub instruction: &'a str,
    pub reference: Option<&'a str>,
    pub contact: &'a str,
    pub sender: &'a str,
    pub page: &'a str,
    pub manage: &'a str,
    pub unsubscribe: &'a str,
}

pub fn alert_email(a: &AlertEmail<'_>) -> Email {
    let subject = match a.kind {
        "Update" => format!("Update: {}", a.headline),
        "Cancel" => format!("Cancelled: {}", a.headline),
        _ => a.headline.to_owned(),
    };
    let reference = a
        .reference
        .map(|r| format!("Reference: {r}\n"))
        .unwrap_or_default();
    let body = format!(
        "{}\n\n{}\n\nWhat to do\n{}\n\n{reference}{}\n\nFrom {}. Read it online: {}\n\n\
         Change what you receive: {}\nStop all alerts: {}\n",
        a.headline,
        a.description,
        a.instruction,
        a.contact,
        a.sender,
        a.page,
        a.manage,
        a.unsubscribe
    );
    Email { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> AlertInput {
        AlertInput {
            headline: "Sheds broken into on Church Lane".into(),
            description: "Three garden sheds were forced overnight.".into(),
            instruction: "Lock sheds and mark tools.".into(),
            reference: "SP-2026-1234".into(),
            contact: "Call 101 quoting the reference".into(),
            topics: vec!["burglary".into()],
            urgency: "Expected".into(),
            severity: "Moderate".into(),
            certainty: "Observed".into(),
            expires_hours: "72".into(),
            area_kind: "circle".into(),
            postcode: "ST16 2DH".into(),
            radius_m: String::new(),
            ..Default::default()
        }
    }

    fn topics() -> Vec<String> {
        vec!["burglary".into()]
    }

    #[test]
    fn a_complete_alert_is_accepted_with_the_default_radius() {
        let (c, area) = check(&good(), &topics(), &[], true).unwrap();
        assert_eq!(c.lasts, Duration::hours(72));
        assert_eq!(
            area,
            Some(AreaRequest::CircleAroundPostcode {
                postcode: "ST16 2DH".into(),
                radius_m: DEFAULT_RADIUS_M
            })
        );
    }

    #[test]
    fn each_problem_is_named_at_its_field() {
        let mut i = good();
        i.headline.clear();
        i.radius_m = "20000".into();
        i.expires_hours = "5".into();
        i.topics = vec!["knitting".into()];
        let e = check(&i, &topics(), &[], true).unwrap_err();
        assert!(e.get("headline").is_some());
        assert_eq!(
            e.get("radius_m"),
            Some("Enter a radius from 50 metres to 10 kilometres")
        );
        assert!(e.get("expires_hours").is_some());
        assert_eq!(e.get("topics"), Some("Choose topics from the list"));
        let mut i = good();
        i.area_kind = "polygon".into();
        i.polygon = "52.8,-2.1 52.9,-2.1".into();
        let e = check(&i, &topics(), &[], true).unwrap_err();
        assert!(e.get("polygon").unwrap().contains("three corners"));
        i.polygon = "somewhere".into();
        let e = check(&i, &topics(), &[], true).unwrap_err();
        assert!(e.get("polygon").unwrap().contains("latitude,longitude"));
        let mut i = good();
        i.area_kind = "named".into();
        i.areas = vec!["E07000197".into(), "E07000197".into()];
        let (_, area) = check(&i, &topics(), &["E07000197".into()], true).unwrap();
        assert_eq!(
            area,
            Some(AreaRequest::Ready(AlertArea::Named(vec![
                "E07000197".into()
            ])))
        );
    }

    #[test]
    fn the_email_says_what_kind_of_message_it_is_and_how_to_stop() {
        let e = alert_email(&AlertEmail {
            kind: "Update",
            headline: "Missing man found",
            description: "d",
            instruction: "i",
            reference: Some("R1"),
            contact: "Call 101",
            sender: "Staffordshire Police",
            page: "https://h/alerts/1",
            manage: "https://h/m",
            unsubscribe: "https://h/u",
        });
        assert_eq!(e.subject, "Update: Missing man found");
        assert!(e.body.contains("Reference: R1"));
        assert!(e.body.contains("Stop all alerts: https://h/u"));
    }
}
