//! The partnership's reports: aggregate figures only, read from `report_facts` and the
//! onward, case and MARAC records, never a person.

pub mod facts;
