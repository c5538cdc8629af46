//! A held meeting's minutes, made from what was recorded, for the agencies that attended it
//! (and the coordinators): who came, the legal basis, and per case what was shared, the risks and
//! the actions agreed; the chair's summary.

use super::record::{MaracAction, Shared};
use super::*;
use crate::db::Flag;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{MaracCaseId, MeetingId};

/// One case in the minutes.
#[derive(Debug, Clone)]
pub struct MinutedCase {
    pub id: MaracCaseId,
    pub reference: String,
    pub name: String,
    pub shared: Vec<Shared>,
    pub risks: Option<String>,
    pub actions: Vec<MaracAction>,
}

/// A held meeting's minutes.
#[derive(Debug, Clone)]
pub struct Minutes {
    pub meeting: MeetingSummary,
    pub attended: Vec<String>,
    pub absent: Vec<String>,
    pub cases: Vec<MinutedCase>,
}

impl ScopedStore {
    /// The minutes of a held meeting, for an agency that attended it or a coordinator.
    pub async fn minutes(&self, meeting: &MeetingId) -> Result<Minutes> {
        let agenda = self.agenda(meeting).await?;
        let mut tx = self.db().begin_write().await?;
        let came = agenda
            .expected
            .iter()
            .any(|e| e.came() && e.id == self.actor().agency_id);
        if !agenda.meeting.held() || !(came || self.may(Action::ManageMarac)) {
            return Err(StorageError::NotFound("minutes"));
        }
        let mut cases = Vec::new();
        for c in &agenda.cases {
            let (shared, actions) = self.shared_and_actions(&mut tx, &c.id).await?;
            let risks: Option<crate::sealed::Opened> =
                sqlx::query_scalar("SELECT risks FROM marac_cases WHERE id = $1")
                    .bind(&c.id)
                    .fetch_one(tx.conn())
                    .await?;
            let risks = risks.map(String::from);
            cases.push(MinutedCase {
                id: c.id.clone(),
                reference: c.reference.clone(),
                name: format!("{} {}", c.given_name, c.family_name),
                shared,
                risks,
                actions,
            });
        }
        self.audit(
            &mut tx,
            AuditAction::Read,
            "marac_meeting",
            Some(meeting.as_str()),
            "read MARAC minutes",
        )
        .await?;
        tx.commit().await?;
        let (attended, absent): (Vec<_>, Vec<_>) = agenda
            .expected
            .iter()
            .partition(|e| e.attended == Some(Flag(true)));
        Ok(Minutes {
            meeting: agenda.meeting,
            attended: attended.into_iter().map(|e| e.name.clone()).collect(),
            absent: absent.into_iter().map(|e| e.name.clone()).collect(),
            cases,
        })
    }
}
