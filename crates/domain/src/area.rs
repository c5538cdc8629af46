//! Areas: the places services cover and figures are counted by, identified by ONS GSS codes.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub gss_code: String,
    pub name: String,
    /// county, district, unitary, ward …
    pub kind: String,
    pub parent_gss_code: Option<String>,
    pub population: Option<i64>,
}

/// A GSS code is a letter for the country, two digits for the entity type and six for the instance.
pub fn is_gss_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && matches!(b[0], b'E' | b'W' | b'S' | b'N')
        && b[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_gss_codes() {
        assert!(is_gss_code("E07000197"));
        assert!(is_gss_code("W06000015"));
        assert!(!is_gss_code("E0700019"));
        assert!(!is_gss_code("X07000197"));
        assert!(!is_gss_code("E07OOO197"));
    }
}
