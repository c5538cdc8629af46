//! The Victims' Code of Practice (England and Wales, in force 1 April 2021): the twelve rights a
//! victim has, which a service records as explained or offered, when and by whom, so that
//! compliance can be reported.

use serde::{Deserialize, Serialize};

/// The twelve rights, in the Code's order (right 1 first), in plain words.
pub const RIGHTS: [&str; 12] = [
    "To understand and be understood",
    "To have the crime recorded without unjustified delay",
    "To be given information when reporting the crime",
    "To be referred to services that support victims, tailored to their needs",
    "To be given information about compensation",
    "To be given information about the investigation and prosecution",
    "To make a Victim Personal Statement",
    "To be given information about the trial and their role as a witness",
    "To be given information about the outcome of the case and any appeal",
    "To be paid expenses and have property returned",
    "To be given information about the offender after a conviction",
    "To complain when their rights are not met",
];

/// The label of right `n` (1 to 12).
pub fn right(n: u8) -> Option<&'static str> {
    RIGHTS.get(usize::from(n).checked_sub(1)?).copied()
}

/// What was done about a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightAction {
    /// The right was explained to the person.
    Explained,
    /// What the right gives was offered (a statement, a referral, information).
    Offered,
}

impl RightAction {
    pub const ALL: [RightAction; 2] = [RightAction::Explained, RightAction::Offered];

    pub fn slug(self) -> &'static str {
        match self {
            RightAction::Explained => "explained",
            RightAction::Offered => "offered",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RightAction::Explained => "Explained",
            RightAction::Offered => "Offered",
        }
    }

    pub fn from_slug(s: &str) -> Option<RightAction> {
        RightAction::ALL.into_iter().find(|x| x.slug() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rights_are_numbered_from_one_to_twelve() {
        assert_eq!(right(1), Some("To understand and be understood"));
        assert_eq!(right(12), Some("To complain when their rights are not met"));
        assert_eq!(right(0), None);
        assert_eq!(right(13), None);
        for a in RightAction::ALL {
            assert_eq!(RightAction::from_slug(a.slug()), Some(a));
        }
    }
}
