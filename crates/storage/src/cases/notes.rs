//! Case notes: typed, dated, by an author of an agency; restricted ones only for the author and
//! the agency's managers; an edit keeps the text it replaced, and a note is never deleted here.

use super::*;
use crate::db::{format_time, new_id};
use harbour_domain::case::check_note;
use harbour_domain::validation::FieldErrors;

/// A note as written on the form.
#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub kind: String,
    pub body: String,
    pub restricted: bool,
    /// The day it happened, as typed (`27/3/2026`, or `2026-03-27`).
    pub happened_on: String,
}

/// An earlier version of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVersion {
    pub version: i64,
    pub kind: NoteKind,
    pub body: String,
    pub restricted: bool,
    pub happened_on: NaiveDate,
    pub written_by: String,
    pub written_at: DateTime<Utc>,
}

struct Checked<'a> {
    kind: NoteKind,
    body: &'a str,
    happened_on: NaiveDate,
}

fn check(input: &NoteInput, today: NaiveDate) -> std::result::Result<Checked<'_>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = NoteKind::from_slug(&input.kind);
    if kind.is_none() {
        errors.add("kind", "Choose what the note records");
    }
    let body = check_note(&input.body)
        .map_err(|e| errors.add("body", e))
        .ok();
    let typed = input.happened_on.trim();
    let happened_on = match NaiveDate::parse_from_str(typed, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
    {
        Ok(d) if d > today => {
            errors.add(
                "happened_on",
                "The date it happened must be today or in the past",
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) if input.happened_on.trim().is_empty() => {
            errors.add("happened_on", "Enter the date it happened");
            None
        }
        Err(_) => {
            errors.add(
                "happened_on",
                "The date it happened must be a real date, for example 27/3/2026",
            );
            None
        }
    };
    match (kind, body, happened_on) {
        (Some(kind), Some(body), Some(happened_on)) if errors.is_empty() => Ok(Checked {
            kind,
            body,
            happened_on,
        }),
        _ => Err(errors),
    }
}

impl ScopedStore {
    /// The notes on a case the actor may read, oldest first, and how many they may not.
    pub(super) async fn notes_in(
        &self,
        tx: &mut WriteTx,
        case: &CaseId,
    ) -> Result<(Vec<CaseNote>, i64)> {
        let rows: Vec<NoteRow> = sqlx::query_as(
            "SELECT n.id, n.kind, n.body, n.restricted, n.happened_on, n.author_id, \
             u.display_name AS author_name, a.name AS agency_name, n.written_at, n.version, n.edited_at \
             FROM case_notes n LEFT JOIN users u ON u.id = n.author_id \
             JOIN agencies a ON a.id = n.agency_id WHERE n.case_id = $1 \
             ORDER BY n.happened_on, n.written_at, n.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let me = self.actor().user_id.clone();
        let manager = self.may(Action::ManageCases);
        let mut notes = Vec::new();
        let mut withheld = 0;
        for r in rows {
            let own = me.is_some() && r.author_id == me;
            // A case is only ever read inside its own agency, so the agency's managers are the
            // actor's when they manage cases.
            if r.restricted.0 && !own && !manager {
                withheld += 1;
                continue;
            }
            notes.push(CaseNote {
                id: r.id,
                kind: NoteKind::from_slug(&r.kind)
                    .ok_or_else(|| StorageError::Corrupt(format!("note kind {:?}", r.kind)))?,
                body: r.body.0,
                restricted: r.restricted.0,
                happened_on: r
                    .happened_on
                    .parse()
                    .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?,
                author_id: r.author_id,
                author_name: r.author_name.unwrap_or_else(|| "Harbour".into()),
                agency_name: r.agency_name,
                written_at: r.written_at.0,
                version: r.version,
                edited_at: r.edited_at.map(|s| s.0),
                own,
            });
        }
        Ok((notes, withheld))
    }

    /// Adds a note to a case of the actor's agency. A contact note moves the case's last contact
    /// on to the day it happened.
    pub async fn add_case_note(&self, case: &CaseId, input: &NoteInput) -> Result<CaseNoteId> {
        self.grant(Action::WorkCases)?;
        let today = uk_date(Utc::now());
        let checked = check(input, today).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        self.case_in(&mut tx, case).await?;
        let id = CaseNoteId::from(new_id());
        let at = now();
        sqlx::query(
            "INSERT INTO case_notes (id, case_id, kind, body, restricted, happened_on, author_id, \
             agency_id, written_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)",
        )
        .bind(&id)
        .bind(case)
        .bind(checked.kind.slug())
        .bind(
            tx.keyring()?
                .seal(crate::sealed::CASE_NOTE_BODY, checked.body)?,
        )
        .bind(input.restricted)
        .bind(checked.happened_on.to_string())
        .bind(self.actor().user_id.as_ref())
        .bind(&self.actor().agency_id)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        if checked.kind == NoteKind::Contact {
            let happened = format_time(
                checked
                    .happened_on
                    .and_hms_opt(12, 0, 0)
                    .unwrap_or_default()
                    .and_utc(),
            );
            sqlx::query(
                "UPDATE cases SET last_contact_at = $1, updated_at = $2 WHERE id = $3 \
                 AND (last_contact_at IS NULL OR last_contact_at < $1)",
            )
            .bind(&happened)
            .bind(&at)
            .bind(case)
            .execute(tx.conn())
            .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Create,
            "case",
            Some(case.as_str()),
            "write a case note",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Corrects a note the actor wrote: the text it replaces is kept as an earlier version.
    /// `version` is the one they corrected; if someone changed it since, nothing is overwritten.
    pub async fn edit_case_note(
        &self,
        case: &CaseId,
        note: &CaseNoteId,
        version: i64,
        input: &NoteInput,
    ) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let today = uk_date(Utc::now());
        let checked = check(input, today).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        self.case_in(&mut tx, case).await?;
        let me = self
            .actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("note"))?;
        let at = now();
        // The version being replaced, as it stood, becomes history.
        let kept = sqlx::query(
            "INSERT INTO case_note_versions (note_id, version, kind, body, restricted, happened_on, \
             written_by, written_at) SELECT id, version, kind, body, restricted, happened_on, \
             COALESCE(edited_by, author_id), COALESCE(edited_at, written_at) FROM case_notes \
             WHERE id = $1 AND case_id = $2 AND author_id = $3 AND version = $4",
        )
        .bind(note)
        .bind(case)
        .bind(&me)
        .bind(version)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if kept == 0 {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM case_notes WHERE id = $1 AND case_id = $2 AND author_id = $3",
            )
            .bind(note)
            .bind(case)
            .bind(&me)
            .fetch_optional(tx.conn())
            .await?;
            return Err(match exists {
                None => StorageError::NotFound("note"),
                Some(_) => StorageError::invalid(
                    "body",
                    "This note was corrected somewhere else since you opened it. Your text is below: \
                     open the note again to see the new version, then make your correction",
                ),
            });
        }
        sqlx::query(
            "UPDATE case_notes SET kind = $1, body = $2, restricted = $3, happened_on = $4, \
             version = version + 1, edited_at = $5, edited_by = $6 WHERE id = $7",
        )
        .bind(checked.kind.slug())
        .bind(
            tx.keyring()?
                .seal(crate::sealed::CASE_NOTE_BODY, checked.body)?,
        )
        .bind(input.restricted)
        .bind(checked.happened_on.to_string())
        .bind(&at)
        .bind(&me)
        .bind(note)
        .execute(tx.conn())
        .await?;
        super::record_event(&mut tx, case, "note_edited", None, self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "correct a case note",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The earlier versions of a note the actor may read, newest first.
    pub async fn case_note_history(
        &self,
        case: &CaseId,
        note: &CaseNoteId,
    ) -> Result<(CaseNote, Vec<NoteVersion>)> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        self.case_in(&mut tx, case).await?;
        let (notes, _) = self.notes_in(&mut tx, case).await?;
        let current = notes
            .into_iter()
            .find(|n| n.id == *note)
            .ok_or(StorageError::NotFound("note"))?;
        #[derive(sqlx::FromRow)]
        struct VersionRow {
            version: i64,
            kind: String,
            body: crate::sealed::Opened,
            restricted: Flag,
            happened_on: String,
            written_by: Option<String>,
            written_at: Stamp,
        }
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT v.version, v.kind, v.body, v.restricted, v.happened_on, \
             u.display_name AS written_by, v.written_at FROM case_note_versions v \
             LEFT JOIN users u ON u.id = v.written_by WHERE v.note_id = $1 ORDER BY v.version DESC",
        )
        .bind(note)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            Some(case.as_str()),
            "view a case note's history",
        )
        .await?;
        tx.commit().await?;
        let versions = rows
            .into_iter()
            .map(|r| {
                Ok(NoteVersion {
                    version: r.version,
                    kind: NoteKind::from_slug(&r.kind)
                        .ok_or_else(|| StorageError::Corrupt(format!("note kind {:?}", r.kind)))?,
                    body: r.body.0,
                    restricted: r.restricted.0,
                    happened_on: r
                        .happened_on
                        .parse()
                        .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?,
                    written_by: r.written_by.unwrap_or_else(|| "Harbour".into()),
                    written_at: r.written_at.0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((current, versions))
    }
}
