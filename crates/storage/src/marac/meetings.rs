//! MARAC meetings: scheduling one with the agencies expected, the list of a MARAC's meetings with
//! how full each is, and a meeting's agenda in order of referral with repeats marked.

use super::*;
use crate::db::{Stamp, new_id, now};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use harbour_domain::audit::AuditAction;
use harbour_domain::calendar::uk_date;
use harbour_domain::ids::{AgencyId, MaracCaseId, MeetingId, PersonId};
use harbour_domain::marac::meeting::{CaseStatus, over_capacity};
use harbour_domain::validation::FieldErrors;

/// A meeting as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    /// `27/3/2026` or `2026-03-27`.
    pub held_on: String,
    /// `10:00`.
    pub starts_at: String,
    pub place: String,
    pub video_link: String,
    pub chair: String,
    /// Blank for the MARAC's own.
    pub capacity: String,
    /// The member agencies expected (ids); none means every member.
    pub expected: Vec<String>,
}

/// A meeting with how full its agenda is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSummary {
    pub id: MeetingId,
    pub marac_id: MaracId,
    pub marac_name: String,
    pub held_on: NaiveDate,
    pub starts_at: String,
    pub place: Option<String>,
    pub video_link: Option<String>,
    pub chair: String,
    pub capacity: i64,
    pub listed: i64,
    pub status: String,
    /// Once recorded: the legal basis for sharing, and the chair's summary.
    pub legal_basis: Option<String>,
    pub summary: Option<String>,
}

impl MeetingSummary {
    /// The meeting has been held and recorded.
    pub fn held(&self) -> bool {
        self.status == "held"
    }

    /// How many cases it has over its capacity.
    pub fn over(&self) -> Option<i64> {
        let (listed, capacity) = (
            u32::try_from(self.listed).unwrap_or(u32::MAX),
            u32::try_from(self.capacity).unwrap_or(u32::MAX),
        );
        over_capacity(listed, capacity).map(i64::from)
    }
}

/// A case on an agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaCase {
    pub id: MaracCaseId,
    pub reference: String,
    pub person_id: PersonId,
    pub given_name: String,
    pub family_name: String,
    pub referred_at: DateTime<Utc>,
    pub referring_agency: String,
    pub repeat: bool,
    pub status: CaseStatus,
}

/// A meeting's agenda: the cases listed in order of referral, and the agencies expected.
#[derive(Debug, Clone)]
pub struct Agenda {
    pub meeting: MeetingSummary,
    pub cases: Vec<AgendaCase>,
    /// The agencies expected, and (once recorded) whether each attended.
    pub expected: Vec<Expected>,
}

/// An agency expected at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Expected {
    pub id: AgencyId,
    pub name: String,
    pub attended: Option<crate::db::Flag>,
}

impl Expected {
    pub fn came(&self) -> bool {
        self.attended.as_ref().is_some_and(|f| f.0)
    }
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: MeetingId,
    marac_id: MaracId,
    marac_name: String,
    held_on: String,
    starts_at: String,
    place: Option<String>,
    video_link: Option<String>,
    chair: String,
    capacity: i64,
    listed: i64,
    status: String,
    legal_basis: Option<String>,
    summary: Option<String>,
}

