//! Reading onward referrals: the inbox, the hub's list, one referral as the actor may see it.

use super::*;

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
        let list = summaries(&mut tx, &sql, &self.actor().agency_id).await?;
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
    pub async fn onward_for_referral(&self, referral_id: &str) -> Result<Vec<OnwardSummary>> {
        if !self.may(Action::ReferOnward) {
            // The referrer sees what became of their own referral.
            self.own_referral(referral_id).await?;
        }
        let mut tx = self.db().begin_write().await?;
        let sql = format!("{SUMMARY_SELECT} WHERE o.referral_id = $1 ORDER BY o.sent_at");
        let list = summaries(&mut tx, &sql, referral_id).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "referral",
            Some(referral_id),
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
        let now_text = now();
        let summary = summary_from(&row, &now_text)?;
        let referral = read_referral(&mut tx, &summary.referral_id).await?;
        let decisions = history(&mut tx, &summary.referral_id).await?;
        let latest = decisions.first();
        let consent_row = sqlx::query("SELECT * FROM consents WHERE id = $1")
            .bind(row.try_get::<String, _>("consent_id")?)
            .fetch_one(tx.conn())
            .await?;
        let consent = ConsentRecord {
            decision: consent_row.try_get("decision")?,
            shares: from_json(&consent_row.try_get::<String, _>("shares")?)?,
            valid_until: consent_row.try_get("valid_until")?,
            legal_basis: consent_row
                .try_get::<Option<String>, _>("legal_basis")?
                .as_deref()
                .and_then(LegalBasis::from_slug),
            justification: consent_row.try_get("justification")?,
            recorded_at: consent_row.try_get("recorded_at")?,
        };
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
        .map(|r| {
            let to: String = r.try_get("to_state")?;
            Ok(EventRecord {
                step: r.try_get("step")?,
                to_state: parse(&to, "onward state", State::from_slug)?,
                by: r.try_get("by_name")?,
                agency: r.try_get("agency_name")?,
                at: r.try_get("at")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let deadlines = sqlx::query(
            "SELECT * FROM onward_deadlines WHERE onward_referral_id = $1 ORDER BY due_at",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let m: String = r.try_get("milestone")?;
            let due_at: String = r.try_get("due_at")?;
            let met_at: Option<String> = r.try_get("met_at")?;
            Ok(DeadlineRecord {
                milestone: parse(&m, "milestone", Milestone::from_slug)?,
                overdue: met_at.is_none() && due_at < now_text,
                due_at,
                rule_name: r.try_get("rule_name")?,
                met_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let (safe_contact, suspended) =
            match contact_rules(&mut tx, party, summary.state, &referral.person_id).await? {
                Ok((safe, suspended)) => (Some(safe), suspended),
                Err(_) => (None, Vec::new()),
            };
        let attempts = sqlx::query(
            "SELECT c.*, COALESCE(u.display_name, 'Harbour') AS by_name, a.name AS agency_name \
             FROM contact_attempts c LEFT JOIN users u ON u.id = c.made_by \
             JOIN agencies a ON a.id = c.agency_id WHERE c.onward_referral_id = $1 ORDER BY c.made_at, c.id",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| {
            let channel: String = r.try_get("channel")?;
            let result: String = r.try_get("result")?;
            Ok(AttemptRecord {
                channel: parse(&channel, "channel", Channel::from_slug)?,
                result: parse(&result, "attempt result", AttemptResult::from_slug)?,
                note: r.try_get("note")?,
                reason: r.try_get("override_reason")?,
                by: r.try_get("by_name")?,
                agency: r.try_get("agency_name")?,
                at: r.try_get("made_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
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
            note: row.try_get("note")?,
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
