//! Who is acting: the signed-in person, or an agency's integration, and the request.

use harbour_domain::ids::{AgencyId, UserId};
use harbour_domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// None for an agency's API integration, which acts for the agency as a whole.
    pub user_id: Option<UserId>,
    pub agency_id: AgencyId,
    pub roles: Vec<Role>,
    /// Ties the audit entry to the request and its log lines.
    pub request_id: String,
    /// The API token used, when the actor is an integration.
    pub token_id: Option<String>,
}
