//! The Open Referral UK 3.0 schemas (vendored from OpenReferralUK/uk-profile, CC BY-SA 4.0),
//! for checking every response of the open API.
//! Exactly as published: Harbour's open feed validates with no amendment.

use serde_json::{Value, json};

const SERVICE: &str = include_str!("../vendor/oruk-3.0/schema/compiled/service.json");
const SERVICE_LIST: &str = include_str!("../vendor/oruk-3.0/schema/compiled/service_list.json");
const SAL: &str = include_str!("../vendor/oruk-3.0/schema/compiled/service_at_location.json");
const SAL_LIST: &str =
    include_str!("../vendor/oruk-3.0/schema/compiled/service_at_location_list.json");
const TAXONOMY: &str = include_str!("../vendor/oruk-3.0/schema/taxonomy.json");
const TERM: &str = include_str!("../vendor/oruk-3.0/schema/taxonomy_term.json");

/// Which record a response holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Service,
    ServiceListItem,
    ServiceAtLocation,
    ServiceAtLocationListItem,
    Taxonomy,
    TaxonomyTerm,
}

pub struct Schemas;

/// The uncompiled taxonomy schema refers to the term schema by file name: put it in place.
fn inline_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some("taxonomy_term.json") {
                *v = serde_json::from_str(TERM).expect("vendored schema is JSON");
                return;
            }
            map.values_mut().for_each(inline_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(inline_refs),
        _ => {}
    }
}

impl Schemas {
    /// The schemas exactly as published.
    pub fn as_published() -> Schemas {
        Schemas
    }

    fn schema(&self, shape: Shape) -> Value {
        let text = match shape {
            Shape::Service => SERVICE,
            Shape::ServiceListItem => SERVICE_LIST,
            Shape::ServiceAtLocation => SAL,
            Shape::ServiceAtLocationListItem => SAL_LIST,
            Shape::Taxonomy => TAXONOMY,
            Shape::TaxonomyTerm => TERM,
        };
        let mut v: Value = serde_json::from_str(text).expect("vendored schema is JSON");
        inline_refs(&mut v);
        v
    }

    /// Every way `value` breaks the schema for `shape`, each with where.
    pub fn errors(&self, shape: Shape, value: &Value) -> Vec<String> {
        let schema = self.schema(shape);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("vendored schema compiles");
        validator
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect()
    }

    /// Every way a list response breaks the standard's `Page` object or its items' schema.
    pub fn page_errors(&self, item: Shape, value: &Value) -> Vec<String> {
        let page = json!({
            "type": "object",
            "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
            "properties": {
                "total_items": { "type": "integer" },
                "total_pages": { "type": "integer" },
                "page_number": { "type": "integer" },
                "size": { "type": "integer" },
                "first_page": { "type": "boolean" },
                "last_page": { "type": "boolean" },
                "empty": { "type": "boolean" },
                "contents": { "type": "array" }
            }
        });
        let validator = jsonschema::validator_for(&page).expect("page schema compiles");
        let mut errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect();
        for (i, item_value) in value["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            errors.extend(
                self.errors(item, item_value)
                    .into_iter()
                    .map(|e| format!("/contents/{i}{e}")),
            );
        }
        errors
    }
}
