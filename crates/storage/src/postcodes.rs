//! Postcodes: where each is (a point) and which area it is in, loaded from the ONS Postcode
//! Directory or Ordnance Survey Code-Point Open, and looked up for searches by postcode.
//!
//! A national file has about 2.7 million rows. They are parsed as raw bytes on one thread and
//! written on another in multi-row statements, committed every fifty thousand or so, so that
//! referrals arriving meanwhile are not held up for the whole load.

use crate::db::Db;
use crate::error::{Result, StorageError};
use harbour_domain::place::{Point, from_british_national_grid};
use harbour_domain::postcode::Postcode;
use sqlx::Row;
use std::io::Read;

/// How a postcode file was laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// ONS Postcode Directory: a header row; `pcds`, the district (`oslaua` or `lad…cd`),
    /// `lat`, `long`, and `doterm` for terminated postcodes.
    Onspd,
    /// Code-Point Open: no header; postcode, quality, eastings, northings, country, two NHS
    /// codes, county, district, ward.
    CodePoint,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostcodeImport {
    pub loaded: u64,
    /// Terminated postcodes and ones with no grid reference, left out.
    pub skipped: u64,
    /// The first few bad lines (line number, reason); `rejected_count` has them all.
    pub rejected: Vec<(u64, String)>,
    pub rejected_count: u64,
}

const ROWS_PER_COMMIT: usize = 48_000;

struct Columns {
    postcode: usize,
    area: Option<usize>,
    latitude: usize,
    longitude: usize,
    terminated: Option<usize>,
}

fn onspd_columns(header: &csv::ByteRecord) -> Option<Columns> {
    let find = |pred: &dyn Fn(&str) -> bool| {
        header.iter().position(|h| {
            let h = String::from_utf8_lossy(h).trim().to_lowercase();
            pred(&h)
        })
    };
    Some(Columns {
        postcode: find(&|h| h == "pcds").or_else(|| find(&|h| h == "pcd"))?,
        area: find(&|h| h == "oslaua")
            .or_else(|| find(&|h| h.starts_with("lad") && h.ends_with("cd"))),
        latitude: find(&|h| h == "lat")?,
        longitude: find(&|h| h == "long")?,
        terminated: find(&|h| h == "doterm"),
    })
}

/// Loads a postcode file (either layout, recognised from its first line). Later rows for a
/// postcode already held replace it, so a new release loads over the old one. The file is read
/// and checked on a thread of its own while the rows before are written.
pub async fn import_postcodes<R: Read + Send + 'static>(
    db: &Db,
    reader: R,
) -> Result<(Layout, PostcodeImport)> {
    // Into an empty table (a first national load), rows go in without the point index, which
    // is built once at the end: several times faster than keeping it up to date row by row.
    let fresh = count(db).await? == 0;
    if fresh {
        sqlx::query("DROP INDEX IF EXISTS postcodes_point")
            .execute(db.pool())
            .await?;
    }
    let (send, mut batches) = tokio::sync::mpsc::channel::<Vec<Row4>>(2);
    let reading = tokio::task::spawn_blocking(move || read_file(reader, &send));
    let mut loaded = 0u64;
    let mut written = Ok(());
    while let Some(batch) = batches.recv().await {
        if written.is_ok() {
            written = write(db, &batch).await;
            loaded += batch.len() as u64;
        }
    }
    // Also restores the index if an earlier load stopped part way.
    sqlx::query("CREATE INDEX IF NOT EXISTS postcodes_point ON postcodes (latitude, longitude)")
        .execute(db.pool())
        .await?;
    let (layout, mut report) = reading
        .await
        .map_err(|e| StorageError::Write(format!("the postcode reader stopped: {e}")))??;
    written?;
    report.loaded = loaded;
    Ok((layout, report))
}

/// Reads and checks the file, handing rows on in batches of [`ROWS_PER_COMMIT`].
fn read_file<R: Read>(
    reader: R,
    send: &tokio::sync::mpsc::Sender<Vec<Row4>>,
) -> Result<(Layout, PostcodeImport)> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut first = csv::ByteRecord::new();
    let bad_file = |why: &str| StorageError::invalid("file", why);
    if !csv
        .read_byte_record(&mut first)
        .map_err(|e| bad_file(&e.to_string()))?
    {
        return Err(bad_file("The file is empty"));
    }
    let first_cell = String::from_utf8_lossy(first.get(0).unwrap_or_default()).to_string();
    let (layout, onspd) = if Postcode::parse(&first_cell).is_some() {
        (Layout::CodePoint, None)
    } else {
        match onspd_columns(&first) {
            Some(c) => (Layout::Onspd, Some(c)),
            None => {
                return Err(bad_file(
                    "The file is neither the ONS Postcode Directory (a header with pcds, lat and long) nor Code-Point Open (a postcode in the first column)",
                ));
            }
        }
    };
    let mut report = PostcodeImport::default();
    let mut batch: Vec<Row4> = Vec::with_capacity(ROWS_PER_COMMIT);
    let mut line: u64 = 1;
    let mut record = first;
    let mut have = layout == Layout::CodePoint;
    loop {
        if !have {
            match csv.read_byte_record(&mut record) {
                Ok(true) => line += 1,
                Ok(false) => break,
                Err(e) => {
                    line += 1;
                    reject(&mut report, line, &e.to_string());
                    continue;
                }
            }
        }
        have = false;
        match parse_row(&record, layout, onspd.as_ref()) {
            Ok(Some(row)) => batch.push(row),
            Ok(None) => report.skipped += 1,
            Err(why) => reject(&mut report, line, why),
        }
        if batch.len() >= ROWS_PER_COMMIT {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_COMMIT));
            if send.blocking_send(full).is_err() {
                return Err(StorageError::Write("the postcode writer stopped".into()));
            }
        }
    }
    if !batch.is_empty() && send.blocking_send(batch).is_err() {
        return Err(StorageError::Write("the postcode writer stopped".into()));
    }
    Ok((layout, report))
}

