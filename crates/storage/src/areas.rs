//! Areas: reference data loaded from a CSV of GSS codes, names, kinds, parents and populations.

use crate::db::Db;
use crate::error::{Result, StorageError};
use harbour_domain::area::{Area, is_gss_code};
use sqlx::Row;

/// The Staffordshire and Stoke-on-Trent areas shipped for the demo.
pub const DEMO_AREAS_CSV: &str = include_str!("../data/areas.csv");

pub async fn list_areas(db: &Db) -> Result<Vec<Area>> {
    let rows = sqlx::query(
        "SELECT gss_code, name, kind, parent_gss_code, population FROM areas ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Area {
                gss_code: r.try_get("gss_code")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                parent_gss_code: r.try_get("parent_gss_code")?,
                population: r.try_get("population")?,
            })
        })
        .collect()
}

/// The area codes as last read, kept beside the connection.
#[derive(Default)]
struct AreaCodes(crate::cache::Cached<Vec<String>>);

const AREA_CODES_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// The codes of the areas Harbour holds. Read on every submission, so kept for a minute:
/// areas change a few times a year, and an import in another process is seen within a minute.
pub async fn area_codes(db: &Db) -> Result<Vec<String>> {
    if let Some(codes) = db.owned::<AreaCodes>().0.fresh(AREA_CODES_FOR) {
        return Ok(codes);
    }
    let codes: Vec<String> = list_areas(db)
        .await?
        .into_iter()
        .map(|a| a.gss_code)
        .collect();
    db.owned::<AreaCodes>().0.keep(codes.clone());
    Ok(codes)
}

/// Parses the areas CSV (`gss_code,name,kind,parent_gss_code,population_census_2021,…`),
/// naming the line of the first bad row.
pub fn parse_areas_csv(text: &str) -> Result<Vec<Area>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut areas = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let bad = |why: &str| StorageError::invalid("file", &format!("line {line}: {why}"));
        let record = record.map_err(|e| bad(&e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("").trim().to_owned();
        let gss_code = field(0);
        if !is_gss_code(&gss_code) {
            return Err(bad("the first column must be a GSS code such as E07000197"));
        }
        let name = field(1);
        if name.is_empty() {
            return Err(bad("the area has no name"));
        }
        let parent = field(3);
        let population = field(4);
        areas.push(Area {
            gss_code,
            name,
            kind: field(2),
            parent_gss_code: (!parent.is_empty()).then_some(parent),
            population: if population.is_empty() {
                None
            } else {
                Some(
                    population
                        .parse()
                        .map_err(|_| bad("the population must be a whole number"))?,
                )
            },
        });
    }
    Ok(areas)
}

/// Adds or updates areas; parents first so the reference to a parent always holds.
pub async fn import_areas(db: &Db, mut areas: Vec<Area>) -> Result<usize> {
    areas.sort_by_key(|a| a.parent_gss_code.is_some());
    let mut tx = db.begin_write().await?;
    for a in &areas {
        sqlx::query(
            "INSERT INTO areas (gss_code, name, kind, parent_gss_code, population) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (gss_code) DO UPDATE SET \
             name = excluded.name, kind = excluded.kind, \
             parent_gss_code = excluded.parent_gss_code, population = excluded.population",
        )
        .bind(&a.gss_code)
        .bind(&a.name)
        .bind(&a.kind)
        .bind(&a.parent_gss_code)
        .bind(a.population)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    db.owned::<AreaCodes>().0.forget();
    Ok(areas.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_parses() {
        let areas = parse_areas_csv(DEMO_AREAS_CSV).unwrap();
        assert_eq!(areas.len(), 10);
        let stafford = areas.iter().find(|a| a.gss_code == "E07000197").unwrap();
        assert_eq!(stafford.parent_gss_code.as_deref(), Some("E10000028"));
        assert_eq!(stafford.population, Some(136_800));
    }

    #[test]
    fn a_bad_row_is_named_by_line() {
        let err =
            parse_areas_csv("gss_code,name,kind,parent,pop\nE07000197,Stafford,district,,lots\n")
                .unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
