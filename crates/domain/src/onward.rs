//! Onward referrals: after triage the hub refers the person to a service. Each onward referral
//! follows one lifecycle, and this module is its only definition:
//!
//! ```text
//! sent → acknowledged → accepted → in service → outcome recorded → closed
//!   │         │           (or declined, with a reason; the hub then re-routes it to another
//!   │         │            service or closes it)
//!   └─────────┴── the sender can withdraw at any point before an outcome
//! ```
//!
//! [`transition`] says what a step leads to, or why it cannot be taken, for the party taking it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Sent,
    Acknowledged,
    Accepted,
    Declined,
    /// Sent on to another service instead; this referral ends here.
    Rerouted,
    InService,
    OutcomeRecorded,
    Closed,
    Withdrawn,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Sent,
        State::Acknowledged,
        State::Accepted,
        State::Declined,
        State::Rerouted,
        State::InService,
        State::OutcomeRecorded,
        State::Closed,
        State::Withdrawn,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            State::Sent => "sent",
            State::Acknowledged => "acknowledged",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Rerouted => "rerouted",
            State::InService => "in_service",
            State::OutcomeRecorded => "outcome_recorded",
            State::Closed => "closed",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Sent => "Sent",
            State::Acknowledged => "Acknowledged",
            State::Accepted => "Accepted",
            State::Declined => "Declined",
            State::Rerouted => "Re-routed",
            State::InService => "In service",
            State::OutcomeRecorded => "Outcome recorded",
            State::Closed => "Closed",
            State::Withdrawn => "Withdrawn",
        }
    }

    pub fn from_slug(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, State::Rerouted | State::Closed | State::Withdrawn)
    }

    /// The receiving service is working the referral: it has not declined it, and its part has
    /// not ended. Only then does it get any way to contact the person.
    pub fn recipient_works_it(self) -> bool {
        matches!(
            self,
            State::Sent | State::Acknowledged | State::Accepted | State::InService
        )
    }

    /// Waiting on the receiving service (its inbox shows these first).
    pub fn awaits_recipient(self) -> bool {
        matches!(self, State::Sent | State::Acknowledged)
    }

    /// The receiving service has taken the person on: it may then see what consent allows,
    /// beyond the minimum every recipient sees.
    pub fn taken_on(self) -> bool {
        matches!(
            self,
            State::Accepted | State::InService | State::OutcomeRecorded | State::Closed
        )
    }
}

/// Why a service declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    OutsideArea,
    NotEligible,
    NoCapacity,
    AlreadySupported,
    PersonDeclined,
    UnableToContact,
    RiskTooHigh,
    Other,
}

impl DeclineReason {
    pub const ALL: [DeclineReason; 8] = [
        DeclineReason::OutsideArea,
        DeclineReason::NotEligible,
        DeclineReason::NoCapacity,
        DeclineReason::AlreadySupported,
        DeclineReason::PersonDeclined,
        DeclineReason::UnableToContact,
        DeclineReason::RiskTooHigh,
        DeclineReason::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            DeclineReason::OutsideArea => "outside_area",
            DeclineReason::NotEligible => "not_eligible",
            DeclineReason::NoCapacity => "no_capacity",
            DeclineReason::AlreadySupported => "already_supported",
            DeclineReason::PersonDeclined => "person_declined",
            DeclineReason::UnableToContact => "unable_to_contact",
            DeclineReason::RiskTooHigh => "risk_too_high",
            DeclineReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeclineReason::OutsideArea => "The person lives outside the area we serve",
            DeclineReason::NotEligible => "The person does not meet our eligibility criteria",
            DeclineReason::NoCapacity => "We have no capacity at present",
            DeclineReason::AlreadySupported => {
                "The person is already supported by us or another service"
            }
            DeclineReason::PersonDeclined => "The person declined our support",
            DeclineReason::UnableToContact => "We could not contact the person safely",
            DeclineReason::RiskTooHigh => "The risk is beyond what our service can manage",
            DeclineReason::Other => "Another reason (say which in the note)",
        }
    }

    pub fn from_slug(s: &str) -> Option<DeclineReason> {
        DeclineReason::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// How support ended: the commissioners' "cope and recover" outcome, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    NeedsMet,
    NeedsPartlyMet,
    Disengaged,
    PersonEndedSupport,
    MovedAway,
    TransferredOn,
    /// Support ended for a reason none of the others names.
    Other,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::NeedsMet,
        Outcome::NeedsPartlyMet,
        Outcome::Disengaged,
        Outcome::PersonEndedSupport,
        Outcome::MovedAway,
        Outcome::TransferredOn,
        Outcome::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Outcome::NeedsMet => "needs_met",
            Outcome::NeedsPartlyMet => "needs_partly_met",
            Outcome::Disengaged => "disengaged",
            Outcome::PersonEndedSupport => "person_ended_support",
            Outcome::MovedAway => "moved_away",
            Outcome::TransferredOn => "transferred_on",
            Outcome::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::NeedsMet => "Support completed: the person's needs were met",
            Outcome::NeedsPartlyMet => "Support completed: needs partly met",
            Outcome::Disengaged => "The person stopped engaging",
            Outcome::PersonEndedSupport => "The person chose to end support",
            Outcome::MovedAway => "The person moved out of the area",
            Outcome::TransferredOn => "Transferred to another service",
            Outcome::Other => "Support ended for another reason",
        }
    }

    pub fn from_slug(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// Who takes a step: the side that sent the referral (the hub or the referring agency) or the
/// side that received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Sender,
    Recipient,
}

