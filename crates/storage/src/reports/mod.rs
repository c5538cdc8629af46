//! The partnership's reports: aggregate figures only, read from `report_facts` and the
//! onward, case and MARAC records, never a person. Pages and the statistics API suppress small
//! numbers in what these return before anyone sees them.

pub mod counts;
pub mod facts;
pub mod marac;
pub mod schedule;
pub mod services;
pub mod summary;

use chrono::NaiveDate;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;

/// Which referrals a report counts, besides the period: one area, one source, one crime
/// category, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A community safety area's GSS code.
    pub area: Option<String>,
    pub source: Option<String>,
    pub crime: Option<String>,
}

impl Filter {
    /// Whether it counts every referral.
    pub fn is_empty(&self) -> bool {
        self.area.is_none() && self.source.is_none() && self.crime.is_none()
    }
}

/// A report query's WHERE clause over `report_facts`, with its parameters in order.
pub(crate) struct Where {
    pub(crate) sql: String,
    binds: Vec<String>,
}

impl Where {
    /// The facts (under `alias`) received in the period, if one, matching the filter.
    pub(crate) fn facts(
        alias: &str,
        dates: Option<(NaiveDate, NaiveDate)>,
        filter: &Filter,
    ) -> Where {
        let mut w = Where {
            sql: "1 = 1".into(),
            binds: Vec::new(),
        };
        if let Some((from, to)) = dates {
            w.push(&format!("{alias}.received_on >= "), from.to_string());
            w.push(&format!("{alias}.received_on <= "), to.to_string());
        }
        if let Some(a) = &filter.area {
            w.push(&format!("{alias}.area = "), a.clone());
        }
        if let Some(s) = &filter.source {
            w.push(&format!("{alias}.source = "), s.clone());
        }
        if let Some(c) = &filter.crime {
            w.push(&format!("{alias}.crime_category = "), c.clone());
        }
        w
    }

    /// Adds `AND {condition}$n`, binding `value` as the next parameter.
    pub(crate) fn push(&mut self, condition: &str, value: String) {
        self.binds.push(value);
        self.sql
            .push_str(&format!(" AND {condition}${}", self.binds.len()));
    }

    /// How many parameters it binds, so a query can number its own after them.
    pub(crate) fn binds_len(&self) -> usize {
        self.binds.len()
    }

    pub(crate) fn bind_all<'q, O>(
        &'q self,
        mut q: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
        for b in &self.binds {
            q = q.bind(b);
        }
        q
    }
}
