//! Putting what people type into one form before comparing: names folded to plain lower-case
//! letters, postcodes to their parts, telephone numbers to their digits.

use crate::postcode::Postcode;
use unicode_normalization::UnicodeNormalization;

/// A name as compared: lower-case letters a–z only (accents dropped, so "Zoë" is "zoe";
/// apostrophes dropped, so "O'Brien" is "obrien"), and its parts where it had spaces or
/// hyphens ("Smith-Jones" is "smithjones", in parts "smith" and "jones").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldedName {
    pub whole: String,
    pub parts: Vec<String>,
}

/// Folds one name.
pub fn fold_name(text: &str) -> FoldedName {
    let mut parts = Vec::new();
    let mut current = String::new();
    for c in text.nfkd() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() {
            current.push(c);
        } else if let Some(plain) = plain_letters(c) {
            current.push_str(plain);
        } else if (c.is_whitespace() || c == '-' || c == '.' || c == ',' || c == '/')
            && !current.is_empty()
        {
            parts.push(std::mem::take(&mut current));
        }
        // Anything else (an apostrophe, a combining accent, a digit) is dropped.
    }
    if !current.is_empty() {
        parts.push(current);
    }
    FoldedName {
        whole: parts.concat(),
        parts,
    }
}

/// Letters that no decomposition makes plain, written as English writes them.
fn plain_letters(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' => "l",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Plain lower-case words and numbers, for addresses and e-mail addresses.
pub fn fold_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '@' || c == '.' || c == '_' || c == '+' {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else if c.is_whitespace() || c == ',' || c == '-' || c == '/' {
            space = true;
        }
    }
    out
}

/// The digits of a telephone number, the last ten (so "+44 7700 900123" and "07700 900123"
/// agree).
pub fn phone_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let skip = digits.len().saturating_sub(10);
    digits[skip..].to_owned()
}

/// A postcode and its coarser parts. A UK postcode ("ST16 2DH") has a sector ("ST16 2") and a
/// district ("ST16"); anything else (a postcode from another country, or one mistyped) is
/// kept whole with no parts, and compares only exactly or by a single slip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostcodeParts {
    pub whole: String,
    pub sector: Option<String>,
    pub district: Option<String>,
}

pub fn postcode_parts(text: &str) -> PostcodeParts {
    match Postcode::parse(text) {
        Some(p) => {
            let whole = p.as_str().to_owned();
            let district = p.outward().to_owned();
            let sector = whole[..whole.len() - 2].to_owned();
            PostcodeParts {
                whole,
                sector: Some(sector),
                district: Some(district),
            }
        }
        None => PostcodeParts {
            whole: text
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            sector: None,
            district: None,
        },
    }
}

/// Whether two texts differ by at most one slip: one character added, dropped, changed, or two
/// neighbours swapped.
pub fn one_slip(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    // Skip what they share at each end; what is left must be one slip.
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[start..], &b[start..]);
    let end = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (
        &a[..a.len() - end.min(a.len())],
        &b[..b.len() - end.min(b.len())],
    );
    match (a.len(), b.len()) {
        // One added or dropped, or one changed.
        (0, 1) | (1, 0) | (1, 1) => true,
        // Two neighbours swapped.
        (2, 2) => a[0] == b[1] && a[1] == b[0],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_plain_letters_and_parts() {
        assert_eq!(fold_name("Zoë").whole, "zoe");
        assert_eq!(fold_name("O'Brien").whole, "obrien");
        assert_eq!(fold_name("  ŁUCJA ").whole, "lucja");
        let double = fold_name("Smith-Jones");
        assert_eq!(double.whole, "smithjones");
        assert_eq!(double.parts, vec!["smith", "jones"]);
        assert_eq!(fold_name("").parts, Vec::<String>::new());
    }

    #[test]
    fn postcodes_have_sector_and_district() {
        let p = postcode_parts("st162dh");
        assert_eq!(p.whole, "ST16 2DH");
        assert_eq!(p.sector.as_deref(), Some("ST16 2"));
        assert_eq!(p.district.as_deref(), Some("ST16"));
        let other = postcode_parts("2615");
        assert_eq!(other.whole, "2615");
        assert_eq!(other.sector, None);
    }

    #[test]
    fn phones_keep_their_last_ten_digits() {
        assert_eq!(phone_digits("+44 7700 900123"), "7700900123");
        assert_eq!(phone_digits("07700 900123"), "7700900123");
        assert_eq!(phone_digits(""), "");
    }

    #[test]
    fn a_slip_is_one_edit_or_one_swap() {
        assert!(one_slip("1234", "1243"));
        assert!(one_slip("1234", "124"));
        assert!(one_slip("1234", "1235"));
        assert!(!one_slip("1234", "2143"));
        assert!(!one_slip("1234", "12"));
        assert!(one_slip("aab", "ab"));
        assert!(one_slip("", "a"));
        assert!(!one_slip("abcd", "badc"));
    }

    proptest::proptest! {
        /// One slip exactly when the Damerau–Levenshtein distance is at most one.
        #[test]
        fn a_slip_agrees_with_the_edit_distance(a in "[abc]{0,6}", b in "[abc]{0,6}") {
            proptest::prop_assert_eq!(one_slip(&a, &b), strsim::osa_distance(&a, &b) <= 1);
        }
    }
}
