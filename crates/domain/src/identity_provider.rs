//! Single sign-on through an agency's own OpenID Connect identity provider: the rules for
//! its settings and for whom it may sign in. Harbour links a sign-in to a staff account by the
//! provider's verified e-mail address, only within the domains the agency names; roles stay
//! in Harbour.

use crate::validation::FieldErrors;

/// The agency's e-mail domains, as typed (commas, spaces or new lines between), in lower case.
pub fn parse_domains(text: &str) -> Vec<String> {
    let mut domains: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|d| d.trim().trim_start_matches('@').to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

fn looks_like_domain(d: &str) -> bool {
    d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Whether an issuer address may be used: HTTPS, or plain HTTP on this machine only (for
/// trying it out and for the tests).
pub fn issuer_allowed(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        _ => false,
    }
}

/// Checks the settings an administrator entered; `has_secret` says whether one is stored, so
/// a blank secret keeps it.
pub fn check(
    issuer: &str,
    client_id: &str,
    client_secret: &str,
    domains: &str,
    has_secret: bool,
) -> Result<Vec<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if issuer.trim().is_empty() {
        errors.add("issuer", "Enter the identity provider's issuer address");
    } else if !issuer_allowed(issuer.trim()) {
        errors.add(
            "issuer",
            "Enter the issuer address starting https://, for example https://login.microsoftonline.com/your-tenant-id/v2.0",
        );
    }
    if client_id.trim().is_empty() {
        errors.add(
            "client_id",
            "Enter the client ID the identity provider gave Harbour",
        );
    }
    if client_secret.trim().is_empty() && !has_secret {
        errors.add(
            "client_secret",
            "Enter the client secret the identity provider gave Harbour",
        );
    }
    let list = parse_domains(domains);
    if list.is_empty() {
        errors.add(
            "domains",
            "Enter the e-mail domains of the agency's staff, for example staffordshire.police.uk",
        );
    } else if let Some(bad) = list.iter().find(|d| !looks_like_domain(d)) {
        errors.add(
            "domains",
            format!(
                "\"{bad}\" is not an e-mail domain: enter domains like staffordshire.police.uk"
            ),
        );
    }
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(errors)
    }
}

/// The domain of an e-mail address, in lower case.
pub fn domain_of(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_however_typed() {
        assert_eq!(
            parse_domains("Police.uk, @staffs.police.uk\npolice.uk"),
            vec!["police.uk", "staffs.police.uk"]
        );
        assert_eq!(
            domain_of("Sam@Staffs.Police.UK").as_deref(),
            Some("staffs.police.uk")
        );
        assert_eq!(domain_of("nobody"), None);
    }

    #[test]
    fn settings_are_checked() {
        assert!(
            check(
                "https://login.example/t/v2.0",
                "id",
                "s",
                "a.example",
                false
            )
            .is_ok()
        );
        assert!(check("http://127.0.0.1:4000", "id", "", "a.example", true).is_ok());
        let e = check("http://idp.example", "", "", "not a domain", false).unwrap_err();
        for field in ["issuer", "client_id", "client_secret", "domains"] {
            assert!(e.get(field).is_some(), "{field}");
        }
    }
}
