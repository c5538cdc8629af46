//! Bulk files of referrals, as a police records system exports them each night.
//!
//! The layout is in docs/BULK-IMPORT.md. Each row becomes the same input every other channel
//! uses, is checked by the same rules, and goes through the same intake writer; the file's
//! own `record_id` makes a second load of the same file create nothing.

use crate::error::{Result, StorageError};
use crate::intake::Submitted;
use crate::scoped::ScopedStore;
use harbour_domain::referral::{ChildInput, PerpetratorInput, PersonInput, ReferralInput};
use harbour_domain::safe_contact::{ChannelInput, SafeContactInput, SafeTimeInput};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The columns, in the order the documentation gives them. Only `record_id` and the
/// columns the rules require must have values; every column must be present.
pub const COLUMNS: [&str; 30] = [
    "record_id",
    "police_reference",
    "crime_category",
    "incident_date",
    "incident_area",
    "given_name",
    "family_name",
    "previous_names",
    "date_of_birth",
    "age",
    "gender",
    "address",
    "postcode",
    "area",
    "language",
    "interpreter_needed",
    "perpetrator_name",
    "perpetrator_relationship",
    "children_ages",
    "consent_to_referral",
    "consent_to_aggregate",
    "safe_channels",
    "safe_days",
    "safe_from",
    "safe_to",
    "code_word",
    "abuser_sees_phone",
    "abuser_sees_post",
    "only_through_referrer",
    "risk_level",
];