/// A step in the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Acknowledge,
    Accept,
    Decline,
    Reroute,
    StartService,
    RecordOutcome,
    /// Support starts again after an outcome was recorded (the service's case reopened).
    Resume,
    Close,
    Withdraw,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Acknowledge,
        Step::Accept,
        Step::Decline,
        Step::Reroute,
        Step::StartService,
        Step::RecordOutcome,
        Step::Resume,
        Step::Close,
        Step::Withdraw,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Accept => "accept",
            Step::Decline => "decline",
            Step::Reroute => "reroute",
            Step::StartService => "start_service",
            Step::RecordOutcome => "record_outcome",
            Step::Resume => "resume",
            Step::Close => "close",
            Step::Withdraw => "withdraw",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Acknowledge => "Acknowledge",
            Step::Accept => "Accept",
            Step::Decline => "Decline",
            Step::Reroute => "Re-route to another service",
            Step::StartService => "Start support",
            Step::RecordOutcome => "Record the outcome",
            Step::Resume => "Resume support",
            Step::Close => "Close",
            Step::Withdraw => "Withdraw",
        }
    }

    pub fn from_slug(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// The side that may take this step.
    pub fn party(self) -> Party {
        match self {
            Step::Acknowledge
            | Step::Accept
            | Step::Decline
            | Step::StartService
            | Step::RecordOutcome
            | Step::Resume => Party::Recipient,
            Step::Reroute | Step::Withdraw => Party::Sender,
            // Either side closes: the recipient after an outcome, the hub after a decline.
            Step::Close => Party::Recipient,
        }
    }
}

/// Why a step cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("This referral is {}: {} is not possible now.", .from.label().to_lowercase(), .step.label().to_lowercase())]
    NotNow { from: State, step: Step },
    #[error("Only the service the referral was sent to can {}.", .0.label().to_lowercase())]
    RecipientOnly(Step),
    #[error("Only the sender can {}.", .0.label().to_lowercase())]
    SenderOnly(Step),
}

/// What `step`, taken by `by`, makes of a referral in `from`.
pub fn transition(from: State, step: Step, by: Party) -> Result<State, Refused> {
    use State as S;
    use Step as T;
    let to = match (from, step) {
        (S::Sent, T::Acknowledge) => S::Acknowledged,
        (S::Sent | S::Acknowledged, T::Accept) => S::Accepted,
        (S::Sent | S::Acknowledged, T::Decline) => S::Declined,
        (S::Declined, T::Reroute) => S::Rerouted,
        (S::Accepted, T::StartService) => S::InService,
        (S::InService, T::RecordOutcome) => S::OutcomeRecorded,
        (S::OutcomeRecorded, T::Resume) => S::InService,
        (S::OutcomeRecorded | S::Declined, T::Close) => S::Closed,
        (S::Sent | S::Acknowledged | S::Accepted | S::InService, T::Withdraw) => S::Withdrawn,
        _ => return Err(Refused::NotNow { from, step }),
    };
    // Closing after a decline is the sender's; after an outcome, the recipient's.
    let party = match (from, step) {
        (S::Declined, T::Close) => Party::Sender,
        _ => step.party(),
    };
    if party != by {
        return Err(match party {
            Party::Recipient => Refused::RecipientOnly(step),
            Party::Sender => Refused::SenderOnly(step),
        });
    }
    Ok(to)
}

/// The steps `by` can take from `state`, for the buttons a page offers.
pub fn steps_open_to(state: State, by: Party) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| transition(state, *s, by).is_ok())
        .collect()
}

