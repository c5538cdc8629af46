//! The report pack: each section's tables and charts for one period, filter and comparison,
//! built from the store's counts with every published figure suppressed. The page, the CSV,
//! the spreadsheet and the statistics API all show what this builds.

mod coverage;
mod gateway;
mod marac;
mod referrals;
mod repeats;
mod services;
mod unusual;

pub use coverage::coverage;
pub use gateway::funnel;
pub use marac::marac;
pub use referrals::referrals;
pub use repeats::repeats;
pub use services::{onward, outcomes};
pub use unusual::{ChartSpec, add_months, months};

use super::table::Table;
use harbour_domain::area::Area;
use harbour_domain::stats::period::Period;
use harbour_domain::stats::rate::Confidence;
use harbour_storage::reports::Filter;

/// What a pack is for: the period, what it is compared with, which referrals.
#[derive(Debug, Clone)]
pub struct Choice {
    pub period: Period,
    pub comparison: Period,
    pub filter: Filter,
    pub confidence: Confidence,
    pub threshold: u64,
}

/// A section of the pack.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: String,
    /// Server-drawn SVG, each described in words and tabulated below.
    pub charts: Vec<String>,
    pub tables: Vec<Table>,
    /// Said instead when there is nothing recorded yet to count.
    pub empty: Option<String>,
}

/// The nine community safety areas, and the partnership's population.
pub fn community_safety_areas(all: &[Area]) -> Vec<Area> {
    let mut areas: Vec<Area> = all
        .iter()
        .filter(|a| a.kind == "district" || a.kind == "unitary")
        .cloned()
        .collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name));
    areas
}

fn area_name(areas: &[Area], code: Option<&str>) -> String {
    match code {
        Some(c) => areas
            .iter()
            .find(|a| a.gss_code == c)
            .map_or_else(|| "Another area".to_owned(), |a| a.name.clone()),
        None => "Area not known".to_owned(),
    }
}

fn count_of(counts: &[(Option<String>, u64)], key: Option<&str>) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| k.as_deref() == key)
        .map(|(_, n)| *n)
        .sum()
}
