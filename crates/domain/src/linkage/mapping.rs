//! Reading a file of people from another system: which of its columns holds which field
//! (`--map given_name=FIRST,family_name=SURNAME,address=NUMBER+STREET+TOWN,…`), and dates in
//! the forms such files use.

use super::record::Record;
use chrono::NaiveDate;

/// Which columns hold which field. An address may be several columns, joined in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub id: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub previous_names: Option<String>,
    pub date_of_birth: Option<String>,
    pub postcode: Option<String>,
    pub address: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub identifier: Option<String>,
}

/// The fields a mapping may name.
pub const MAPPABLE: [&str; 10] = [
    "given_name",
    "family_name",
    "previous_names",
    "date_of_birth",
    "postcode",
    "address",
    "phone",
    "email",
    "gender",
    "identifier",
];

impl Mapping {
    /// Reads `field=COLUMN,…` and checks every column is in `header`.
    pub fn parse(id: &str, map: &str, header: &[String]) -> Result<Mapping, String> {
        let has = |c: &str| header.iter().any(|h| h == c);
        if !has(id) {
            return Err(format!("--id: the file has no column {id:?}"));
        }
        let mut m = Mapping {
            id: id.to_owned(),
            ..Mapping::default()
        };
        for part in map.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((field, columns)) = part.split_once('=') else {
                return Err(format!("--map: {part:?} is not field=COLUMN"));
            };
            let columns: Vec<String> = columns.split('+').map(|c| c.trim().to_owned()).collect();
            if let Some(missing) = columns.iter().find(|c| !has(c)) {
                return Err(format!("--map: the file has no column {missing:?}"));
            }
            let one = || -> Result<Option<String>, String> {
                match columns.as_slice() {
                    [c] => Ok(Some(c.clone())),
                    _ => Err(format!(
                        "--map: only the address may join columns ({part:?})"
                    )),
                }
            };
            match field.trim() {
                "given_name" => m.given_name = one()?,
                "family_name" => m.family_name = one()?,
                "previous_names" => m.previous_names = one()?,
                "date_of_birth" => m.date_of_birth = one()?,
                "postcode" => m.postcode = one()?,
                "address" => m.address = columns,
                "phone" => m.phone = one()?,
                "email" => m.email = one()?,
                "gender" => m.gender = one()?,
                "identifier" => m.identifier = one()?,
                other => {
                    return Err(format!(
                        "--map: {other:?} is not a field; the fields are {}",
                        MAPPABLE.join(", ")
                    ));
                }
            }
        }
        Ok(m)
    }

    /// A row as a record, with its id. `cell` gives a column's value.
    pub fn record<'a>(&self, cell: impl Fn(&str) -> &'a str) -> (String, Record) {
        let get = |c: &Option<String>| {
            c.as_deref()
                .map(|c| cell(c).trim().to_owned())
                .unwrap_or_default()
        };
        let address: Vec<&str> = self
            .address
            .iter()
            .map(|c| cell(c).trim())
            .filter(|v| !v.is_empty())
            .collect();
        let record = Record {
            given_name: get(&self.given_name),
            family_name: get(&self.family_name),
            previous_names: get(&self.previous_names)
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            date_of_birth: self
                .date_of_birth
                .as_deref()
                .and_then(|c| parse_date(cell(c))),
            postcode: get(&self.postcode),
            address: address.join(" "),
            phone: get(&self.phone),
            email: get(&self.email),
            gender: get(&self.gender),
            identifier: get(&self.identifier),
        };
        (cell(&self.id).trim().to_owned(), record)
    }
}

/// A date as such files write it: 2024-03-09, 09/03/2024 (day first, as in the UK), 9.3.2024
/// or 20240309. Not a real date (31 February, month 13), or not one of these: none.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    for format in ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn header() -> Vec<String> {
        ["rec_id", "first", "surname", "no", "street", "dob", "ssn"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn a_mapping_reads_rows_into_records() {
        let m = Mapping::parse(
            "rec_id",
            "given_name=first,family_name=surname,address=no+street,date_of_birth=dob,identifier=ssn",
            &header(),
        )
        .unwrap_or_default();
        let row: HashMap<&str, &str> = HashMap::from([
            ("rec_id", "rec-1-org"),
            ("first", " Jodie "),
            ("surname", "Harroby"),
            ("no", "4"),
            ("street", "quiet lane"),
            ("dob", "19900304"),
            ("ssn", "123"),
        ]);
        let (id, r) = m.record(|c| row.get(c).copied().unwrap_or_default());
        assert_eq!(id, "rec-1-org");
        assert_eq!(r.given_name, "Jodie");
        assert_eq!(r.address, "4 quiet lane");
        assert_eq!(r.date_of_birth, NaiveDate::from_ymd_opt(1990, 3, 4));
        assert_eq!(r.identifier, "123");
    }

    #[test]
    fn a_bad_mapping_says_what_is_wrong() {
        let e = |map: &str| {
            Mapping::parse("rec_id", map, &header())
                .err()
                .unwrap_or_default()
        };
        assert!(e("given_name=nope").contains("no column \"nope\""));
        assert!(e("shoe_size=first").contains("is not a field"));
        assert!(e("given_name").contains("not field=COLUMN"));
        assert!(e("given_name=first+surname").contains("only the address"));
        assert!(Mapping::parse("nope", "", &header()).is_err());
    }

    #[test]
    fn dates_in_the_usual_forms() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 9);
        assert_eq!(parse_date("2024-03-09"), d);
        assert_eq!(parse_date("09/03/2024"), d);
        assert_eq!(parse_date("9/3/2024"), d);
        assert_eq!(parse_date("20240309"), d);
        assert_eq!(parse_date("20241309"), None);
        assert_eq!(parse_date("31/02/2024"), None);
        assert_eq!(parse_date(""), None);
    }
}
