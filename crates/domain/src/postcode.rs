//! UK postcodes: recognising one however it was typed, and writing it the one standard way.

/// A postcode in its standard form: upper case, one space before the inward code ("ST16 2DH").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Postcode(String);

impl Postcode {
    /// Reads a postcode typed in any case, with any spacing. `None` if it is not the shape of
    /// a UK postcode (outward code of 2–4 characters starting with a letter, then a digit and
    /// two letters). GIR 0AA, the one historic exception, is accepted.
    pub fn parse(text: &str) -> Option<Postcode> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact == "GIR0AA" {
            return Some(Postcode("GIR 0AA".to_owned()));
        }
        let bytes = compact.as_bytes();
        if !(5..=7).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
        };
        let outward_ok = {
            let b = outward.as_bytes();
            b[0].is_ascii_alphabetic()
                && b.iter().any(u8::is_ascii_digit)
                && (b.len() < 2 || b[1].is_ascii_alphanumeric())
        };
        (inward_ok && outward_ok).then(|| Postcode(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code ("ST16"), for figures that must not identify a household.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }
}

impl std::fmt::Display for Postcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_postcodes_the_standard_way() {
        for (typed, standard) in [
            ("st16 2dh", "ST16 2DH"),
            ("ST162DH", "ST16 2DH"),
            ("  st5  1aa ", "ST5 1AA"),
            ("M1 1AE", "M1 1AE"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("w1a 0ax", "W1A 0AX"),
            ("gir0aa", "GIR 0AA"),
        ] {
            assert_eq!(
                Postcode::parse(typed).unwrap().as_str(),
                standard,
                "{typed}"
            );
        }
        assert_eq!(Postcode::parse("ST16 2DH").unwrap().outward(), "ST16");
    }

    #[test]
    fn refuses_what_is_not_a_postcode() {
        for bad in [
            "", "ST16", "12345", "ST16 2D", "ST16 22H", "ST16-2DH", "1ST 2DH", "STAFFS",
        ] {
            assert!(Postcode::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_the_standard_form_gives_it_back(
            area in "[A-Z]{1,2}", district in "[0-9]{1,2}", sector in "[0-9]", unit in "[A-Z]{2}"
        ) {
            let standard = format!("{area}{district} {sector}{unit}");
            let parsed = Postcode::parse(&standard.to_lowercase().replace(' ', "")).unwrap();
            prop_assert_eq!(parsed.as_str(), standard.as_str());
        }
    }
}
