//! Typed identifiers. Every record's id is UUID text in the database; in the code each kind has
//! its own type, so a referral's id cannot be passed where an onward referral's is wanted.
//! New code takes and returns these; older code moves to them concept by concept. With the
//! `sqlx` feature (storage's) an id binds to a query and reads from a row as itself.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        #[cfg(feature = "sqlx")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&self.0, buf)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                <String as sqlx::Decode<'r, sqlx::Any>>::decode(value).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

id_type! {
    /// A referral into the hub.
    ReferralId;
    /// A person referred.
    PersonId;
    /// An agency of the partnership.
    AgencyId;
    /// A member of staff's account.
    UserId;
    /// A referral on to a service.
    OnwardId;
    /// A service in the directory.
    ServiceId;
    /// A referral saved unfinished.
    DraftId;
    /// What person recognition found for a referral: a link or a possible match.
    MatchId;
    /// Two people merged into one (undoable).
    MergeId;
    /// A service's case: its work with a person after accepting a referral.
    CaseId;
    /// A note on a case.
    CaseNoteId;
    /// A goal of a case's support plan.
    GoalId;
    /// An action towards a support plan's goal.
    GoalActionId;
    /// A resource issued to a person under their safety plan (an alarm, a phone).
    ResourceId;
    /// A MARAC: the conference for an area or group of areas.
    MaracId;
    /// A MARAC meeting.
    MeetingId;
    /// A case referred to a MARAC.
    MaracCaseId;
    /// An action agreed at a MARAC meeting.
    MaracActionId;
    /// A community alert, an update of one, or a cancellation.
    AlertId;
    /// A subscription to community alerts.
    SubscriberId;
    /// A night's retention run: what fell due, and the decision on erasing it.
    RetentionRunId;
    /// A legal hold on a person's records, or one referral's.
    LegalHoldId;
    /// A person's request to have their records erased.
    ErasureRequestId;
    /// A person's request to see what is held about them.
    SubjectAccessId;
    /// One of a person's sign-ins, as their account page names it.
    SessionId;
    /// A browser a person has signed in from.
    DeviceId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_serialises_as_its_text() {
        let id = DraftId::from("0193-abc");
        assert_eq!(id.as_str(), "0193-abc");
        assert_eq!(id.to_string(), "0193-abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0193-abc\"");
        let back: DraftId = serde_json::from_str("\"0193-abc\"").unwrap();
        assert_eq!(back, id);
    }
}
