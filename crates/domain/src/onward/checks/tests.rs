use super::*;
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    "2026-12-02T10:00:00Z".parse().unwrap()
}

fn given() -> ReferOnInput {
    ReferOnInput {
        service_id: "s1".into(),
        consent: ConsentInput {
            decision: "given".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

const IDVA: Target<'static> = Target {
    name: "IDVA service",
    active: true,
    through_harbour: true,
    open_since: None,
};

fn refer(input: &ReferOnInput, target: Option<Target<'_>>, triaged: bool) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let consent = check_refer_on(input, target, triaged, false, now(), &mut errors);
    assert_eq!(
        consent.is_some(),
        errors.is_empty(),
        "a consent comes back exactly when nothing is wrong: {errors}"
    );
    errors
}

#[test]
fn a_referral_on_with_consent_to_an_open_service_passes() {
    assert!(refer(&given(), Some(IDVA), true).is_empty());
}

#[test]
fn each_problem_with_the_service_is_named_against_it() {
    let cases = [
        (None, "Choose a service from the list"),
        (
            Some(Target {
                active: false,
                ..IDVA
            }),
            "IDVA service is not taking referrals at present",
        ),
        (
            Some(Target {
                through_harbour: false,
                ..IDVA
            }),
            "IDVA service does not receive referrals through Harbour; use its referral route in the directory",
        ),
        (
            Some(Target {
                open_since: Some("2026-11-30T09:00:00Z"),
                ..IDVA
            }),
            "IDVA service already has this referral (sent 2026-11-30); it cannot be sent twice",
        ),
    ];
    for (target, message) in cases {
        assert_eq!(
            refer(&given(), target, true).get("service_id"),
            Some(message)
        );
    }
}

#[test]
fn referring_to_no_service_at_all_is_refused() {
    assert_eq!(
        check_some_chosen(&[]).unwrap_err().get("services"),
        Some("Choose at least one service to refer to")
    );
    assert!(check_some_chosen(&[given()]).is_ok());
}

#[test]
fn an_untriaged_referral_is_not_referred_on() {
    assert_eq!(
        refer(&given(), Some(IDVA), false).get("service_id"),
        Some("Triage the referral before referring the person on")
    );
}

#[test]
fn errors_carry_the_inputs_prefix_so_a_form_of_several_services_can_place_them() {
    let input = ReferOnInput {
        field_prefix: "services/2/".into(),
        note: "x".repeat(NOTE_MAX + 1),
        sent_at: Some(now() + chrono::Duration::hours(1)),
        ..given()
    };
    let errors = refer(&input, None, true);
    assert_eq!(
        errors.get("services/2/service_id"),
        Some("Choose a service from the list")
    );
    assert_eq!(
        errors.get("services/2/note"),
        Some("The note must be 4,000 characters or fewer")
    );
    assert_eq!(
        errors.get("services/2/sent_at"),
        Some("The time it was sent cannot be in the future")
    );
}

#[test]
fn a_refer_on_without_a_consent_decision_names_the_consent() {
    let input = ReferOnInput {
        consent: ConsentInput::default(),
        ..given()
    };
    let errors = refer(&input, Some(IDVA), true);
    assert!(
        errors.iter().any(|e| e.field.starts_with("consent/")),
        "{errors}"
    );
}

fn step(step: &str) -> StepInput {
    StepInput {
        step: step.into(),
        ..Default::default()
    }
}

#[test]
fn an_unknown_step_is_refused() {
    assert_eq!(
        parse_step(&step("teleport")).unwrap_err().get("step"),
        Some("Choose what to do from the list")
    );
    assert_eq!(parse_step(&step("accept")), Ok(Step::Accept));
}

#[test]
fn each_step_asks_for_what_it_needs() {
    let err = |s: Step, input: StepInput, field: &str| {
        check_step(s, &input)
            .unwrap_err()
            .get(field)
            .map(str::to_owned)
    };
    assert_eq!(
        err(Step::Decline, step("decline"), "reason").as_deref(),
        Some("Choose why the referral is declined")
    );
    let other = StepInput {
        reason: "other".into(),
        ..step("decline")
    };
    assert_eq!(
        err(Step::Decline, other, "note").as_deref(),
        Some("Say why the referral is declined")
    );
    assert_eq!(
        err(Step::RecordOutcome, step("record_outcome"), "outcome").as_deref(),
        Some("Choose how support ended")
    );
    assert_eq!(
        err(Step::Withdraw, step("withdraw"), "note").as_deref(),
        Some("Say why the referral is withdrawn")
    );
    assert_eq!(
        err(Step::Reroute, step("reroute"), "service_id").as_deref(),
        Some("Choose the service to re-route the referral to")
    );
    let accepted = check_step(Step::Accept, &step("accept")).unwrap();
    assert_eq!(
        accepted,
        StepRecord {
            reason: None,
            note: None
        }
    );
}

#[test]
fn a_decline_keeps_its_reason_and_trimmed_note() {
    let input = StepInput {
        reason: "other".into(),
        note: "  No capacity in that area \n".into(),
        ..step("decline")
    };
    assert_eq!(
        check_step(Step::Decline, &input),
        Ok(StepRecord {
            reason: Some("other"),
            note: Some("No capacity in that area".into())
        })
    );
}

#[test]
fn an_attempt_needs_a_channel_and_a_result() {
    let errors = check_attempt(&AttemptInput::default()).unwrap_err();
    assert_eq!(
        errors.get("channel"),
        Some("Choose how contact was attempted")
    );
    assert_eq!(errors.get("result"), Some("Choose what happened"));
    let ok = AttemptInput {
        channel: "phone_call".into(),
        result: "no_answer".into(),
        ..Default::default()
    };
    assert_eq!(
        check_attempt(&ok),
        Ok((Channel::PhoneCall, AttemptResult::NoAnswer))
    );
}

#[test]
fn a_reason_is_needed_and_kept_only_when_the_gate_would_have_refused() {
    let refusal = Refusal::DoNotContact;
    assert!(
        check_override_reason(Some(&refusal), "  ")
            .unwrap_err()
            .get("reason")
            .is_some()
    );
    assert_eq!(
        check_override_reason(Some(&refusal), " She asked us to call "),
        Ok(Some("She asked us to call".into()))
    );
    assert_eq!(check_override_reason(None, "anything"), Ok(None));
    assert!(check_override_reason(None, &"x".repeat(CONTACT_TEXT_MAX + 1)).is_err());
}

#[test]
fn a_review_says_why_in_a_few_words() {
    assert!(check_review_note("ok").is_err());
    assert_eq!(
        check_review_note("  She confirmed the number is hers  "),
        Ok("She confirmed the number is hers".into())
    );
}

proptest! {
    /// Whatever is typed, a message either passes (e-mail, readable, 1 to 2,000 characters,
    /// trimmed) or is refused naming the field at fault.
    #[test]
    fn a_message_passes_only_when_it_can_be_sent(channel in "email|sms|phone_call|[a-z]{0,6}", text in "\\PC{0,40}|[ \\n]{0,3}") {
        match check_message(&channel, &text) {
            Ok((c, t)) => {
                prop_assert_eq!(c, Channel::Email);
                prop_assert_eq!(t.as_str(), text.trim());
                prop_assert!(!t.is_empty() && t.chars().count() <= CONTACT_TEXT_MAX);
                prop_assert!(text_problem(&t, true).is_none());
            }
            Err(errors) => {
                prop_assert!(errors.get("channel").is_some() || errors.get("text").is_some());
                prop_assert!(channel != "email" || text.trim().is_empty() || text_problem(text.trim(), true).is_some());
            }
        }
    }

    /// A note over the limit is always refused, whatever the step.
    #[test]
    fn a_long_note_is_refused_on_every_step(extra in 1usize..50, which in 0usize..9) {
        let steps = Step::ALL;
        let input = StepInput { note: "n".repeat(NOTE_MAX + extra), reason: "other".into(), outcome: "needs_met".into(), ..Default::default() };
        let errors = check_step(steps[which], &input).unwrap_err();
        prop_assert_eq!(errors.get("note"), Some("The note must be 4,000 characters or fewer"));
    }
}
