//! MARAC: the conference for the highest-risk domestic-abuse cases. A MARAC covers areas and is
//! attended by member agencies; everything about it is visible to its coordinators and to the
//! staff of its member agencies only, through the legal basis recorded for it (others find
//! nothing). Every read and write is audited.

mod actions;
mod cases;
mod meetings;
mod minutes;
mod record;
mod refer;
pub(crate) mod returns;
mod setup;

pub use actions::{MaracCounts, chase_overdue};
pub use cases::{MaracCase, Research, ResearchInput};
pub use meetings::{Agenda, AgendaCase, Expected, MeetingInput, MeetingSummary};
pub use minutes::{MinutedCase, Minutes};
pub use record::{MaracAction, Shared};
pub use refer::{MaracReferralInput, ReferralForMarac, Referred};
pub use returns::ReturnReport;
pub use setup::{MaracInput, MaracSettings, MaracSetup, create_marac};

use crate::db::WriteTx;
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use harbour_domain::ids::MaracId;
use harbour_domain::permission::Action;

/// A MARAC as its pages list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marac {
    pub id: MaracId,
    pub name: String,
    pub areas: Vec<String>,
    pub capacity: i64,
    pub coordinator: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MaracRow {
    id: MaracId,
    name: String,
    areas: String,
    capacity: i64,
    coordinator: Option<String>,
}

impl From<MaracRow> for Marac {
    fn from(r: MaracRow) -> Marac {
        Marac {
            id: r.id,
            name: r.name,
            areas: r.areas.split(',').map(str::to_owned).collect(),
            capacity: r.capacity,
            coordinator: r.coordinator,
        }
    }
}

impl ScopedStore {
    /// Whether the actor runs MARACs (and so sees every one).
    fn coordinates(&self) -> bool {
        self.may(Action::ManageMarac)
    }

    /// The MARACs the actor may see: every one for a coordinator, else those its agency attends.
    pub async fn maracs(&self) -> Result<Vec<Marac>> {
        self.grant(Action::AttendMarac)?;
        let rows: Vec<MaracRow> = sqlx::query_as(
            "SELECT m.id, m.name, m.areas, m.capacity, u.display_name AS coordinator FROM maracs m \
             LEFT JOIN users u ON u.id = m.coordinator_id \
             WHERE $1 OR EXISTS (SELECT 1 FROM marac_members mm WHERE mm.marac_id = m.id AND mm.agency_id = $2) \
             ORDER BY m.name",
        )
        .bind(self.coordinates())
        .bind(&self.actor().agency_id)
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows.into_iter().map(Marac::from).collect())
    }

    /// Refuses (as not found) a MARAC the actor may not see.
    pub(crate) async fn marac_in(&self, tx: &mut WriteTx, id: &MaracId) -> Result<Marac> {
        self.grant(Action::AttendMarac)?;
        let row: Option<MaracRow> = sqlx::query_as(
            "SELECT m.id, m.name, m.areas, m.capacity, u.display_name AS coordinator FROM maracs m \
             LEFT JOIN users u ON u.id = m.coordinator_id WHERE m.id = $1 \
             AND ($2 OR EXISTS (SELECT 1 FROM marac_members mm WHERE mm.marac_id = m.id AND mm.agency_id = $3))",
        )
        .bind(id)
        .bind(self.coordinates())
        .bind(&self.actor().agency_id)
        .fetch_optional(tx.conn())
        .await?;
        row.map(Marac::from).ok_or(StorageError::NotFound("MARAC"))
    }
}
