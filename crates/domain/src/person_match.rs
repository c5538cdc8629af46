//! How a referral finds the person it is about among the people already stored.
//!
//! For now only an exact match links them: the same given and family names, ignoring case, and
//! the same date of birth. Recognising people despite misspellings, new surnames or a missing
//! date of birth is later work. Harbour works the key out itself rather than asking the database
//! to fold case, because databases fold it differently: SQLite's `lower()` only folds ASCII, and
//! PostgreSQL's follows the server's locale. Names such as Zoë or Łucja would otherwise match on
//! one and not the other.

use chrono::NaiveDate;

/// The key that links referrals to one person. Two people share it exactly when their names,
/// ignoring case, and their dates of birth are the same. The given name's length comes before
/// it, so no pair of names can read as another, whatever characters they hold.
pub fn match_key(given_name: &str, family_name: &str, date_of_birth: NaiveDate) -> String {
    let given = given_name.to_lowercase();
    let family = family_name.to_lowercase();
    format!("{date_of_birth} {}:{given} {family}", given.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn born() -> NaiveDate {
        NaiveDate::from_ymd_opt(1990, 3, 4).unwrap()
    }

    #[test]
    fn case_is_ignored_in_any_alphabet() {
        assert_eq!(
            match_key("ZOË", "O'BRIEN", born()),
            match_key("zoë", "o'brien", born())
        );
        assert_eq!(
            match_key("ŁUCJA", "WÓJCIK", born()),
            match_key("łucja", "wójcik", born())
        );
    }

    #[test]
    fn names_and_dates_are_told_apart() {
        assert_ne!(
            match_key("Anna Marie", "Cole", born()),
            match_key("Anna", "Marie Cole", born())
        );
        assert_ne!(
            match_key("Anna", "Cole", born()),
            match_key("Anna", "Cole", born().succ_opt().unwrap())
        );
        assert_ne!(
            match_key("Zoe", "Cole", born()),
            match_key("Zoë", "Cole", born())
        );
    }

    proptest! {
        /// Keys are equal exactly when the lowercased names and the dates are.
        #[test]
        fn keys_match_exactly_when_the_people_do(
            a in (".{0,12}", ".{0,12}", 0u32..40_000),
            b in (".{0,12}", ".{0,12}", 0u32..40_000),
            same_names in any::<bool>(),
        ) {
            let day = |n: u32| born() + chrono::Days::new(u64::from(n));
            let (ga, fa, da) = a;
            let (gb, fb, db) = if same_names { (ga.to_uppercase(), fa.clone(), b.2) } else { b };
            let same = ga.to_lowercase() == gb.to_lowercase()
                && fa.to_lowercase() == fb.to_lowercase()
                && da == db;
            prop_assert_eq!(match_key(&ga, &fa, day(da)) == match_key(&gb, &fb, day(db)), same);
        }
    }
}
