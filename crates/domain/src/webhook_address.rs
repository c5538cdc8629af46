//! Where an agency's webhooks may be sent. Harbour posts to an address an administrator typed,
//! from inside the partnership's network, so the address must not be a way to reach what only
//! that network can: the cloud's metadata service (169.254.169.254), private ranges, this
//! machine. The rule runs when the address is saved and again, on every address the name
//! resolves to, when a webhook is sent (a name can be pointed anywhere after it was saved).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether a webhook may be sent to `ip`. Loopback only when `allow_loopback` (a system on the
/// same host, or tests).
pub fn ip_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_loopback),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_allowed(v4, allow_loopback),
            None => v6_allowed(v6, allow_loopback),
        },
    }
}

fn v4_allowed(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // "This network", 0.0.0.0/8, and reserved, 240.0.0.0/4.
        || a == 0
        || a >= 240)
}

fn v6_allowed(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7, and link-local, fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// What is wrong with `raw` as a webhook address, if anything, in words for the administrator.
pub fn problem(raw: &str, allow_loopback: bool) -> Option<&'static str> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("Enter one address, with no spaces or line breaks");
    }
    let Ok(url) = url::Url::parse(raw) else {
        return Some("Enter the full address, like https://cases.example.org/harbour");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "Do not put a user name or password in the address; Harbour signs what it sends instead",
        );
    }
    let loopback_name = match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            if !ip_allowed(IpAddr::V4(ip), allow_loopback) {
                return Some(NOT_PUBLIC);
            }
            ip.is_loopback()
        }
        Some(url::Host::Ipv6(ip)) => {
            if !ip_allowed(IpAddr::V6(ip), allow_loopback) {
                return Some(NOT_PUBLIC);
            }
            ip.is_loopback()
        }
        None => return Some("Enter the full address, like https://cases.example.org/harbour"),
    };
    if loopback_name && !allow_loopback {
        return Some(NOT_PUBLIC);
    }
    match url.scheme() {
        "https" => None,
        "http" if loopback_name => None,
        _ => Some("The address must start with https://"),
    }
}

const NOT_PUBLIC: &str = "Enter an address on the internet: Harbour does not send to private, link-local or loopback addresses";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_link_local_and_loopback_addresses_are_refused() {
        for bad in [
            "https://169.254.169.254/latest/meta-data",
            "https://10.1.2.3/in",
            "https://172.16.0.9/in",
            "https://192.168.1.1/in",
            "https://100.64.0.1/in",
            "https://0.0.0.0/in",
            "https://[::1]/in",
            "https://[fe80::1]/in",
            "https://[fd00::1]/in",
            "https://[::ffff:169.254.169.254]/in",
            "http://127.0.0.1:8080/in",
            "https://localhost/in",
            "https://api.localhost/in",
        ] {
            assert!(problem(bad, false).is_some(), "{bad} accepted");
        }
        assert_eq!(
            problem("https://cases.example.org/in\r\nX-Evil: 1", false),
            Some("Enter one address, with no spaces or line breaks")
        );
        assert!(problem("https://user:pw@cases.example.org/in", false).is_some());
        assert!(problem("http://cases.example.org/in", false).is_some());
        assert_eq!(problem("https://cases.example.org/in", false), None);
        assert_eq!(
            problem("https://203.0.113.9/in", false),
            Some(NOT_PUBLIC),
            "documentation range"
        );
        assert_eq!(problem("https://8.8.8.8/in", false), None);
    }

    #[test]
    fn loopback_only_when_allowed() {
        assert_eq!(problem("http://127.0.0.1:8080/in", true), None);
        assert_eq!(problem("http://localhost:8080/in", true), None);
        assert!(problem("https://169.254.169.254/", true).is_some());
        assert!(ip_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(!ip_allowed("127.0.0.1".parse().unwrap(), false));
    }
}