/// Where a rule's field path comes from in the file, for messages.
fn column_for(path: &str) -> String {
    let p = path.strip_prefix("person/").unwrap_or(path);
    match p {
        _ if p.starts_with("perpetrators/") => "perpetrator_relationship".into(),
        _ if p.starts_with("children/") => "children_ages".into(),
        _ if p.starts_with("safe_contact/channels") => "safe_channels".into(),
        _ if p.ends_with("/days") => "safe_days".into(),
        _ if p.ends_with("/from") => "safe_from".into(),
        _ if p.ends_with("/to") => "safe_to".into(),
        _ if p.starts_with("safe_contact/") => p.trim_start_matches("safe_contact/").into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LineOutcome {
    Created { reference: String },
    AlreadyImported { reference: String },
    Rejected { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineResult {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub record_id: String,
    #[serde(flatten)]
    pub outcome: LineOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub already_imported: usize,
    pub rejected: usize,
    pub lines: Vec<LineResult>,
}

fn yes(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "" => None,
        "y" | "yes" | "true" | "1" => Some(true),
        _ => Some(false),
    }
}

/// One row of the file as referral input, or why it cannot be read at all.
fn row_input(get: &dyn Fn(&str) -> String) -> std::result::Result<ReferralInput, String> {
    let age = get("age");
    let age = if age.is_empty() {
        None
    } else {
        Some(
            age.parse::<u32>()
                .map_err(|_| "age: must be a whole number".to_owned())?,
        )
    };
    let channels = get("safe_channels")
        .split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let (channel, value) = c.split_once(':').unwrap_or((c, ""));
            ChannelInput {
                channel: channel.trim().to_owned(),
                value: value.trim().to_owned(),
            }
        })
        .collect();
    let days: Vec<String> = get("safe_days")
        .split([';', ',', ' '])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let (from, to) = (get("safe_from"), get("safe_to"));
    let safe_times = if days.is_empty() && from.is_empty() && to.is_empty() {
        vec![]
    } else {
        vec![SafeTimeInput { days, from, to }]
    };
    let children = get("children_ages")
        .split([';', ','])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<u32>()
                .map(|age| ChildInput {
                    name: String::new(),
                    age: Some(age),
                })
                .map_err(|_| {
                    "children_ages: give ages as whole numbers separated by semicolons".to_owned()
                })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let relationship = get("perpetrator_relationship");
    let perpetrator_name = get("perpetrator_name");
    Ok(ReferralInput {
        source: "police".into(),
        crime_category: get("crime_category"),
        reported_to_police: Some(true),
        police_reference: get("police_reference"),
        incident_date: get("incident_date"),
        incident_area: get("incident_area"),
        person: PersonInput {
            given_name: get("given_name"),
            family_name: get("family_name"),
            previous_names: get("previous_names")
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            date_of_birth: get("date_of_birth"),
            age,
            gender: get("gender"),
            address: get("address"),
            postcode: get("postcode"),
            area: get("area"),
            language: get("language"),
            interpreter_needed: yes(&get("interpreter_needed")).unwrap_or(false),
            ..Default::default()
        },
        perpetrators: if relationship.is_empty() && perpetrator_name.is_empty() {
            vec![]
        } else {
            vec![PerpetratorInput {
                name: perpetrator_name,
                relationship,
                ..Default::default()
            }]
        },
        children,
        consent_to_referral: get("consent_to_referral"),
        consent_to_aggregate: yes(&get("consent_to_aggregate")),
        safe_contact: SafeContactInput {
            channels,
            safe_times,
            code_word: get("code_word"),
            abuser_sees_phone: yes(&get("abuser_sees_phone")).unwrap_or(false),
            abuser_sees_post: yes(&get("abuser_sees_post")).unwrap_or(false),
            only_through_referrer: yes(&get("only_through_referrer")).unwrap_or(false),
            do_not_contact: false,
        },
        risk_level: get("risk_level"),
        notes: String::new(),
    })
}

/// A row read from the file, ready to import or already refused.
enum Parsed {
    Ready(Box<ReferralInput>),
    Refused(String),
}

/// Reads the whole file. A missing column is an error for the file; a bad row is an error
/// for that row only.
fn parse(text: &str) -> Result<Vec<(usize, String, Parsed)>> {
    // Composed, as forms and API bodies are.
    let text = harbour_domain::validation::composed(text.trim_start_matches('\u{feff}'));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| StorageError::invalid("file", &format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(StorageError::invalid(
            "file",
            &format!(
                "line 1: the file has no column {}; see the bulk file layout",
                missing.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push((
                    line,
                    String::new(),
                    Parsed::Refused(format!("cannot be read: {e}")),
                ));
                continue;
            }
        };
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let record_id = get("record_id");
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let parsed = if record_id.is_empty() {
            Parsed::Refused("record_id: every row needs the records system's own id for it".into())
        } else {
            match row_input(&get) {
                Ok(input) => Parsed::Ready(Box::new(input)),
                Err(reason) => Parsed::Refused(reason),
            }
        };
        rows.push((line, record_id, parsed));
    }
    Ok(rows)
}

/// Imports a whole file for the actor's agency and reports on every line.
pub async fn import_referrals(store: Arc<ScopedStore>, text: &str) -> Result<ImportReport> {
    // Refuse early, before reading a line, if the actor may not import at all.
    if !store.may(harbour_domain::permission::Action::ImportReferrals) {
        return Err(StorageError::Denied(harbour_domain::permission::Denied {
            action: harbour_domain::permission::Action::ImportReferrals,
        }));
    }
    let rows = parse(text)?;
    let mut seen = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut report = ImportReport::default();
    for (line, record_id, parsed) in rows {
        if let Some(first) = seen
            .insert(record_id.clone(), line)
            .filter(|_| !record_id.is_empty())
        {
            report.lines.push(LineResult {
                line,
                record_id,
                outcome: LineOutcome::Rejected {
                    reason: format!("record_id: the same as line {first}"),
                },
            });
            continue;
        }
        match parsed {
            Parsed::Refused(reason) => report.lines.push(LineResult {
                line,
                record_id,
                outcome: LineOutcome::Rejected { reason },
            }),
            Parsed::Ready(input) => {
                let store = store.clone();
                // All rows go to the intake writer at once, so they are committed in batches.
                tasks.spawn(async move {
                    let result = store.import_referral(&input, &record_id).await;
                    (line, record_id, result)
                });
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let (line, record_id, result) = joined.map_err(|e| StorageError::Write(e.to_string()))?;
        let outcome = match result {
            Ok(Submitted::Created(r)) => LineOutcome::Created {
                reference: r.reference,
            },
            Ok(Submitted::AlreadyImported(r) | Submitted::Replayed(r)) => {
                LineOutcome::AlreadyImported {
                    reference: r.reference,
                }
            }
            Ok(Submitted::KeyReused) => LineOutcome::Rejected {
                reason: "record_id: already used".into(),
            },
            Err(StorageError::Invalid(errors)) => LineOutcome::Rejected {
                reason: errors
                    .iter()
                    .map(|e| format!("{}: {}", column_for(&e.field), e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            },
            Err(e) => return Err(e),
        };
        report.lines.push(LineResult {
            line,
            record_id,
            outcome,
        });
    }
    report.lines.sort_by_key(|l| l.line);
    for l in &report.lines {
        match l.outcome {
            LineOutcome::Created { .. } => report.created += 1,
            LineOutcome::AlreadyImported { .. } => report.already_imported += 1,
            LineOutcome::Rejected { .. } => report.rejected += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_column_is_refused_by_name() {
        let Err(StorageError::Invalid(e)) = parse("record_id,given_name\n1,A\n") else {
            panic!("accepted")
        };
        assert!(
            e.get("file")
                .unwrap()
                .contains("no column police_reference")
        );
    }

    #[test]
    fn paths_name_columns() {
        assert_eq!(column_for("person/given_name"), "given_name");
        assert_eq!(column_for("safe_contact/channels/0/value"), "safe_channels");
        assert_eq!(column_for("safe_contact/safe_times/0/from"), "safe_from");
        assert_eq!(column_for("safe_contact/code_word"), "code_word");
        assert_eq!(
            column_for("perpetrators/0/relationship"),
            "perpetrator_relationship"
        );
    }
}
