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
    } else if value.chars().any(is_direction_control) {
        errors.add(
            field,
            "Must not contain characters that change the direction text is shown in",
        );
    }
    value.to_owned()
}

/// Text in Unicode's composed form (NFC), as Harbour stores all text a person gives: "é" typed
/// as one character or as "e" and an accent (as some keyboards and PDFs give it) is then stored,
/// compared and found the same. Every way in applies it: forms, API bodies, bulk files.
pub fn composed(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Characters that change the direction text is shown in: the bidirectional embeddings and
/// overrides (U+202A to U+202E) and isolates (U+2066 to U+2069). In a name they make it read
/// reversed or out of order in a list, so what staff see is not what was stored.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The one rule for text a person gives, in any field of any form, API body or bulk file: no
/// characters that change the direction text is shown in, and no control characters, except
/// line breaks and tabs where a field may hold several lines. The problem, to follow the field's
/// name.
pub fn text_problem(value: &str, multi_line: bool) -> Option<&'static str> {
    if value.chars().any(is_direction_control) {
        return Some("must not contain characters that change the direction text is shown in");
    }
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Some(if multi_line {
            "must not contain control characters"
        } else {
            "must be on one line, with no control characters"
        });
    }
    None
}

/// Checks every string in `input`, as serialised, against [`text_problem`], each at its path
/// (`person/given_name`, `perpetrators/0/name`), where the input's other problems are named.
/// `multi_line` lists the paths that may hold several lines, and `labels` what to call a field
/// in the message; in both, `*` stands for any position in a list. Other fields are called by
/// their own name ("Given name").
pub fn check_text<T: serde::Serialize>(
    input: &T,
    multi_line: &[&str],
    labels: &[(&str, &str)],
    errors: &mut FieldErrors,
) {
    let Ok(value) = serde_json::to_value(input) else {
        return;
    };
    let mut path = Vec::new();
    walk(&value, &mut path, &mut |path: &[String], text: &str| {
        let pattern: Vec<&str> = path
            .iter()
            .map(|p| {
                if p.parse::<usize>().is_ok() {
                    "*"
                } else {
                    p.as_str()
                }
            })
            .collect();
        let pattern = pattern.join("/");
        let many = multi_line.contains(&pattern.as_str());
        if let Some(problem) = text_problem(text, many) {
            let label = labels
                .iter()
                .find(|(p, _)| *p == pattern)
                .map_or_else(|| field_name(path), |(_, l)| (*l).to_owned());
            errors.add(&path.join("/"), format!("{label} {problem}"));
        }
    });
}

/// [`text_problem`] for named fields, each given as (path, label, value, whether it may hold
/// several lines).
pub fn check_fields(fields: &[(&str, &str, &str, bool)], errors: &mut FieldErrors) {
    for (path, label, value, multi_line) in fields {
        if let Some(problem) = text_problem(value, *multi_line) {
            errors.add(path, format!("{label} {problem}"));
        }
    }
}

fn walk(value: &serde_json::Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &str)) {
    match value {
        serde_json::Value::String(s) => f(path, s),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(item, path, f);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                walk(v, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A field's own name as a person reads it: the last name in its path ("Given name").
fn field_name(path: &[String]) -> String {
    let name = path
        .iter()
        .rev()
        .find(|p| p.parse::<usize>().is_err())
        .map_or("This", String::as_str)
        .replace('_', " ");
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_and_control_characters_are_refused_by_field() {
        let input = serde_json::json!({
            "person": { "given_name": "Alys\u{202E}dlorah", "address": "4 Quiet Lane\r\nStafford" },
            "notes": "Line one\n\tLine two",
            "perpetrators": [ { "name": "Rhys\u{1b}[31m" } ],
            "police_reference": "SP/26\n/1"
        });
        let mut e = FieldErrors::new();
        check_text(
            &input,
            &["notes", "person/address"],
            &[("perpetrators/*/name", "The perpetrator's name")],
            &mut e,
        );
        assert_eq!(
            e.get("person/given_name"),
            Some(
                "Given name must not contain characters that change the direction text is shown in"
            )
        );
        assert_eq!(
            e.get("person/address"),
            None,
            "line breaks where lines are allowed"
        );
        assert_eq!(e.get("notes"), None);
        assert_eq!(
            e.get("perpetrators/0/name"),
            Some("The perpetrator's name must be on one line, with no control characters")
        );
        assert_eq!(
            e.get("police_reference"),
            Some("Police reference must be on one line, with no control characters")
        );
        assert_eq!(
            text_problem("a\u{0}b", true),
            Some("must not contain control characters")
        );
        assert_eq!(
            text_problem("Zoë Wójcik \u{2068}ok", false),
            Some("must not contain characters that change the direction text is shown in")
        );
        assert_eq!(text_problem("Zoë Wójcik, 東京", false), None);
    }

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
