//! The pack as files: each table as CSV, and the whole pack as a spreadsheet laid out as the
//! GOV.UK guidance on releasing statistics in spreadsheets asks: a cover sheet, a contents
//! sheet, a notes sheet, then one table to a sheet, each starting in its first cell with a
//! title, headers in one row, no merged cells and no blank rows inside a table, numbers stored
//! as numbers and suppressed figures as their marks, explained in the notes.

use super::pack::Section;
use super::table::{Table, Value};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

impl Value {
    /// As a file carries it: numbers without separators, shares as a number of per cent.
    pub fn plain(&self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Decimal(v, places) => format!("{v:.places$}"),
            Value::Percent(p) => format!("{p:.1}"),
            Value::Text(t) => t.clone(),
            Value::Suppressed(mark) => mark.clone(),
            Value::Empty => String::new(),
        }
    }
}

/// The headers as files carry them: a column of shares says it is in per cent.
pub fn file_headers(t: &Table) -> Vec<String> {
    t.headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let shares = i > 0
                && t.rows
                    .iter()
                    .any(|r| matches!(r.cells.get(i - 1), Some(Value::Percent(_))));
            if shares && !h.contains('%') {
                format!("{h} (%)")
            } else {
                h.clone()
            }
        })
        .collect()
}

/// One table as CSV: a header row, then a row per line of the table, totals included.
pub fn table_csv(t: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(file_headers(t))?;
    for r in &t.rows {
        let mut line = vec![r.label.clone()];
        line.extend(r.cells.iter().map(Value::plain));
        w.write_record(&line)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// What the cover sheet says about the pack.
pub struct Cover {
    pub title: String,
    pub lines: Vec<(String, String)>,
}

/// The whole pack as a spreadsheet.
pub fn pack_xlsx(
    cover: &Cover,
    method: &[String],
    sections: &[Section],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(16);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let tables: Vec<&Table> = sections.iter().flat_map(|s| &s.tables).collect();

    let sheet = book.add_worksheet().set_name("Cover")?;
    sheet.write_string_with_format(0, 0, &cover.title, &title)?;
    let mut row = 1;
    for (heading, text) in &cover.lines {
        sheet.write_string_with_format(row, 0, heading, &bold)?;
        sheet.write_string_with_format(row + 1, 0, text, &wrap)?;
        row += 2;
    }
    sheet.set_column_width(0, 110)?;

    let sheet = book.add_worksheet().set_name("Contents")?;
    sheet.write_string_with_format(0, 0, "Contents", &title)?;
    sheet.write_string(
        1,
        0,
        "This worksheet contains one table. Each table is on its own worksheet.",
    )?;
    for (c, h) in ["Worksheet", "Table", "Section"].iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    let mut r = 3;
    for s in sections {
        for t in &s.tables {
            let i = tables.iter().position(|x| std::ptr::eq(*x, t)).unwrap_or(0);
            sheet.write_string(r, 0, format!("Table_{}", i + 1))?;
            sheet.write_string(r, 1, &t.title)?;
            sheet.write_string(r, 2, s.title)?;
            r += 1;
        }
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 80)?;
    sheet.set_column_width(2, 30)?;

    let sheet = book.add_worksheet().set_name("Notes")?;
    sheet.write_string_with_format(0, 0, "Notes", &title)?;
    sheet.write_string(
        1,
        0,
        "This worksheet contains one table. The notes apply to the tables named beside them.",
    )?;
    for (c, h) in ["Note number", "Applies to", "Note text"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    let mut r = 3;
    let mut number = 1;
    for m in method {
        sheet.write_number(r, 0, f64::from(number))?;
        sheet.write_string(r, 1, "All tables")?;
        sheet.write_string_with_format(r, 2, m, &wrap)?;
        r += 1;
        number += 1;
    }
    for (i, t) in tables.iter().enumerate() {
        for n in &t.notes {
            sheet.write_number(r, 0, f64::from(number))?;
            sheet.write_string(r, 1, format!("Table_{}", i + 1))?;
            sheet.write_string_with_format(r, 2, n, &wrap)?;
            r += 1;
            number += 1;
        }
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 14)?;
    sheet.set_column_width(2, 100)?;

    for (i, t) in tables.iter().enumerate() {
        let sheet = book.add_worksheet().set_name(format!("Table_{}", i + 1))?;
        sheet.write_string_with_format(0, 0, format!("Table_{}: {}", i + 1, t.title), &title)?;
        sheet.write_string(
            1,
            0,
            "This worksheet contains one table. \"<5\" marks a small count hidden to protect the people counted and \"[c]\" a figure hidden with it; an empty cell has nothing to show. See the Notes worksheet.",
        )?;
        for (c, h) in file_headers(t).iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, h, &bold)?;
        }
        for (j, line) in t.rows.iter().enumerate() {
            let r = 3 + j as u32;
            if line.total {
                sheet.write_string_with_format(r, 0, &line.label, &bold)?;
            } else {
                sheet.write_string(r, 0, &line.label)?;
            }
            for (k, v) in line.cells.iter().enumerate() {
                let c = 1 + k as u16;
                match v {
                    Value::Count(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Value::Decimal(x, _) => {
                        sheet.write_number(r, c, (x * 100.0).round() / 100.0)?;
                    }
                    Value::Percent(p) => {
                        sheet.write_number(r, c, (p * 10.0).round() / 10.0)?;
                    }
                    Value::Text(s) | Value::Suppressed(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Value::Empty => {}
                }
            }
        }
        sheet.set_column_width(0, 42)?;
        for c in 1..t.headers.len() {
            sheet.set_column_width(c as u16, 18)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_as_csv_keeps_numbers_plain_and_marks_as_they_are() {
        let mut t = Table::new("t", "Referrals", &["Area", "Referrals", "Share"]);
        t.row("Stafford", vec![Value::Count(1234), Value::Percent(61.25)]);
        t.row(
            "Tamworth",
            vec![Value::Suppressed("<5".into()), Value::Empty],
        );
        t.total("All", vec![Value::Count(1237), Value::Percent(100.0)]);
        let text = String::from_utf8(table_csv(&t).unwrap()).unwrap();
        assert_eq!(
            text,
            "Area,Referrals,Share (%)\nStafford,1234,61.2\nTamworth,<5,\nAll,1237,100.0\n"
        );
    }
}
