//! Contacting the person: the gate's answer, attempts as logged, suspended channels reviewed.

use super::*;

impl ScopedStore {
    /// Asks the contact gate whether the person on an onward referral may be contacted by
    /// `channel` now, and at which number or address.
    pub async fn contact_permit(
        &self,
        id: &OnwardId,
        channel: Channel,
    ) -> Result<std::result::Result<Permit, Refusal>> {
        let view = self.onward_referral(id).await?;
        Ok(match &view.safe_contact {
            Some(safe) => contact_gate::decide(safe, &view.suspended, channel, Utc::now()),
            None => Err(Refusal::NotWorkingReferral),
        })
    }

    /// Logs an attempt to contact the person on an onward referral. An unsafe or wrong-number
    /// result suspends the channel until someone reviews it; any attempt meets the first
    /// contact attempt deadline, speaking to the person the first contact one.
    pub async fn record_contact_attempt(&self, id: &OnwardId, input: &AttemptInput) -> Result<()> {
        let id = id.as_str();
        self.grant(Action::RecordContact)?;
        let (channel, result) = checks::check_attempt(input).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let person_id: String = row.try_get("person_id")?;
        let (safe, suspended) = contact_rules_for_row(&mut tx, &row, party).await?;
        let refused = contact_gate::decide(&safe, &suspended, channel, Utc::now()).err();
        let reason = checks::check_override_reason(refused.as_ref(), &input.reason)
            .map_err(StorageError::Invalid)?;
        let at = now();
        let attempt_id = new_id();
        sqlx::query(
            "INSERT INTO contact_attempts (id, person_id, onward_referral_id, channel, result, note, made_by, agency_id, made_at, override_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&attempt_id)
        .bind(&person_id)
        .bind(id)
        .bind(channel.slug())
        .bind(result.slug())
        .bind(
            tx.keyring()?
                .seal(crate::sealed::CONTACT_NOTE, input.note.trim())?,
        )
        .bind(&self.actor().user_id)
        .bind(&self.actor().agency_id)
        .bind(&at)
        .bind(reason)
        .execute(tx.conn())
        .await?;
        if result.suspends_channel() {
            sqlx::query(
                "INSERT INTO contact_suspensions (id, person_id, channel, attempt_id, suspended_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(&person_id)
            .bind(channel.slug())
            .bind(&attempt_id)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        for m in milestones_met_by(result) {
            meet(&mut tx, id, m, &at).await?;
        }
        // Speaking to the person is the case's last contact too.
        if result.made_contact() {
            sqlx::query(
                "UPDATE cases SET last_contact_at = $1, updated_at = $1 WHERE onward_referral_id = $2 \
                 AND agency_id = $3 AND (last_contact_at IS NULL OR last_contact_at < $1)",
            )
            .bind(&at)
            .bind(id)
            .bind(&self.actor().agency_id)
            .execute(tx.conn())
            .await?;
        }
        refresh_next_due(&mut tx, id).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "contact_attempt",
            Some(&attempt_id),
            &format!(
                "log a contact attempt ({}, {})",
                channel.slug(),
                result.slug()
            ),
        )
        .await?;
        crate::reports::facts::touch_onward(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lifts the suspension of a channel for the person on an onward referral, after review.
    pub async fn review_channel(&self, id: &OnwardId, channel: Channel, note: &str) -> Result<()> {
        let id = id.as_str();
        self.grant(Action::RecordContact)?;
        let note = checks::check_review_note(note).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let (row, _) = self.onward_row(&mut tx, id).await?;
        let person_id: String = row.try_get("person_id")?;
        sqlx::query(
            "UPDATE contact_suspensions SET reviewed_by = $1, reviewed_at = $2, review_note = $3 \
             WHERE person_id = $4 AND channel = $5 AND reviewed_at IS NULL",
        )
        .bind(&self.actor().user_id)
        .bind(now())
        .bind(&note)
        .bind(&person_id)
        .bind(channel.slug())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "person",
            Some(&person_id),
            &format!("review a suspended contact channel ({})", channel.slug()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The contact gate's rules for one side of an onward referral: the person's, unless the side
/// asking is a service that declined it or whose part has ended, which gets no way to contact them.
pub(super) async fn contact_rules(
    tx: &mut WriteTx,
    party: Party,
    state: State,
    person_id: &PersonId,
) -> Result<std::result::Result<(SafeContact, Vec<Channel>), Refusal>> {
    if party == Party::Recipient && !state.recipient_works_it() {
        return Ok(Err(Refusal::NotWorkingReferral));
    }
    Ok(Ok(
        crate::person_details::person_contact(tx, person_id).await?
    ))
}

/// [`contact_rules`] for the onward referral in `row`, for a step that contacts the person: a
/// side with no way to contact them is refused, naming the channel field.
pub(super) async fn contact_rules_for_row(
    tx: &mut WriteTx,
    row: &AnyRow,
    party: Party,
) -> Result<(SafeContact, Vec<Channel>)> {
    let state: String = row.try_get("state")?;
    let state = parse(&state, "onward state", State::from_slug)?;
    let person_id: PersonId = row.try_get("person_id")?;
    contact_rules(tx, party, state, &person_id)
        .await?
        .map_err(|refusal| StorageError::invalid("channel", &refusal.message()))
}

/// The channels suspended for a person by an unsafe or wrong-number attempt not yet reviewed.
pub(crate) async fn suspended_channels(
    tx: &mut WriteTx,
    person_id: &PersonId,
) -> Result<Vec<Channel>> {
    Ok(sqlx::query(
        "SELECT DISTINCT channel FROM contact_suspensions WHERE person_id = $1 AND reviewed_at IS NULL",
    )
    .bind(person_id)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .filter_map(|r| Channel::from_slug(&r.try_get::<String, _>("channel").ok()?))
    .collect())
}

/// What the attempt results mean for deadlines: any attempt meets "first contact attempt";
/// speaking to the person also meets "first contact" and the return-home interview.
fn milestones_met_by(result: AttemptResult) -> Vec<Milestone> {
    let mut m = vec![Milestone::FirstContactAttempt];
    if result.made_contact() {
        m.push(Milestone::FirstContact);
        m.push(Milestone::ReturnHomeInterview);
    }
    m
}
