//! Reading onward referrals: the inbox, the hub's list, one referral as the actor may see it.

use super::*;
use sqlx::FromRow;

impl ScopedStore {
    /// The partner inbox: onward referrals to the actor's agency, those awaiting an answer
    /// first, then by the next deadline, oldest first.
    pub async fn inbox(&self, include_finished: bool) -> Result<Vec<OnwardSummary>> {
        self.grant(Action::ReceiveReferrals)?;
        self.onward_list(
            "o.recipient_agency_id = $1",
            include_finished,
            "view the partner inbox",
        )
        .await
    }

    /// The hub's follow-up list: every onward referral the actor's agency sent that is not
    /// finished (or all of them), ordered the same way, so overdue ones come first.
    pub async fn sent_onward(&self, include_finished: bool) -> Result<Vec<OnwardSummary>> {
        self.grant(Action::ReferOnward)?;
        self.onward_list(
            "o.sender_agency_id = $1",
            include_finished,
            "view onward referrals sent",
        )
        .await
    }

    async fn onward_list(
        &self,
        which: &str,
        include_finished: bool,
        purpose: &str,
    ) -> Result<Vec<OnwardSummary>> {
        let mut tx = self.db().begin_write().await?;
        let sql = format!(
            "{SUMMARY_SELECT} WHERE {which} {} \
             ORDER BY CASE WHEN o.state IN ('sent', 'acknowledged') THEN 0 ELSE 1 END, \
             CASE WHEN o.next_due_at IS NULL THEN 1 ELSE 0 END, o.next_due_at, o.sent_at LIMIT 500",
            if include_finished {
                ""
            } else {
                "AND o.state NOT IN ('rerouted', 'closed', 'withdrawn')"
            }
        );
        let list = summaries(&mut tx, &sql, self.actor().agency_id.as_str()).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "onward_referral",
            None,
            &format!("{purpose} ({} referrals)", list.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// The onward referrals made from one referral, for the hub's triage page and the
    /// referrer's view of what happened.
    pub async fn onward_for_referral(
        &self,
        referral_id: &ReferralId,
    ) -> Result<Vec<OnwardSummary>> {
        if !self.may(Action::ReferOnward) {
            // The referrer sees what became of their own referral.
            self.own_referral(referral_id).await?;
        }
        let mut tx = self.db().begin_write().await?;
        let sql = format!("{SUMMARY_SELECT} WHERE o.referral_id = $1 ORDER BY o.sent_at");
        let list = summaries(&mut tx, &sql, referral_id.as_str()).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral_id.as_str()),
            "view onward referrals",
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One onward referral, cut to what the actor may see.
    pub async fn onward_referral(&self, id: &OnwardId) -> Result<OnwardView> {
        let id = id.as_str();
        if !self.may(Action::ReferOnward) {
            self.grant(Action::ReceiveReferrals)?;
        }
        let mut tx = self.db().begin_write().await?;
        let row = sqlx::query(&format!("{SUMMARY_SELECT} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StorageError::NotFound("onward referral"))?;
        let party = self.party_for(&row)?;
        let now = Utc::now();
        let summary = summary_from(&row, now)?;
        let referral = read_referral(&mut tx, &summary.referral_id).await?;
        let decisions = history(&mut tx, &summary.referral_id).await?;
        let latest = decisions.first();
        let consent: ConsentRecord = sqlx::query("SELECT * FROM consents WHERE id = $1")
            .bind(row.try_get::<String, _>("consent_id")?)
            .fetch_one(tx.conn())
            .await
            .map(|r| ConsentRow::from_row(&r))??
            .try_into()?;
        let today = uk_date(Utc::now());
        let shares: Vec<Share> = match party {
            Party::Sender => Share::ALL.to_vec(),
            Party::Recipient if summary.state.taken_on() => {
                let lapsed = consent
                    .valid_until
                    .as_deref()
                    .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                    .is_some_and(|d| d < today);
                if lapsed {
                    Vec::new()
                } else {
                    consent.shares.clone()
                }
            }
            Party::Recipient => Vec::new(),
        };
        let shared = shared_details(&referral, latest, &shares);
        let events = sqlx::query(
            "SELECT e.*, COALESCE(u.display_name, 'Harbour') AS by_name, a.name AS agency_name FROM onward_events e \
             LEFT JOIN users u ON u.id = e.by_user JOIN agencies a ON a.id = e.by_agency \
             WHERE e.onward_referral_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| EventRow::from_row(r)?.try_into())
        .collect::<Result<Vec<_>>>()?;
        let deadlines = sqlx::query(
            "SELECT * FROM onward_deadlines WHERE onward_referral_id = $1 ORDER BY due_at",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let d = DeadlineRow::from_row(r)?;
            Ok(DeadlineRecord {
                milestone: parse(&d.milestone, "milestone", Milestone::from_slug)?,
                overdue: d.met_at.is_none() && d.due_at.0 < now,
                due_at: d.due_at.0,
                rule_name: d.rule_name,
                met_at: d.met_at.map(|m| m.0),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let (safe_contact, suspended) =
            match contact_rules(&mut tx, party, summary.state, &referral.person_id).await? {
                Ok((safe, suspended)) => (Some(safe), suspended),
                Err(_) => (None, Vec::new()),
            };
        let attempts = attempts_for(&mut tx, id).await?;
        let purpose = match (party, shares.is_empty()) {
            (Party::Sender, _) => "read an onward referral (sender)".to_owned(),
            (Party::Recipient, true) => "read an onward referral (minimum shared)".to_owned(),
            (Party::Recipient, false) => format!(
                "read an onward referral (shared by consent: {})",
                shares
                    .iter()
                    .map(|s| s.slug())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.audit(
            &mut tx,
            AuditAction::Read,
            "onward_referral",
            Some(id),
            &purpose,
        )
        .await?;
        tx.commit().await?;
        Ok(OnwardView {
            steps: steps_open_to(summary.state, party),
            party,
            age: referral.person.age_on(today),
            needs: latest.map(|d| d.needs.clone()).unwrap_or_default(),
            crime_category: referral.crime_category,
            note: row.try_get::<crate::sealed::Opened, _>("note")?.0,
            safe_contact,
            suspended,
            consent,
            shared,
            events,
            deadlines,
            attempts,
            summary,
        })
    }
}

fn shared_details(
    referral: &ReferralView,
    latest: Option<&crate::triage::TriageRecord>,
    shares: &[Share],
) -> SharedDetails {
    let has = |s: Share| shares.contains(&s);
    // The details held (confirmed), not what this referral first said.
    let p = &referral.held.person;
    let mut d = SharedDetails::default();
    if has(Share::Identity) {
        d.full_name = Some(p.full_name());
        d.date_of_birth = p.date_of_birth.map(|x| x.to_string());
        d.address = Some(p.address.clone());
        d.postcode = Some(p.postcode.clone());
    }
    if has(Share::Incident) {
        d.incident_date = referral.incident_date.map(|x| x.to_string());
        d.police_reference = referral.police_reference.clone();
        d.referral_notes = Some(referral.notes.clone());
    }
    if has(Share::Perpetrators) {
        d.perpetrators = Some(referral.perpetrators.clone());
    }
    if has(Share::Children) {
        d.children = Some(referral.children.clone());
    }
    if has(Share::RiskAssessment) {
        d.risk_score = latest.and_then(|l| l.risk_score);
        d.marac_referral = latest.map(|l| l.marac.met());
    }
    if has(Share::Circumstances) {
        d.language = Some(p.language.clone());
        d.interpreter_needed = Some(p.interpreter_needed);
        d.disability = Some(p.disability.clone());
    }
    d
}

/// A consent as stored.
#[derive(FromRow)]
struct ConsentRow {
    decision: String,
    shares: String,
    valid_until: Option<String>,
    legal_basis: Option<String>,
    justification: Option<String>,
    recorded_at: Stamp,
}

impl TryFrom<ConsentRow> for ConsentRecord {
    type Error = StorageError;

    fn try_from(r: ConsentRow) -> Result<ConsentRecord> {
        Ok(ConsentRecord {
            decision: r.decision,
            shares: from_json(&r.shares)?,
            valid_until: r.valid_until,
            legal_basis: r.legal_basis.as_deref().and_then(LegalBasis::from_slug),
            justification: r.justification,
            recorded_at: r.recorded_at.0,
        })
    }
}

/// A step in an onward referral's history as stored, with who took it.
#[derive(FromRow)]
struct EventRow {
    step: String,
    to_state: String,
    by_name: String,
    agency_name: String,
    at: Stamp,
    reason: Option<String>,
    note: Option<crate::sealed::Opened>,
}

impl TryFrom<EventRow> for EventRecord {
    type Error = StorageError;

    fn try_from(r: EventRow) -> Result<EventRecord> {
        Ok(EventRecord {
            step: r.step,
            to_state: parse(&r.to_state, "onward state", State::from_slug)?,
            by: r.by_name,
            agency: r.agency_name,
            at: r.at.0,
            reason: r.reason,
            note: r.note.map(String::from),
        })
    }
}

/// A deadline as stored.
#[derive(FromRow)]
struct DeadlineRow {
    milestone: String,
    due_at: Stamp,
    rule_name: String,
    met_at: Option<Stamp>,
}

/// A contact attempt as stored, with who made it.
#[derive(FromRow)]
struct AttemptRow {
    channel: String,
    result: String,
    note: crate::sealed::Opened,
    override_reason: Option<String>,
    by_name: String,
    agency_name: String,
    made_at: Stamp,
}

impl TryFrom<AttemptRow> for AttemptRecord {
    type Error = StorageError;

    fn try_from(r: AttemptRow) -> Result<AttemptRecord> {
        Ok(AttemptRecord {
            channel: parse(&r.channel, "channel", Channel::from_slug)?,
            result: parse(&r.result, "attempt result", AttemptResult::from_slug)?,
            note: r.note.0,
            reason: r.override_reason,
            by: r.by_name,
            agency: r.agency_name,
            at: r.made_at.0,
        })
    }
}

/// The contact attempts logged on an onward referral, oldest first.
pub(crate) async fn attempts_for(tx: &mut WriteTx, onward: &str) -> Result<Vec<AttemptRecord>> {
    sqlx::query(
        "SELECT c.*, COALESCE(u.display_name, 'Harbour') AS by_name, a.name AS agency_name \
         FROM contact_attempts c LEFT JOIN users u ON u.id = c.made_by \
         JOIN agencies a ON a.id = c.agency_id WHERE c.onward_referral_id = $1 ORDER BY c.made_at, c.id",
    )
    .bind(onward)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .map(|r| AttemptRow::from_row(r)?.try_into())
    .collect()
}
