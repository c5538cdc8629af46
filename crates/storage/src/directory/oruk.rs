//! Open Referral UK (HSDS-UK 3.0) records as JSON: what the open API serves and what
//! `harbour directory import`/`export` read and write. Empty optional fields are omitted,
//! as the UK profile asks; on reading, missing fields are empty.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

fn no(v: &bool) -> bool {
    !*v
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    pub id: String,
    pub organization_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub url: Option<String>,
    pub email: Option<String>,
    pub status: String,
    pub fees: Option<String>,
    pub accreditations: Option<String>,
    pub minimum_age: Option<f64>,
    pub maximum_age: Option<f64>,
    pub assured_date: Option<String>,
    pub assurer_email: Option<String>,
    pub alert: Option<String>,
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<Schedule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_areas: Vec<ServiceArea>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_at_locations: Vec<ServiceAtLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<Language>,
    pub organization: Option<Organization>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<Funding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cost_options: Vec<CostOption>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Harbour's own fields, in partner exports only.
    #[serde(rename = "x_harbour", skip_serializing_if = "Option::is_none")]
    pub harbour: Option<HarbourService>,
}

impl Service {
    /// The service's terms from one of Harbour's own taxonomies (its needs, tiers or crimes).
    pub fn harbour_terms(
        &self,
        t: harbour_domain::directory::HarbourTaxonomy,
    ) -> impl Iterator<Item = &TaxonomyTerm> {
        let tid = t.id().to_string();
        self.attributes
            .iter()
            .filter_map(|a| a.taxonomy_term.as_ref())
            .filter(move |term| term.taxonomy_id.as_deref() == Some(tid.as_str()))
    }

    /// The codes of those terms.
    pub fn harbour_codes(&self, t: harbour_domain::directory::HarbourTaxonomy) -> Vec<String> {
        self.harbour_terms(t)
            .filter_map(|term| term.code.clone())
            .collect()
    }
}

/// What Harbour holds about a service beyond the standard: who it is for, how to refer,
/// capacity, when it was last checked. Needs, tiers and crimes travel as attributes.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarbourService {
    pub gender: Option<String>,
    pub referral_route: Option<String>,
    pub referral_email: Option<String>,
    pub referral_phone: Option<String>,
    pub capacity_unit: Option<String>,
    pub capacity_free: Option<u32>,
    pub capacity_total: Option<u32>,
    pub capacity_updated_at: Option<String>,
    pub last_checked_on: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub website: Option<String>,
    pub logo: Option<String>,
    pub uri: Option<String>,
    pub parent_organization_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_identifiers: Vec<OrganizationIdentifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// The Harbour agency that keeps the entries current, by name (partner exports only).
    #[serde(rename = "x_harbour_agency", skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganizationIdentifier {
    pub id: String,
    pub identifier_scheme: Option<String>,
    pub identifier_type: String,
    pub identifier: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Phone {
    pub id: String,
    pub number: String,
    pub extension: Option<f64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<Language>,
    /// Harbour's flag on import and export for partners; never set in the open feed,
    /// where confidential phones are left out.
    #[serde(rename = "x_harbour_confidential", skip_serializing_if = "no")]
    pub confidential: bool,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    pub id: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub dtstart: Option<String>,
    pub timezone: Option<f64>,
    pub until: Option<String>,
    pub count: Option<f64>,
    pub wkst: Option<String>,
    pub freq: Option<String>,
    pub interval: Option<f64>,
    pub byday: Option<String>,
    pub byweekno: Option<String>,
    pub bymonthday: Option<String>,
    pub byyearday: Option<String>,
    pub description: Option<String>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub schedule_link: Option<String>,
    pub attending_type: Option<String>,
    pub notes: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceArea {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub extent: Option<String>,
    pub extent_type: Option<String>,
    pub uri: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceAtLocation {
    pub id: String,
    pub service_id: Option<String>,
    pub location_id: Option<String>,
    pub description: Option<String>,
    pub location: Option<Location>,
    /// The service, on `/service_at_locations` (scalars in lists, nested in full).
    pub service: Option<Box<Service>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<Schedule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    pub id: String,
    pub location_type: String,
    pub url: Option<String>,
    pub organization_id: Option<String>,
    pub name: Option<String>,
    pub alternate_name: Option<String>,
    pub description: Option<String>,
    pub transportation: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub external_identifier: Option<String>,
    pub external_identifier_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accessibility: Vec<Accessibility>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// Harbour's flag on import and export for partners (never in the open feed).
    #[serde(rename = "x_harbour_confidential", skip_serializing_if = "no")]
    pub confidential: bool,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    pub id: String,
    pub attention: Option<String>,
    pub address_1: String,
    pub address_2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub state_province: String,
    pub postal_code: String,
    pub country: String,
    pub address_type: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Accessibility {
    pub id: String,
    pub description: Option<String>,
    pub details: Option<String>,
    pub url: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Language {
    pub id: String,
    pub name: Option<String>,
    pub code: Option<String>,
    pub note: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Funding {
    pub id: String,
    pub source: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CostOption {
    pub id: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub option: Option<String>,
    pub currency: Option<String>,
    pub amount: Option<f64>,
    pub amount_description: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    #[serde(rename = "x_harbour_confidential", skip_serializing_if = "no")]
    pub confidential: bool,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Attribute {
    pub id: String,
    pub link_id: Option<String>,
    pub taxonomy_term_id: Option<String>,
    pub link_type: Option<String>,
    pub link_entity: Option<String>,
    pub value: Option<String>,
    pub taxonomy_term: Option<TaxonomyTerm>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Taxonomy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub uri: Option<String>,
    pub version: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaxonomyTerm {
    pub id: String,
    pub code: Option<String>,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub taxonomy: Option<String>,
    pub taxonomy_id: Option<String>,
    pub language: Option<String>,
    pub term_uri: Option<String>,
    /// On `/taxonomy_terms/{id}`: the taxonomy it belongs to.
    pub taxonomy_detail: Option<Taxonomy>,
}

/// A page of results, as the standard's `Page` object.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub total_items: u64,
    pub total_pages: u64,
    pub page_number: u64,
    pub size: u64,
    pub first_page: bool,
    pub last_page: bool,
    pub empty: bool,
    pub contents: Vec<T>,
}

impl<T> Page<T> {
    /// `page_number` counts from 1; `per_page` is at least 1.
    pub fn new(contents: Vec<T>, total_items: u64, page_number: u64, per_page: u64) -> Page<T> {
        let total_pages = total_items.div_ceil(per_page.max(1));
        Page {
            total_items,
            total_pages,
            page_number,
            size: contents.len() as u64,
            first_page: page_number <= 1,
            last_page: page_number >= total_pages,
            empty: contents.is_empty(),
            contents,
        }
    }
}

/// A whole directory as Harbour exports and imports it: every service fully nested (the
/// standard's service package), with the taxonomies their terms come from.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Export {
    pub version: String,
    pub services: Vec<Service>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<Taxonomy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taxonomy_terms: Vec<TaxonomyTerm>,
}
