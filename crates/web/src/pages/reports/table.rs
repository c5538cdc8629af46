//! A report's tables as data: what the page shows, and what the CSV, the spreadsheet and the
//! statistics API carry, the same figures with the same suppression.

use harbour_domain::stats::suppress::{Cell, suppress_row};

/// One figure in a table. In the statistics API: `{"kind": "count", "value": 12}`, and
/// likewise `decimal`, `percent` (numbers), `text`, `suppressed` (the mark), `empty` (null).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Count(u64),
    /// A number with this many decimal places.
    Decimal(f64, usize),
    /// A share, 0 to 100, shown to one decimal place.
    Percent(f64),
    Text(String),
    /// Hidden by disclosure control, with its mark: "<5" or "[c]".
    Suppressed(String),
    /// Nothing to show: no rate without a population, no share of nothing.
    Empty,
}

impl Value {
    pub fn show(&self) -> String {
        match self {
            Value::Count(n) => thousands(*n),
            Value::Decimal(v, places) => format!("{v:.places$}"),
            Value::Percent(p) => format!("{p:.1}%"),
            Value::Text(t) => t.clone(),
            Value::Suppressed(mark) => mark.clone(),
            Value::Empty => "–".into(),
        }
    }

    /// Whether the page right-aligns it.
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Value::Text(_))
    }

    pub fn count(&self) -> Option<u64> {
        match self {
            Value::Count(n) => Some(*n),
            _ => None,
        }
    }

    pub fn from_cell(cell: Cell, threshold: u64) -> Value {
        match cell {
            Cell::Shown(n) => Value::Count(n),
            hidden => Value::Suppressed(hidden.show(threshold)),
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut v = s.serialize_struct("Value", 2)?;
        match self {
            Value::Count(n) => {
                v.serialize_field("kind", "count")?;
                v.serialize_field("value", n)?;
            }
            Value::Decimal(x, places) => {
                let scale = 10f64.powi(i32::try_from(*places).unwrap_or(2));
                v.serialize_field("kind", "decimal")?;
                v.serialize_field("value", &((x * scale).round() / scale))?;
            }
            Value::Percent(p) => {
                v.serialize_field("kind", "percent")?;
                v.serialize_field("value", &((p * 10.0).round() / 10.0))?;
            }
            Value::Text(t) => {
                v.serialize_field("kind", "text")?;
                v.serialize_field("value", t)?;
            }
            Value::Suppressed(mark) => {
                v.serialize_field("kind", "suppressed")?;
                v.serialize_field("value", mark)?;
            }
            Value::Empty => {
                v.serialize_field("kind", "empty")?;
                v.serialize_field("value", &None::<u8>)?;
            }
        }
        v.end()
    }
}

/// 12,345
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Value>,
    /// A total row, set apart.
    pub total: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Table {
    /// Names the table in exports: `referrals-by-area`.
    pub id: String,
    pub title: String,
    /// The first column's heading, then each figure's.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Notes on this table: definitions, and what was suppressed.
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(id: &str, title: impl Into<String>, headers: &[&str]) -> Table {
        Table {
            id: id.to_owned(),
            title: title.into(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row(&mut self, label: impl Into<String>, cells: Vec<Value>) {
        self.rows.push(Row {
            label: label.into(),
            cells,
            total: false,
        });
    }

    pub fn total(&mut self, label: impl Into<String>, cells: Vec<Value>) {
        self.rows.push(Row {
            label: label.into(),
            cells,
            total: true,
        });
    }

    /// How many figures are hidden, so the notes can say so.
    pub fn hidden(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter(|c| matches!(c, Value::Suppressed(_)))
            .count()
    }

    /// Adds the note on suppression when anything was hidden.
    pub fn note_suppression(&mut self, threshold: u64) {
        if self.hidden() > 0 {
            self.notes.push(format!(
                "\"<{threshold}\" marks a count from 1 to {} hidden to protect the people counted; \"[c]\" marks a figure hidden with it so that it cannot be worked out from the total.",
                threshold - 1
            ));
        }
    }
}

/// A column of counts published with its total: suppressed, then the total last.
pub fn counted(counts: &[u64], threshold: u64) -> (Vec<Value>, Value) {
    let (cells, total) = suppress_row(counts, threshold);
    (
        cells
            .into_iter()
            .map(|c| Value::from_cell(c, threshold))
            .collect(),
        Value::from_cell(total, threshold),
    )
}

/// A share of a whole, only where both are shown and the whole is not nothing.
pub fn share(part: &Value, whole: &Value) -> Value {
    match (part.count(), whole.count()) {
        (Some(p), Some(w)) if w > 0 => Value::Percent(p as f64 * 100.0 / w as f64),
        _ => Value::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_show_as_people_read_them() {
        assert_eq!(Value::Count(58164).show(), "58,164");
        assert_eq!(Value::Count(999).show(), "999");
        assert_eq!(Value::Percent(41.26).show(), "41.3%");
        assert_eq!(Value::Decimal(5.0, 2).show(), "5.00");
        let (cells, total) = counted(&[8, 3, 0, 6], 5);
        assert_eq!(
            cells.iter().map(Value::show).collect::<Vec<_>>(),
            ["8", "<5", "0", "[c]"]
        );
        assert_eq!(total, Value::Count(17));
        assert_eq!(share(&cells[1], &total), Value::Empty);
        assert_eq!(share(&cells[0], &total).show(), "47.1%");
    }
}
