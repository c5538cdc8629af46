//! Submitted forms: repeated fields (checkboxes) kept, and the CSRF token checked before a
//! handler sees anything. Every form is read here ([`read_form`]): it must say it is a web form
//! in UTF-8, be no larger than Harbour's largest form can be, and be UTF-8 throughout.

use crate::error::AppError;
use axum::extract::{FromRequest, Request};

use harbour_domain::validation::composed;
use url::form_urlencoded;

/// The fields of a submitted form, in order, repeated names kept.
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

/// A form body that is not text: a name or value decodes to bytes that are not UTF-8.
#[derive(Debug, PartialEq, Eq)]
pub struct NotUtf8;

impl FormData {
    /// The fields of an `application/x-www-form-urlencoded` body, each in Unicode's composed
    /// form (NFC), so "é" typed or pasted either way is stored, compared and found the same.
    /// Refused if any name or value is not UTF-8, rather than silently replacing what cannot be
    /// read (which would store something the person did not write).
    pub fn parse(body: &[u8]) -> Result<FormData, NotUtf8> {
        let mut fields = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
                // Either the person wrote U+FFFD, or the decoder put it there. Decode again
                // strictly to tell which.
                if !strictly_utf8(body) {
                    return Err(NotUtf8);
                }
            }
            fields.push((composed(&name), composed(&value)));
        }
        Ok(FormData(fields))
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

    /// The fields whose names start with `prefix`, by the rest of the name (the first of each).
    pub fn with_prefix(&self, prefix: &str) -> std::collections::BTreeMap<String, String> {
        let mut found = std::collections::BTreeMap::new();
        for (k, v) in &self.0 {
            if let Some(rest) = k.strip_prefix(prefix) {
                found.entry(rest.to_owned()).or_insert_with(|| v.clone());
            }
        }
        found
    }

    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The largest form Harbour accepts. Its largest forms (a referral, a directory entry) hold
/// about 20,000 characters with every field at its limit; at 12 bytes a character (four UTF-8
/// bytes, each percent-encoded) that is 240 KB. Within this, a field over its own limit gets its
/// own message on the page, with the rest of the form kept.
pub const MAX_FORM_BYTES: usize = 512 * 1024;

/// Whether the request says it is a web form in UTF-8 (`application/x-www-form-urlencoded`,
/// with no charset or UTF-8's), as browsers send Harbour's forms.
fn is_web_form(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// Reads a posted form: 415 if it is not a web form, 400 if it is larger than any of Harbour's
/// forms can be or is not UTF-8.
pub async fn read_form(req: Request) -> Result<FormData, AppError> {
    if !is_web_form(req.headers()) {
        return Err(AppError::UnsupportedMediaType);
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|_| AppError::BadRequest("The form was larger than any of Harbour's forms can be, so it was not read. Nothing was saved. Go back and shorten what you pasted.".into()))?;
    FormData::parse(&body).map_err(|_| {
        AppError::BadRequest("Part of the form could not be read as text (it was not UTF-8). Nothing was saved. Go back, check anything you pasted, and send the form again.".into())
    })
}

/// A posted form, read by [`read_form`], for the public forms that carry their own token.
pub struct WebForm(pub FormData);

impl<S: Send + Sync> FromRequest<S> for WebForm {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, AppError> {
        Ok(WebForm(read_form(req).await?))
    }
}

/// Whether every name and value of the body percent-decodes to UTF-8.
fn strictly_utf8(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        let plus_as_space: Vec<u8> = pair
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
        std::str::from_utf8(&decoded).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_utf8_and_keeps_a_typed_replacement_character() {
        assert_eq!(FormData::parse(b"name=J%FFrey").unwrap_err(), NotUtf8);
        assert_eq!(FormData::parse(b"na%C3me=x").unwrap_err(), NotUtf8);
        let f = FormData::parse("name=%EF%BF%BD".as_bytes()).unwrap();
        assert_eq!(f.get("name"), "\u{FFFD}");
    }

    #[test]
    fn values_are_composed() {
        // "e" and a combining acute accent, as some keyboards and PDFs give it.
        let f = FormData::parse(b"name=Jos%65%CC%81").unwrap();
        assert_eq!(f.get("name"), "Jos\u{e9}");
    }

    #[test]
    fn keeps_repeated_fields() {
        let f = FormData::parse(b"roles=a&roles=b&name=J+Smith&x=%26").unwrap();
        assert_eq!(f.get_all("roles"), vec!["a", "b"]);
        assert_eq!(f.get("name"), "J Smith");
        assert_eq!(f.get("x"), "&");
        assert_eq!(f.get("missing"), "");
    }
}
