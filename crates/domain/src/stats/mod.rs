//! The statistics the partnership's reports use, as analysts compute them
//! (`statistics.md`): rates with confidence intervals and the comparison of areas
//! ([`rate`]), control charts and run rules for unusual months ([`control`]), disclosure
//! control of published figures ([`suppress`]), and the periods reports cover ([`period`]).

pub mod breakdown;
pub mod control;
pub mod facts;
pub mod period;
pub mod rate;
pub mod suppress;
