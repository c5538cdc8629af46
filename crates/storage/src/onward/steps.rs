//! A step on an onward referral, by the service or the hub.

use super::*;

impl ScopedStore {
    /// Takes a step on an onward referral: checks who may take it and whether it can be taken
    /// now, records who and when, meets the deadlines it meets.
    pub async fn take_step(&self, id: &OnwardId, input: &StepInput) -> Result<State> {
        let id = id.as_str();
        if !self.may(Action::ReferOnward) {
            self.grant(Action::ReceiveReferrals)?;
        }
        let step = checks::parse_step(input).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let from: String = row.try_get("state")?;
        let from = parse(&from, "onward state", State::from_slug)?;
        let to = transition(from, step, party)
            .map_err(|e| StorageError::invalid("step", &e.to_string()))?;
        let checks::StepRecord { reason, note } =
            checks::check_step(step, input).map_err(StorageError::Invalid)?;
        let note = note.as_deref();
        let at = now();
        let changed = sqlx::query(
            "UPDATE onward_referrals SET state = $1, state_at = $2, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(to.slug())
        .bind(&at)
        .bind(id)
        .bind(from.slug())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StorageError::invalid(
                "step",
                "Someone else changed this referral at the same moment; look at it again",
            ));
        }
        match step {
            Step::Decline => {
                sqlx::query("UPDATE onward_referrals SET decline_reason = $1, decline_note = $2 WHERE id = $3")
                    .bind(reason)
                    .bind(tx.keyring()?.seal_opt(crate::sealed::DECLINE_NOTE, note)?)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
            }
            Step::RecordOutcome => {
                sqlx::query(
                    "UPDATE onward_referrals SET outcome = $1, outcome_note = $2 WHERE id = $3",
                )
                .bind(reason)
                .bind(tx.keyring()?.seal_opt(crate::sealed::OUTCOME_NOTE, note)?)
                .bind(id)
                .execute(tx.conn())
                .await?;
            }
            _ => {}
        }
        // Any answer from the service meets "acknowledge"; a final state ends every deadline.
        if party == Party::Recipient {
            meet(&mut tx, id, Milestone::Acknowledge, &at).await?;
        }
        if to.is_final() {
            sqlx::query(
                "UPDATE onward_deadlines SET met_at = $2 WHERE onward_referral_id = $1 AND met_at IS NULL",
            )
            .bind(id)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        refresh_next_due(&mut tx, id).await?;
        // A service that takes the person on has a case to work from then on.
        if step == Step::Accept && party == Party::Recipient {
            crate::cases::open_for_onward(&mut tx, self, &row, &at).await?;
            crate::cases::close_transferred(&mut tx, self, &row, &at).await?;
        }
        self.record_event(&mut tx, id, step.slug(), Some(from), to, reason, note, &at)
            .await?;
        // The other side hears of it: by e-mail when it must act (a decline for the sender to
        // re-route or close; a withdrawal for the service), and always by webhook.
        let (other, email_role) = match party {
            Party::Recipient => (
                row.try_get::<String, _>("sender_agency_id")?,
                (to == State::Declined).then_some(Role::TriageOfficer),
            ),
            Party::Sender => (
                row.try_get::<String, _>("recipient_agency_id")?,
                (to == State::Withdrawn).then_some(Role::Caseworker),
            ),
        };
        notify::notify_agency(
            &mut tx,
            &other,
            email_role,
            Event::Changed { state: to },
            id,
            &format!("{}:{id}", to.slug()),
        )
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "onward_referral",
            Some(id),
            &format!("onward referral: {}", step.slug()),
        )
        .await?;
        if let (Step::Reroute, Some(next)) = (step, &input.reroute) {
            let referral_id: ReferralId = row.try_get("referral_id")?;
            match self
                .refer_onward_in(&mut tx, &referral_id, next, Some(id))
                .await?
            {
                ReferredOn::Sent { .. } => {}
                ReferredOn::ConsentRefused => {
                    return Err(StorageError::invalid(
                        "consent/decision",
                        "The person refused consent for that organisation, so the referral cannot be re-routed there",
                    ));
                }
            }
        }
        crate::reports::facts::touch_onward(&mut tx, id).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Keeps a case's onward referral in step with the case, in the case's transaction: a case
    /// closing records the outcome (starting support first if it was only accepted), so the
    /// sender hears how support ended; a case reopened resumes support. A referral already past
    /// that (closed, withdrawn) is left as it is.
    pub(crate) async fn follow_case(
        &self,
        tx: &mut WriteTx,
        id: &OnwardId,
        change: CaseChange,
        at: &str,
    ) -> Result<()> {
        let (row, party) = self.onward_row(tx, id.as_str()).await?;
        if party != Party::Recipient {
            return Ok(());
        }
        self.move_with_case(tx, &row, change, at).await
    }

    /// Moves the onward referral in `row` as its case changed (see [`Self::follow_case`]),
    /// whoever's action changed the case: the service's own, or another service accepting the
    /// case's transfer.
    pub(crate) async fn move_with_case(
        &self,
        tx: &mut WriteTx,
        row: &AnyRow,
        change: CaseChange,
        at: &str,
    ) -> Result<()> {
        let id: String = row.try_get("id")?;
        let id = id.as_str();
        let from: String = row.try_get("state")?;
        let from = parse(&from, "onward state", State::from_slug)?;
        let path: &[Step] = match (&change, from) {
            (CaseChange::Closed { .. }, State::Accepted) => {
                &[Step::StartService, Step::RecordOutcome]
            }
            (CaseChange::Closed { .. }, State::InService) => &[Step::RecordOutcome],
            (CaseChange::Reopened, State::OutcomeRecorded) => &[Step::Resume],
            _ => &[],
        };
        let mut state = from;
        for step in path {
            let to = transition(state, *step, Party::Recipient)
                .map_err(|e| StorageError::invalid("step", &e.to_string()))?;
            sqlx::query(
                "UPDATE onward_referrals SET state = $1, state_at = $2, updated_at = $2 WHERE id = $3",
            )
            .bind(to.slug())
            .bind(at)
            .bind(id)
            .execute(tx.conn())
            .await?;
            let (reason, note) = match (&change, step) {
                (CaseChange::Closed { outcome, note }, Step::RecordOutcome) => {
                    sqlx::query(
                        "UPDATE onward_referrals SET outcome = $1, outcome_note = $2 WHERE id = $3",
                    )
                    .bind(outcome.slug())
                    .bind(tx.keyring()?.seal(crate::sealed::OUTCOME_NOTE, note)?)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
                    (Some(outcome.slug()), Some(note.as_str()))
                }
                _ => (None, Some("recorded on the service's case")),
            };
            self.record_event(tx, id, step.slug(), Some(state), to, reason, note, at)
                .await?;
            state = to;
        }
        if state != from {
            meet(tx, id, Milestone::Acknowledge, at).await?;
            refresh_next_due(tx, id).await?;
            let sender: String = row.try_get("sender_agency_id")?;
            notify::notify_agency(
                tx,
                &sender,
                None,
                Event::Changed { state },
                id,
                &format!("{}:{id}:{at}", state.slug()),
            )
            .await?;
        }
        Ok(())
    }
}

/// What happened to a case that its onward referral follows.
pub(crate) enum CaseChange {
    /// Closed, with the outcome its reason gives and the words to record with it.
    Closed {
        outcome: Outcome,
        note: String,
    },
    Reopened,
}
