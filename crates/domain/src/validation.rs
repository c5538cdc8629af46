//! Field errors: what is wrong with which field, in words a person can act on.
//! Pages show them next to the field and in the error summary; the API returns them
//! in `application/problem+json`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as submitted (form field or JSON property).
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        // The first problem with a field is the one to fix first; one message per field.
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when no errors were collected.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trims the value; records `missing` when nothing is left and `too_long` past `max` characters.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    missing: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, missing);
    } else if value.chars().count() > max {
        errors.add(field, format!("Must be {max} characters or fewer"));
    } else if value.chars().any(char::is_control) {
        errors.add(field, "Must not contain control characters");
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_message_per_field() {
        let mut e = FieldErrors::new();
        e.add("name", "Enter a name");
        e.add("name", "Too long");
        e.add("kind", "Select a kind");
        assert_eq!(e.get("name"), Some("Enter a name"));
        assert_eq!(e.iter().count(), 2);
        assert!(e.into_result(()).is_err());
    }

    #[test]
    fn required_text_trims_and_checks_length() {
        let mut e = FieldErrors::new();
        assert_eq!(required_text(&mut e, "a", "  x  ", "Enter a", 5), "x");
        assert!(e.is_empty());
        required_text(&mut e, "b", "   ", "Enter b", 5);
        required_text(&mut e, "c", "123456", "Enter c", 5);
        assert_eq!(e.get("b"), Some("Enter b"));
        assert_eq!(e.get("c"), Some("Must be 5 characters or fewer"));
    }
}
