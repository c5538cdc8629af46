//! MARAC meetings: placing a referred case on the agenda of the next meeting with room, the
//! capacity warning, how the circulated agenda names people, and the states of a case and of
//! the actions agreed for it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A case's days at MARAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Referred and listed for a meeting.
    Listed,
    /// Discussed at its meeting; actions outstanding.
    Heard,
    /// Its actions complete, or closed by the chair.
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 3] = [CaseStatus::Listed, CaseStatus::Heard, CaseStatus::Closed];

    pub fn slug(self) -> &'static str {
        match self {
            CaseStatus::Listed => "listed",
            CaseStatus::Heard => "heard",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Listed => "On the agenda",
            CaseStatus::Heard => "Heard: actions outstanding",
            CaseStatus::Closed => "Closed",
        }
    }

    pub fn from_slug(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// Where an action agreed at the meeting has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
    /// The owner agency could not do it, and says why.
    NotPossible,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::Open,
        ActionStatus::Done,
        ActionStatus::NotPossible,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::NotPossible => "not_possible",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::Done => "Done",
            ActionStatus::NotPossible => "Not possible",
        }
    }

    pub fn from_slug(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// Nothing more is owed on it.
    pub fn finished(self) -> bool {
        !matches!(self, ActionStatus::Open)
    }
}

/// A meeting a case might be listed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot<Id> {
    pub id: Id,
    pub held_on: NaiveDate,
    pub capacity: u32,
    pub listed: u32,
}

/// Where a case referred on `referred_on` goes: the first meeting after that day with room;
/// when every one is full, the first after that day anyway (over capacity, which the agenda
/// warns of). None when no meeting is scheduled after it.
pub fn place<Id>(slots: &[Slot<Id>], referred_on: NaiveDate) -> Option<&Slot<Id>> {
    let mut ahead: Vec<&Slot<Id>> = slots.iter().filter(|s| s.held_on > referred_on).collect();
    ahead.sort_by_key(|s| s.held_on);
    ahead
        .iter()
        .find(|s| s.listed < s.capacity)
        .or_else(|| ahead.first())
        .copied()
}

/// How many cases a meeting has over its capacity (none when within it).
pub fn over_capacity(listed: u32, capacity: u32) -> Option<u32> {
    (listed > capacity).then(|| listed - capacity)
}

/// A person as the circulated agenda names them: initials only (names stay inside Harbour).
pub fn initials(given: &str, family: Option<&str>) -> String {
    [Some(given), family]
        .into_iter()
        .flatten()
        .filter_map(|n| n.trim().chars().next())
        .flat_map(char::to_uppercase)
        .map(|c| format!("{c}."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn slot(id: u8, on: &str, capacity: u32, listed: u32) -> Slot<u8> {
        Slot {
            id,
            held_on: d(on),
            capacity,
            listed,
        }
    }

    #[test]
    fn a_case_goes_to_the_next_meeting_with_room() {
        let slots = [
            slot(1, "2026-12-03", 16, 3),
            slot(2, "2026-12-17", 16, 16),
            slot(3, "2026-12-31", 16, 2),
        ];
        assert_eq!(place(&slots, d("2026-12-01")).unwrap().id, 1);
        // Not the meeting on the day of referral: agencies need time to research.
        assert_eq!(
            place(&slots, d("2026-12-03")).unwrap().id,
            3,
            "the 17th is full"
        );
        assert!(place(&slots, d("2026-12-31")).is_none());
        // All full: the next anyway, over capacity.
        let full = [slot(1, "2026-12-03", 2, 2), slot(2, "2026-12-17", 2, 5)];
        assert_eq!(place(&full, d("2026-12-01")).unwrap().id, 1);
        assert_eq!(over_capacity(17, 16), Some(1));
        assert_eq!(over_capacity(16, 16), None);
    }

    #[test]
    fn the_circulated_agenda_uses_initials() {
        assert_eq!(initials("alys", Some("Brereton")), "A.B.");
        assert_eq!(initials("Jo", None), "J.");
        assert_eq!(initials("Zoë", Some(" ólafsdóttir")), "Z.Ó.");
    }
}