pub mod checks;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_usual_path_runs_from_sent_to_closed() {
        let steps = [
            (Step::Acknowledge, State::Acknowledged),
            (Step::Accept, State::Accepted),
            (Step::StartService, State::InService),
            (Step::RecordOutcome, State::OutcomeRecorded),
            (Step::Close, State::Closed),
        ];
        let mut s = State::Sent;
        for (step, expected) in steps {
            s = transition(s, step, Party::Recipient).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn a_decline_is_rerouted_or_closed_by_the_sender() {
        let declined = transition(State::Acknowledged, Step::Decline, Party::Recipient).unwrap();
        assert_eq!(
            transition(declined, Step::Reroute, Party::Sender),
            Ok(State::Rerouted)
        );
        assert_eq!(
            transition(declined, Step::Close, Party::Sender),
            Ok(State::Closed)
        );
        assert_eq!(
            transition(declined, Step::Close, Party::Recipient),
            Err(Refused::SenderOnly(Step::Close))
        );
    }

    #[test]
    fn refusals_say_why() {
        let e = transition(State::Closed, Step::Accept, Party::Recipient).unwrap_err();
        assert_eq!(
            e.to_string(),
            "This referral is closed: accept is not possible now."
        );
        let e = transition(State::Sent, Step::Accept, Party::Sender).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only the service the referral was sent to can accept."
        );
        assert_eq!(
            transition(State::Sent, Step::Withdraw, Party::Recipient),
            Err(Refused::SenderOnly(Step::Withdraw))
        );
    }

    #[test]
    fn the_sender_withdraws_until_an_outcome() {
        for s in [
            State::Sent,
            State::Acknowledged,
            State::Accepted,
            State::InService,
        ] {
            assert_eq!(
                transition(s, Step::Withdraw, Party::Sender),
                Ok(State::Withdrawn)
            );
        }
        assert!(transition(State::OutcomeRecorded, Step::Withdraw, Party::Sender).is_err());
    }

    fn any_state() -> impl Strategy<Value = State> {
        (0..State::ALL.len()).prop_map(|i| State::ALL[i])
    }
    fn any_step() -> impl Strategy<Value = Step> {
        (0..Step::ALL.len()).prop_map(|i| Step::ALL[i])
    }
    fn any_party() -> impl Strategy<Value = Party> {
        any::<bool>().prop_map(|b| if b { Party::Sender } else { Party::Recipient })
    }

    proptest! {
        /// Nothing leaves a final state; every step taken lands somewhere new; only one party
        /// can take a given step from a given state.
        #[test]
        fn the_machine_keeps_its_invariants(from in any_state(), step in any_step(), by in any_party()) {
            match transition(from, step, by) {
                Ok(to) => {
                    prop_assert!(!from.is_final());
                    prop_assert_ne!(to, from);
                    let other = if by == Party::Sender { Party::Recipient } else { Party::Sender };
                    prop_assert!(transition(from, step, other).is_err());
                    prop_assert!(steps_open_to(from, by).contains(&step));
                }
                Err(_) => prop_assert!(!steps_open_to(from, by).contains(&step)),
            }
        }

        /// Any walk of steps from sent reaches only states on the lifecycle's paths, and taking
        /// on the person (accepted) always comes before in service and outcome recorded.
        #[test]
        fn every_walk_follows_the_lifecycle(walk in proptest::collection::vec((any_step(), any_party()), 0..20)) {
            let mut s = State::Sent;
            let mut seen = vec![s];
            for (step, by) in walk {
                if let Ok(next) = transition(s, step, by) {
                    s = next;
                    seen.push(s);
                }
            }
            if let Some(i) = seen.iter().position(|x| *x == State::InService) {
                prop_assert!(seen[..i].contains(&State::Accepted));
            }
            if let Some(i) = seen.iter().position(|x| *x == State::OutcomeRecorded) {
                prop_assert!(seen[..i].contains(&State::InService));
            }
            if seen.contains(&State::Rerouted) {
                prop_assert!(seen.contains(&State::Declined));
            }
            // The one cycle is support resumed after an outcome (the service's case reopened):
            // only in service and outcome recorded are ever entered twice.
            for state in State::ALL {
                let times = seen.iter().filter(|x| **x == state).count();
                if !matches!(state, State::InService | State::OutcomeRecorded) {
                    prop_assert!(times <= 1, "{state:?} entered {times} times");
                }
            }
        }
    }
}
