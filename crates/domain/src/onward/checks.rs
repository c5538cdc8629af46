//! The checks on what someone asks of an onward referral, made before anything is written:
//! pure, each problem named against its field in the words the page shows. Storage gathers the
//! facts these need (the service, whether the referral is triaged, what the contact gate says)
//! and writes only what passed.

use super::{DeclineReason, Outcome, Step};
use crate::calendar::uk_date;
use crate::consent::{Consent, ConsentInput};
use crate::contact_gate::{AttemptResult, Refusal, attempt_reason_prompt};
use crate::deadline::Circumstance;
use crate::safe_contact::Channel;
use crate::validation::{FieldErrors, check_fields, text_problem};
use chrono::{DateTime, Utc};

/// The longest note on a referral on or a step.
pub const NOTE_MAX: usize = 4000;
/// The longest note, reason or message about contacting the person.
pub const CONTACT_TEXT_MAX: usize = 2000;

/// A referral on to one service, as the hub asks for it.
#[derive(Debug, Clone, Default)]
pub struct ReferOnInput {
    /// Put before every field name in errors, for a form that refers to several services.
    pub field_prefix: String,
    pub service_id: String,
    pub consent: ConsentInput,
    pub note: String,
    pub circumstances: Vec<Circumstance>,
    pub returned_at: Option<DateTime<Utc>>,
    /// When it was sent, if not now: a referral made by phone and written up afterwards (and
    /// tests of the deadline rules). Never later than now.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A step as asked for, with what it needs.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub step: String,
    pub reason: String,
    pub note: String,
    pub outcome: String,
    /// For a re-route: the service and the consent for its organisation.
    pub reroute: Option<ReferOnInput>,
}

/// An attempt to contact the person on an onward referral, as logged.
#[derive(Debug, Clone, Default)]
pub struct AttemptInput {
    pub channel: String,
    pub result: String,
    pub note: String,
    /// Why contact was made when the gate would have refused it then.
    pub reason: String,
}

/// What storage found about the service a referral on names.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub name: &'a str,
    /// Taking referrals, as the directory says.
    pub active: bool,
    /// Run by an organisation with an agency (an inbox) in Harbour.
    pub through_harbour: bool,
    /// When this referral was sent to it, if the service still has it open.
    pub open_since: Option<&'a str>,
}

fn note_rules(field: &str, note: &str, errors: &mut FieldErrors) {
    check_fields(&[(field, "The note", note, true)], errors);
    if note.chars().count() > NOTE_MAX {
        errors.add(field, "The note must be 4,000 characters or fewer");
    }
}

/// Checks one referral on: the service (`None`: not found) takes referrals through Harbour and
/// does not already have this referral, the consent is complete, the note is readable text, the
/// time sent is not in the future, the referral is triaged. Problems go into `errors`, named with
/// the input's prefix; the consent comes back when nothing was wrong with this input.
pub fn check_refer_on(
    input: &ReferOnInput,
    target: Option<Target<'_>>,
    triaged: bool,
    may_share_without_consent: bool,
    now: DateTime<Utc>,
    errors: &mut FieldErrors,
) -> Option<Consent> {
    let field = |f: &str| format!("{}{f}", input.field_prefix);
    let before = errors.iter().count();
    match target {
        None => errors.add(&field("service_id"), "Choose a service from the list"),
        Some(s) => {
            if !s.active {
                errors.add(
                    &field("service_id"),
                    format!("{} is not taking referrals at present", s.name),
                );
            } else if !s.through_harbour {
                errors.add(
                    &field("service_id"),
                    format!(
                        "{} does not receive referrals through Harbour; use its referral route in the directory",
                        s.name
                    ),
                );
            }
            if let Some(sent) = s.open_since {
                errors.add(
                    &field("service_id"),
                    format!(
                        "{} already has this referral (sent {}); it cannot be sent twice",
                        s.name,
                        sent.get(..10).unwrap_or(sent)
                    ),
                );
            }
        }
    }
    let consent = input.consent.validate(
        &field("consent/"),
        uk_date(now),
        may_share_without_consent,
        errors,
    );
    note_rules(&field("note"), &input.note, errors);
    if input
        .sent_at
        .is_some_and(|t| t > now + chrono::Duration::minutes(1))
    {
        errors.add(
            &field("sent_at"),
            "The time it was sent cannot be in the future",
        );
    }
    if !triaged {
        errors.add(
            &field("service_id"),
            "Triage the referral before referring the person on",
        );
        return None;
    }
    consent.filter(|_| target.is_some() && errors.iter().count() == before)
}

/// A referral on to several services at once names at least one.
pub fn check_some_chosen(inputs: &[ReferOnInput]) -> Result<(), FieldErrors> {
    if inputs.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("services", "Choose at least one service to refer to");
        return Err(errors);
    }
    Ok(())
}

