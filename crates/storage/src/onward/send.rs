//! Referring on: the checks, and writing the referral on with its consent and deadlines.

use super::*;

impl ScopedStore {
    fn user_id(&self) -> Result<UserId> {
        self.actor()
            .user_id
            .clone()
            .ok_or(StorageError::NotFound("person"))
    }

    /// Refers the person on a triaged referral to a service, recording consent for its
    /// organisation first. A refusal is recorded and nothing is sent.
    pub async fn refer_onward(
        &self,
        referral_id: &ReferralId,
        input: &ReferOnInput,
    ) -> Result<ReferredOn> {
        let mut sent = self
            .refer_onward_many(referral_id, std::slice::from_ref(input))
            .await?;
        Ok(sent.remove(0))
    }

    /// Refers the person to several services at once, all or nothing: every input is checked
    /// first (errors named with each input's `field_prefix`), and only then is anything written.
    pub async fn refer_onward_many(
        &self,
        referral_id: &ReferralId,
        inputs: &[ReferOnInput],
    ) -> Result<Vec<ReferredOn>> {
        self.grant(Action::ReferOnward)?;
        checks::check_some_chosen(inputs).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let referral = read_referral(&mut tx, referral_id).await?;
        let latest = history(&mut tx, referral_id).await?.into_iter().next();
        let mut errors = FieldErrors::new();
        let mut unique: Vec<&ReferOnInput> = Vec::new();
        for input in inputs {
            if !unique
                .iter()
                .any(|u| u.service_id.trim() == input.service_id.trim())
            {
                unique.push(input);
            }
        }
        let mut checked = Vec::new();
        for input in &unique {
            let c = self
                .check_refer_on(&mut tx, &referral, latest.is_some(), input, &mut errors)
                .await?;
            checked.push(c);
        }
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let (Some(latest), Some(checked)) =
            (latest, checked.into_iter().collect::<Option<Vec<_>>>())
        else {
            return Err(StorageError::NotFound("service"));
        };
        let mut results = Vec::new();
        for (input, c) in unique.into_iter().zip(checked) {
            results.push(
                self.write_refer_on(&mut tx, &referral, &latest, input, c, None)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(results)
    }

    pub(crate) async fn refer_onward_in(
        &self,
        tx: &mut WriteTx,
        referral_id: &ReferralId,
        input: &ReferOnInput,
        rerouted_from: Option<&str>,
    ) -> Result<ReferredOn> {
        let referral = read_referral(tx, referral_id).await?;
        let latest = history(tx, referral_id).await?.into_iter().next();
        let mut errors = FieldErrors::new();
        let checked = self
            .check_refer_on(tx, &referral, latest.is_some(), input, &mut errors)
            .await?;
        match (checked, latest) {
            (Some(c), Some(latest)) if errors.is_empty() => {
                self.write_refer_on(tx, &referral, &latest, input, c, rerouted_from)
                    .await
            }
            _ => Err(StorageError::Invalid(errors)),
        }
    }

    /// Checks one referral on before anything is written ([`checks::check_refer_on`]), with
    /// what the database knows: the service, and whether it already has this referral open.
    /// Problems go into `errors`, named with the input's prefix.
    async fn check_refer_on(
        &self,
        tx: &mut WriteTx,
        referral: &ReferralView,
        triaged: bool,
        input: &ReferOnInput,
        errors: &mut FieldErrors,
    ) -> Result<Option<Checked>> {
        let service_id = input.service_id.trim();
        let target = match service(tx, service_id).await {
            Ok(s) => Some(s),
            Err(StorageError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let open_since: Option<String> = match &target {
            None => None,
            Some(_) => sqlx::query(
                "SELECT sent_at FROM onward_referrals WHERE referral_id = $1 AND service_id = $2 \
                 AND state NOT IN ('rerouted', 'closed', 'withdrawn', 'declined') LIMIT 1",
            )
            .bind(&referral.id)
            .bind(service_id)
            .fetch_optional(tx.conn())
            .await?
            .map(|row| row.try_get("sent_at"))
            .transpose()?,
        };
        let facts = target.as_ref().map(|s| checks::Target {
            name: &s.name,
            active: s.status == "active",
            through_harbour: s.agency_id.is_some(),
            open_since: open_since.as_deref(),
        });
        let consent = checks::check_refer_on(
            input,
            facts,
            triaged,
            self.may(Action::ShareWithoutConsent),
            Utc::now(),
            errors,
        );
        Ok(target
            .zip(consent)
            .map(|(target, consent)| Checked { target, consent }))
    }

    async fn write_refer_on(
        &self,
        tx: &mut WriteTx,
        referral: &ReferralView,
        latest: &crate::triage::TriageRecord,
        input: &ReferOnInput,
        checked: Checked,
        rerouted_from: Option<&str>,
    ) -> Result<ReferredOn> {
        let Checked { target, consent } = checked;
        let referral_id = referral.id.as_str();
        let sent = input.sent_at.unwrap_or_else(Utc::now);
        let at = format_time(sent);
        let today = uk_date(sent);
        let Some(recipient) = target.agency_id.clone() else {
            return Err(StorageError::NotFound("service"));
        };
        let user = self.user_id()?;

        let consent_id = new_id();
        let (basis, justification, until) = match &consent {
            Consent::Override {
                basis,
                justification,
                ..
            } => (Some(basis.slug()), Some(justification.clone()), None),
            Consent::Given { until, .. } => (None, None, until.map(|d| d.to_string())),
            Consent::Refused => (None, None, None),
        };
        sqlx::query(
            "INSERT INTO consents (id, person_id, referral_id, organization_id, decision, shares, valid_until, \
             legal_basis, justification, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&consent_id)
        .bind(&referral.person_id)
        .bind(referral_id)
        .bind(&target.organization_id)
        .bind(consent.slug())
        .bind(to_json(&consent_shares(&consent))?)
        .bind(until)
        .bind(basis)
        .bind(justification)
        .bind(&user)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        self.audit(
            tx,
            AuditAction::Create,
            "consent",
            Some(&consent_id),
            &format!("record consent ({}) for a referral on", consent.slug()),
        )
        .await?;
        if !consent.permits_referral(today) {
            return Ok(ReferredOn::ConsentRefused);
        }

        let id = new_id();
        let tier = ServiceTier::from_slug(&latest.tier);
        let risk = RiskLevel::from_slug(&latest.risk_level);
        sqlx::query(
            "INSERT INTO onward_referrals (id, referral_id, person_id, service_id, recipient_agency_id, sender_agency_id, \
             sent_by, sent_at, consent_id, state, state_at, tier, risk_level, circumstances, returned_at, note, \
             rerouted_from, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $11, $12, $13, $14, $15, $16, $8)",
        )
        .bind(&id)
        .bind(referral_id)
        .bind(&referral.person_id)
        .bind(input.service_id.trim())
        .bind(&recipient)
        .bind(&self.actor().agency_id)
        .bind(&user)
        .bind(&at)
        .bind(&consent_id)
        .bind(State::Sent.slug())
        .bind(tier.map(ServiceTier::slug))
        .bind(risk.map(RiskLevel::slug))
        .bind(to_json(&input.circumstances)?)
        .bind(input.returned_at.map(format_time))
        .bind(tx.keyring()?.seal(crate::sealed::ONWARD_NOTE, input.note.trim())?)
        .bind(rerouted_from)
        .execute(tx.conn())
        .await?;
        self.record_event(tx, &id, "send", None, State::Sent, None, None, &at)
            .await?;

        let received = referral.received_at;
        let case = Case {
            service_id: input.service_id.trim(),
            tier,
            risk,
            crime: referral.crime_category,
            circumstances: &input.circumstances,
            sent_at: sent,
            received_at: received,
            returned_at: input.returned_at,
        };
        let rules = deadline::default_rules();
        for due in deadline::deadlines(&rules, &case, &WorkingDays::england_and_wales()) {
            sqlx::query(
                "INSERT INTO onward_deadlines (onward_referral_id, milestone, due_at, rule_id, rule_name) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(due.milestone.slug())
            .bind(format_time(due.due_at))
            .bind(&due.rule_id)
            .bind(&due.rule_name)
            .execute(tx.conn())
            .await?;
        }
        refresh_next_due(tx, &id).await?;
        sqlx::query("UPDATE referrals SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(Status::ReferredOn.slug())
            .bind(&at)
            .bind(referral_id)
            .execute(tx.conn())
            .await?;
        match &consent {
            Consent::Override { basis, .. } => {
                self.audit(
                    tx,
                    AuditAction::ShareWithoutConsent,
                    "onward_referral",
                    Some(&id),
                    &format!(
                        "refer on without consent to {} (legal basis: {})",
                        target.name,
                        basis.slug()
                    ),
                )
                .await?;
            }
            _ => {
                self.audit(
                    tx,
                    AuditAction::Create,
                    "onward_referral",
                    Some(&id),
                    &format!("refer on to {}", target.name),
                )
                .await?;
            }
        }
        notify::notify_agency(
            tx,
            &recipient,
            Some(Role::Caseworker),
            Event::Received,
            &id,
            &format!("received:{id}"),
        )
        .await?;
        crate::reports::facts::touch(tx, referral_id).await?;
        Ok(ReferredOn::Sent { id: id.into() })
    }
}

/// A service the hub can refer to through Harbour: active, and run by an organisation with an
/// agency (an inbox) here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referable {
    pub service_id: String,
    pub service_name: String,
    pub organization_id: String,
    pub organization_name: String,
}

impl ScopedStore {
    /// Every service that receives referrals through Harbour, by name.
    pub async fn referable_services(&self) -> Result<Vec<Referable>> {
        self.grant(Action::ReferOnward)?;
        self.referable(None).await
    }

    /// The services a case can be transferred to: every one that receives referrals through
    /// Harbour, except the caseworker's own agency's.
    pub async fn transfer_services(&self) -> Result<Vec<Referable>> {
        self.grant(Action::WorkCases)?;
        self.referable(Some(&self.actor().agency_id)).await
    }

    async fn referable(
        &self,
        except: Option<&harbour_domain::ids::AgencyId>,
    ) -> Result<Vec<Referable>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, o.id AS organization_id, o.name AS organization_name \
             FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id \
             WHERE s.status = 'active' AND o.agency_id IS NOT NULL \
             AND ($1 IS NULL OR o.agency_id <> $1) ORDER BY s.name",
        )
        .bind(except)
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Referable {
                    service_id: r.try_get("id")?,
                    service_name: r.try_get("name")?,
                    organization_id: r.try_get("organization_id")?,
                    organization_name: r.try_get("organization_name")?,
                })
            })
            .collect()
    }
}
