//! Staff accounts ("people" on the pages): who can sign in, for which agency, in which roles.

use crate::ids::{AgencyId, UserId};
use crate::role::Role;
use crate::validation::{FieldErrors, required_text};
use serde::Serialize;

/// The shortest password accepted. Length, not character classes, is what resists guessing
/// (NCSC password guidance); the longest bounds the cost of hashing.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// What an administrator submits to create a person.
#[derive(Clone, Default)]
pub struct UserInput {
    pub display_name: String,
    pub email: String,
    pub agency_id: String,
    pub roles: Vec<String>,
    pub password: String,
}

// The password never appears in debug output or logs.
impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("agency_id", &self.agency_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub display_name: String,
    pub email: String,
    pub agency_id: String,
    pub roles: Vec<Role>,
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("agency_id", &self.agency_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl UserInput {
    pub fn validate(&self, known_agencies: &[String]) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let display_name = required_text(
            &mut errors,
            "display_name",
            &self.display_name,
            "Enter the person's full name",
            200,
        );
        let email = normalise_email(&self.email);
        if email.is_empty() {
            errors.add("email", "Enter the person's work email address");
        } else if !is_plausible_email(&email) {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.org",
            );
        }
        let agency_id = self.agency_id.trim().to_owned();
        if agency_id.is_empty() {
            errors.add("agency_id", "Select the person's agency");
        } else if !known_agencies.contains(&agency_id) {
            errors.add("agency_id", "Select an agency from the list");
        }
        let roles = parse_roles(&self.roles, &mut errors);
        if let Err(message) = check_password(&self.password, &email) {
            errors.add("password", message);
        }
        errors.into_result(NewUser {
            display_name,
            email,
            agency_id,
            roles,
            password: self.password.clone(),
        })
    }
}

/// The roles a person is given, as submitted: at least one, each a staff role, no repeats.
pub fn parse_roles(slugs: &[String], errors: &mut FieldErrors) -> Vec<Role> {
    let mut roles = Vec::new();
    for slug in slugs {
        match Role::staff_from_slug(slug.trim()) {
            Some(role) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => errors.add("roles", "Select roles from the list"),
        }
    }
    if roles.is_empty() {
        errors.add("roles", "Select at least one role");
    }
    roles.sort();
    roles
}

/// Email addresses are compared case-insensitively.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A syntactic check only: one `@`, something either side, a dot in the domain, no spaces.
/// Whether the address works is learnt by using it.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn check_password(password: &str, email: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if password.is_empty() {
        Err("Enter a password")
    } else if chars < MIN_PASSWORD_CHARS {
        Err("Password must be 12 characters or more")
    } else if chars > MAX_PASSWORD_CHARS {
        Err("Password must be 128 characters or fewer")
    } else if !email.is_empty() && password.to_lowercase().contains(&normalise_email(email)) {
        Err("Password must not contain the email address")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> UserInput {
        UserInput {
            display_name: "Alex Morgan".into(),
            email: " Alex.Morgan@Example.ORG ".into(),
            agency_id: "a1".into(),
            roles: vec!["caseworker".into(), "referrer".into(), "caseworker".into()],
            password: "a long enough passphrase".into(),
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let user = input().validate(&["a1".into()]).unwrap();
        assert_eq!(user.email, "alex.morgan@example.org");
        assert_eq!(user.roles, vec![Role::Caseworker, Role::Referrer]);
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let mut bad = input();
        bad.email = "alex at example".into();
        bad.agency_id = "zz".into();
        bad.roles = vec![];
        bad.password = "short".into();
        let errors = bad.validate(&["a1".into()]).unwrap_err();
        assert!(errors.get("email").unwrap().contains("correct format"));
        assert_eq!(
            errors.get("agency_id"),
            Some("Select an agency from the list")
        );
        assert_eq!(errors.get("roles"), Some("Select at least one role"));
        assert_eq!(
            errors.get("password"),
            Some("Password must be 12 characters or more")
        );
        assert_eq!(errors.get("display_name"), None);
    }

    #[test]
    fn debug_output_hides_the_password_and_email() {
        let shown = format!("{:?}", input());
        assert!(!shown.contains("passphrase"));
        assert!(!shown.contains("Morgan"));
    }

    #[test]
    fn email_shapes() {
        assert!(is_plausible_email("a@b.co"));
        assert!(!is_plausible_email("a@b"));
        assert!(!is_plausible_email("@b.co"));
        assert!(!is_plausible_email("a b@c.co"));
        assert!(!is_plausible_email("a@b@c.co"));
    }
}