fn reject(report: &mut PostcodeImport, line: u64, why: &str) {
    report.rejected_count += 1;
    if report.rejected.len() < 20 {
        report.rejected.push((line, why.to_owned()));
    }
}

type Row4 = (String, Option<String>, f64, f64);

fn parse_row(
    r: &csv::ByteRecord,
    layout: Layout,
    c: Option<&Columns>,
) -> std::result::Result<Option<Row4>, &'static str> {
    let cell = |i: usize| {
        std::str::from_utf8(r.get(i).unwrap_or_default())
            .unwrap_or("")
            .trim()
    };
    let (pc, area, point) = match (layout, c) {
        (Layout::Onspd, Some(c)) => {
            if c.terminated.is_some_and(|t| !cell(t).is_empty()) {
                return Ok(None);
            }
            let lat: f64 = cell(c.latitude)
                .parse()
                .map_err(|_| "lat is not a number")?;
            let lon: f64 = cell(c.longitude)
                .parse()
                .map_err(|_| "long is not a number")?;
            // The directory writes 99.999999 where a postcode has no grid reference.
            if lat > 90.0 {
                return Ok(None);
            }
            (cell(c.postcode), c.area.map(cell), Point::new(lat, lon))
        }
        _ => {
            let e: f64 = cell(2)
                .parse()
                .map_err(|_| "the eastings are not a number")?;
            let n: f64 = cell(3)
                .parse()
                .map_err(|_| "the northings are not a number")?;
            if e == 0.0 && n == 0.0 {
                return Ok(None);
            }
            (cell(0), Some(cell(8)), from_british_national_grid(e, n))
        }
    };
    let postcode = Postcode::parse(pc).ok_or("not a postcode")?;
    let point = point.ok_or("the point is off the globe")?;
    let area = area.filter(|a| !a.is_empty()).map(str::to_owned);
    Ok(Some((
        postcode.to_string(),
        area,
        point.latitude,
        point.longitude,
    )))
}

/// Writes rows in statements of ten thousand, each carrying its rows as one JSON parameter that
/// the database unpacks itself (`json_each` in SQLite, `json_array_elements` in PostgreSQL):
/// binding four parameters a row costs more than the insert.
async fn write(db: &Db, rows: &[Row4]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let upsert = "ON CONFLICT (postcode) DO UPDATE SET area_code = excluded.area_code, \
                  latitude = excluded.latitude, longitude = excluded.longitude";
    let sql = match db.backend() {
        crate::db::Backend::Sqlite => format!(
            "INSERT INTO postcodes (postcode, area_code, latitude, longitude) \
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
             json_extract(value, '$[3]') FROM json_each($1) WHERE true {upsert}"
        ),
        crate::db::Backend::Postgres => format!(
            "INSERT INTO postcodes (postcode, area_code, latitude, longitude) \
             SELECT x->>0, x->>1, (x->>2)::float8, (x->>3)::float8 FROM json_array_elements($1::json) AS x {upsert}"
        ),
    };
    let mut tx = db.begin_write().await?;
    for chunk in rows.chunks(10_000) {
        let json = serde_json::to_string(chunk)
            .map_err(|e| StorageError::Write(format!("could not pack postcodes: {e}")))?;
        sqlx::query(&sql).bind(json).execute(tx.conn()).await?;
    }
    tx.commit().await
}

/// Where a postcode is, if Harbour knows it.
pub async fn locate(db: &Db, postcode: &Postcode) -> Result<Option<(Point, Option<String>)>> {
    let row =
        sqlx::query("SELECT latitude, longitude, area_code FROM postcodes WHERE postcode = $1")
            .bind(postcode.as_str())
            .fetch_optional(db.pool())
            .await?;
    let Some(r) = row else { return Ok(None) };
    let point = Point::new(r.try_get("latitude")?, r.try_get("longitude")?)
        .ok_or_else(|| StorageError::Corrupt("a stored postcode is off the globe".into()))?;
    Ok(Some((point, r.try_get("area_code")?)))
}

/// Where someone at a postcode lives, for searches: its point and the chain of areas it lies
/// in (district, county, country). `None` if Harbour does not know the postcode.
pub async fn whereabouts(
    db: &Db,
    postcode: &Postcode,
) -> Result<Option<harbour_domain::directory::Whereabouts>> {
    let Some((point, area)) = locate(db, postcode).await? else {
        return Ok(None);
    };
    let chain = match area {
        Some(a) => harbour_domain::coverage::area_chain(&a, &crate::areas::list_areas(db).await?),
        None => Vec::new(),
    };
    Ok(Some(harbour_domain::directory::Whereabouts::new(
        chain,
        Some(point),
    )))
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM postcodes")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

/// The synthetic postcodes shipped for the demo and the tests (ONSPD layout).
pub const DEMO_POSTCODES_CSV: &str = include_str!("../data/demo-postcodes.csv");