/// The step asked for.
pub fn parse_step(input: &StepInput) -> Result<Step, FieldErrors> {
    Step::from_slug(&input.step).ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.add("step", "Choose what to do from the list");
        errors
    })
}

/// What a step that passed its checks records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// Why it was declined, or how support ended.
    pub reason: Option<&'static str>,
    pub note: Option<String>,
}

/// Checks what `step` needs: a reason to decline (with a note for "other"), how support ended,
/// a note to withdraw, a service to re-route to; any note readable and not too long.
pub fn check_step(step: Step, input: &StepInput) -> Result<StepRecord, FieldErrors> {
    let mut errors = FieldErrors::new();
    let note = input.note.trim();
    note_rules("note", note, &mut errors);
    let mut reason = None;
    match step {
        Step::Decline => match DeclineReason::from_slug(&input.reason) {
            Some(DeclineReason::Other) if note.is_empty() => {
                errors.add("note", "Say why the referral is declined");
            }
            Some(r) => reason = Some(r.slug()),
            None => errors.add("reason", "Choose why the referral is declined"),
        },
        Step::RecordOutcome => match Outcome::from_slug(&input.outcome) {
            Some(o) => reason = Some(o.slug()),
            None => errors.add("outcome", "Choose how support ended"),
        },
        Step::Withdraw if note.is_empty() => {
            errors.add("note", "Say why the referral is withdrawn");
        }
        Step::Reroute if input.reroute.is_none() => {
            errors.add(
                "service_id",
                "Choose the service to re-route the referral to",
            );
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(StepRecord {
        reason,
        note: (!note.is_empty()).then(|| note.to_owned()),
    })
}

/// Checks a contact attempt as logged, before the contact gate is asked about it.
pub fn check_attempt(input: &AttemptInput) -> Result<(Channel, AttemptResult), FieldErrors> {
    let mut errors = FieldErrors::new();
    let channel = Channel::from_slug(&input.channel);
    if channel.is_none() {
        errors.add("channel", "Choose how contact was attempted");
    }
    let result = AttemptResult::from_slug(&input.result);
    if result.is_none() {
        errors.add("result", "Choose what happened");
    }
    check_fields(
        &[
            ("note", "The note", &input.note, true),
            ("reason", "The reason", &input.reason, true),
        ],
        &mut errors,
    );
    if input.note.chars().count() > CONTACT_TEXT_MAX {
        errors.add("note", "The note must be 2,000 characters or fewer");
    }
    match (channel, result) {
        (Some(c), Some(r)) if errors.is_empty() => Ok((c, r)),
        _ => Err(errors),
    }
}

/// The reason kept with an attempt the contact gate would have refused (`refused`): one must
/// be given then, and is kept only then.
pub fn check_override_reason(
    refused: Option<&Refusal>,
    reason: &str,
) -> Result<Option<String>, FieldErrors> {
    let reason = reason.trim();
    let mut errors = FieldErrors::new();
    if let Some(refusal) = refused
        && reason.is_empty()
    {
        errors.add("reason", attempt_reason_prompt(refusal));
    } else if reason.chars().count() > CONTACT_TEXT_MAX {
        errors.add("reason", "The reason must be 2,000 characters or fewer");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(refused.map(|_| reason.to_owned()))
}

/// Why a suspended channel is safe to use again: readable, and at least a few words.
pub fn check_review_note(note: &str) -> Result<String, FieldErrors> {
    let note = note.trim();
    let mut errors = FieldErrors::new();
    check_fields(&[("review_note", "The reason", note, true)], &mut errors);
    if errors.is_empty() && note.chars().count() < 10 {
        errors.add(
            "review_note",
            "Say why the channel is safe to use again (at least 10 characters)",
        );
    }
    if errors.is_empty() {
        Ok(note.to_owned())
    } else {
        Err(errors)
    }
}

/// Checks a message to the person: e-mail (the one channel Harbour sends itself) and a text
/// that is there, readable and not too long. The text comes back trimmed.
pub fn check_message(channel: &str, text: &str) -> Result<(Channel, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let one = |field: &str, message: &str| {
        let mut e = FieldErrors::new();
        e.add(field, message);
        e
    };
    let Some(channel) = Channel::from_slug(channel) else {
        return Err(one("channel", "Choose how to send it"));
    };
    if channel != Channel::Email {
        return Err(one(
            "channel",
            "Harbour sends e-mail only; use your service's phone for calls and texts",
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        errors.add("text", "Enter the message");
    } else if let Some(problem) = text_problem(text, true) {
        errors.add("text", format!("The message {problem}"));
    } else if text.chars().count() > CONTACT_TEXT_MAX {
        errors.add("text", "The message must be 2,000 characters or fewer");
    }
    if errors.is_empty() {
        Ok((channel, text.to_owned()))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