impl MeetingRow {
    fn into_summary(self) -> Result<MeetingSummary> {
        Ok(MeetingSummary {
            held_on: self
                .held_on
                .parse()
                .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?,
            id: self.id,
            marac_id: self.marac_id,
            marac_name: self.marac_name,
            starts_at: self.starts_at,
            place: self.place,
            video_link: self.video_link,
            chair: self.chair,
            capacity: self.capacity,
            listed: self.listed,
            status: self.status,
            legal_basis: self.legal_basis,
            summary: self.summary.map(crate::sealed::open_owned).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AgendaRow {
    id: MaracCaseId,
    reference: String,
    person_id: PersonId,
    given_name: String,
    family_name: String,
    referred_at: Stamp,
    agency: String,
    repeat_of: Option<String>,
    status: String,
}

const MEETING_SELECT: &str = "SELECT g.id, g.marac_id, m.name AS marac_name, g.held_on, g.starts_at, \
     g.place, g.video_link, g.chair, g.capacity, g.status, g.legal_basis, g.summary, \
     (SELECT COUNT(*) FROM marac_cases c WHERE c.meeting_id = g.id) AS listed \
     FROM marac_meetings g JOIN maracs m ON m.id = g.marac_id";

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl ScopedStore {
    /// Schedules a meeting of a MARAC.
    pub async fn schedule_meeting(
        &self,
        marac: &MaracId,
        input: &MeetingInput,
    ) -> Result<MeetingId> {
        self.grant(Action::ManageMarac)?;
        let mut errors = FieldErrors::new();
        let today = uk_date(Utc::now());
        let held_on = harbour_domain::support_plan::parse_day(&input.held_on);
        match held_on {
            None if input.held_on.trim().is_empty() => {
                errors.add("held_on", "Enter the date of the meeting");
            }
            None => {
                errors.add(
                    "held_on",
                    "The date must be a real date, for example 27/3/2026",
                );
            }
            Some(d) if d < today => {
                errors.add("held_on", "The meeting must be today or later");
            }
            Some(_) => {}
        }
        let starts_at = NaiveTime::parse_from_str(input.starts_at.trim(), "%H:%M");
        if starts_at.is_err() {
            errors.add(
                "starts_at",
                "Enter the time it starts, on the 24-hour clock, for example 10:00",
            );
        }
        let (place, video) = (text(&input.place), text(&input.video_link));
        if place.is_none() && video.is_none() {
            errors.add("place", "Enter where it is held, or the video link");
        }
        if video.as_ref().is_some_and(|v| !v.starts_with("https://")) {
            errors.add("video_link", "The video link must start with https://");
        }
        let chair = text(&input.chair);
        if chair.is_none() {
            errors.add("chair", "Enter who chairs it");
        }
        for (field, value) in [("place", &place), ("video_link", &video), ("chair", &chair)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
                errors.add(field, "Keep this to 200 characters or fewer");
            }
        }
        let capacity = match input.capacity.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(n) if (1..=60).contains(&n) => Some(n),
                _ => {
                    errors.add(
                        "capacity",
                        "Capacity must be a whole number of cases from 1 to 60",
                    );
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let mut tx = self.db().begin_write().await?;
        let m = self.marac_in(&mut tx, marac).await?;
        let members: Vec<String> =
            sqlx::query_scalar("SELECT agency_id FROM marac_members WHERE marac_id = $1")
                .bind(marac)
                .fetch_all(tx.conn())
                .await?;
        let expected: Vec<String> = if input.expected.is_empty() {
            members.clone()
        } else {
            if input.expected.iter().any(|e| !members.contains(e)) {
                return Err(StorageError::invalid(
                    "expected",
                    "Choose agencies that attend this MARAC",
                ));
            }
            input.expected.clone()
        };
        let id = MeetingId::from(new_id());
        let at = now();
        sqlx::query(
            "INSERT INTO marac_meetings (id, marac_id, held_on, starts_at, place, video_link, chair, \
             capacity, status, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10)",
        )
        .bind(&id)
        .bind(marac)
        .bind(held_on.map(|d| d.to_string()))
        .bind(starts_at.map(|t| t.format("%H:%M").to_string()).unwrap_or_default())
        .bind(&place)
        .bind(&video)
        .bind(&chair)
        .bind(capacity.unwrap_or(m.capacity))
        .bind(&at)
        .bind(self.actor().user_id.as_ref())
        .execute(tx.conn())
        .await?;
        // Cases referred while no meeting had room wait for this one, oldest first.
        sqlx::query(
            "UPDATE marac_cases SET meeting_id = $1 WHERE id IN (SELECT id FROM marac_cases \
             WHERE marac_id = $2 AND meeting_id IS NULL AND status = 'listed' \
             ORDER BY referred_at, id LIMIT $3)",
        )
        .bind(&id)
        .bind(marac)
        .bind(capacity.unwrap_or(m.capacity))
        .execute(tx.conn())
        .await?;
        for agency in &expected {
            sqlx::query("INSERT INTO marac_attendance (meeting_id, agency_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(agency)
                .execute(tx.conn())
                .await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Create,
            "marac_meeting",
            Some(id.as_str()),
            "schedule a MARAC meeting",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A MARAC's meetings from `from` on (all when none), soonest first, with how full each is.
    pub async fn meetings(
        &self,
        marac: &MaracId,
        from: Option<NaiveDate>,
    ) -> Result<Vec<MeetingSummary>> {
        let mut tx = self.db().begin_write().await?;
        self.marac_in(&mut tx, marac).await?;
        let rows: Vec<MeetingRow> = sqlx::query_as(&format!(
            "{MEETING_SELECT} WHERE g.marac_id = $1 AND g.held_on >= $2 ORDER BY g.held_on, g.starts_at"
        ))
        .bind(marac)
        .bind(from.map(|d| d.to_string()).unwrap_or_default())
        .fetch_all(tx.conn())
        .await?;
        tx.commit().await?;
        rows.into_iter().map(MeetingRow::into_summary).collect()
    }

    /// A meeting's agenda, the cases in order of referral. Reading it is audited: it names people.
    pub async fn agenda(&self, meeting: &MeetingId) -> Result<Agenda> {
        self.grant(Action::AttendMarac)?;
        let mut tx = self.db().begin_write().await?;
        let row: MeetingRow = sqlx::query_as(&format!("{MEETING_SELECT} WHERE g.id = $1"))
            .bind(meeting)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("meeting"))?;
        self.marac_in(&mut tx, &row.marac_id).await?;
        let cases: Vec<AgendaRow> = sqlx::query_as(
            "SELECT c.id, c.reference, c.person_id, p.given_name, p.family_name, c.referred_at, \
             a.name AS agency, c.repeat_of, c.status FROM marac_cases c JOIN persons p ON p.id = c.person_id \
             JOIN agencies a ON a.id = c.referring_agency_id WHERE c.meeting_id = $1 \
             ORDER BY c.referred_at, c.id",
        )
        .bind(meeting)
            .fetch_all(tx.conn())
            .await?;
        let expected: Vec<Expected> = sqlx::query_as(
            "SELECT a.id, a.name, t.attended FROM marac_attendance t JOIN agencies a ON a.id = t.agency_id \
             WHERE t.meeting_id = $1 ORDER BY a.name",
        )
        .bind(meeting)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "marac_meeting",
            Some(meeting.as_str()),
            "view a MARAC agenda",
        )
        .await?;
        tx.commit().await?;
        Ok(Agenda {
            meeting: row.into_summary()?,
            cases: cases
                .into_iter()
                .map(|r| {
                    Ok(AgendaCase {
                        status: CaseStatus::from_slug(&r.status).ok_or_else(|| {
                            StorageError::Corrupt(format!("MARAC case status {:?}", r.status))
                        })?,
                        id: r.id,
                        reference: r.reference,
                        person_id: r.person_id,
                        given_name: r.given_name,
                        family_name: r.family_name,
                        referred_at: r.referred_at.0,
                        referring_agency: r.agency,
                        repeat: r.repeat_of.is_some(),
                    })
                })
                .collect::<Result<_>>()?,
            expected,
        })
    }
}
