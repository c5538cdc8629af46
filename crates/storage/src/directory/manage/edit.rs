//! Changing an entry: adding a service, saving an edit with its history, capacity, and
//! "last checked".

use super::changes::differences;
use super::*;

impl ScopedStore {
    /// Adds a service under an organisation the actor may keep.
    pub async fn create_service(
        &self,
        organization_id: &str,
        entry: &ServiceEntry,
    ) -> Result<String> {
        self.grant(Action::ManageDirectory)?;
        let orgs = self.organizations_to_manage().await?;
        if !orgs.iter().any(|o| o.id == organization_id) {
            return Err(StorageError::invalid(
                "organization_id",
                "Choose an organisation from the list",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let stamp = now();
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "INSERT INTO dir_services (id, organization_id, name, status, last_modified, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(&entry.name)
        .bind(entry.status.code())
        .bind(&stamp)
        .execute(tx.conn())
        .await?;
        self.write_entry(&mut tx, &id, entry, None).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "directory_service",
            Some(&id),
            "add a directory entry",
        )
        .await?;
        tx.commit().await?;
        crate::directory::profiles::forget(self.db());
        Ok(id)
    }

    /// Saves an edited entry; each field that changed goes in its history.
    pub async fn update_service(&self, id: &str, entry: &ServiceEntry) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let before = read::services_full(self.db(), &[id.to_owned()], View::Partner)
            .await?
            .pop()
            .ok_or(StorageError::NotFound("service"))?;
        let mut tx = self.db().begin_write().await?;
        self.write_entry(&mut tx, id, entry, Some((&before, &summary)))
            .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "edit a directory entry",
        )
        .await?;
        tx.commit().await?;
        crate::directory::profiles::forget(self.db());
        Ok(())
    }

    async fn write_entry(
        &self,
        tx: &mut WriteTx,
        id: &str,
        e: &ServiceEntry,
        before: Option<(&Service, &ServiceSummary)>,
    ) -> Result<()> {
        let el = &e.eligibility;
        sqlx::query(
            "UPDATE dir_services SET name = $2, description = $3, status = $4, url = $5, email = $6, alert = $7, \
             minimum_age = $8, maximum_age = $9, gender = $10, referral_route = $11, referral_email = $12, \
             referral_phone = $13, capacity_unit = $14, last_modified = $15 WHERE id = $1",
        )
        .bind(id)
        .bind(&e.name)
        .bind(&e.description)
        .bind(e.status.code())
        .bind(&e.url)
        .bind(&e.email)
        .bind(&e.alert)
        .bind(el.minimum_age.map(i64::from))
        .bind(el.maximum_age.map(i64::from))
        .bind(el.gender.unwrap_or(harbour_domain::directory::GenderEligibility::Any).slug())
        .bind(e.referral_route.slug())
        .bind(&e.referral_email)
        .bind(&e.referral_phone)
        .bind(&e.capacity_unit)
        .bind(now())
        .execute(tx.conn())
        .await?;

        // Needs, tiers and crimes: Harbour's attributes, replaced; other vocabularies' kept.
        clear_harbour_links(tx, id).await?;
        let links = el
            .needs
            .iter()
            .map(|n| (HarbourTaxonomy::Needs, n.slug()))
            .chain(el.tiers.iter().map(|t| (HarbourTaxonomy::Tiers, t.slug())))
            .chain(
                el.crime_categories
                    .iter()
                    .map(|c| (HarbourTaxonomy::Crimes, c.slug())),
            );
        for (taxonomy, code) in links {
            sqlx::query(
                "INSERT INTO dir_attributes (id, link_id, link_type, link_entity, taxonomy_term_id) VALUES ($1, $2, $3, 'service', $4)",
            )
            .bind(new_id())
            .bind(id)
            .bind(taxonomy.link_type())
            .bind(taxonomy.term_id(code).to_string())
            .execute(tx.conn())
            .await?;
        }

        // Named areas, replaced; drawn ones kept.
        sqlx::query(
            "DELETE FROM dir_service_areas WHERE service_id = $1 AND area_code IS NOT NULL",
        )
        .bind(id)
        .execute(tx.conn())
        .await?;
        for code in &e.areas {
            let name: Option<String> = sqlx::query("SELECT name FROM areas WHERE gss_code = $1")
                .bind(code)
                .fetch_optional(tx.conn())
                .await?
                .map(|r| r.try_get("name"))
                .transpose()?;
            let name = name.unwrap_or_else(|| match code.as_str() {
                "W92000004" => "Wales".into(),
                _ => "England".into(),
            });
            sqlx::query(
                "INSERT INTO dir_service_areas (id, service_id, name, extent_type, uri, area_code) VALUES ($1, $2, $3, 'text', $4, $5)",
            )
            .bind(new_id())
            .bind(id)
            .bind(name)
            .bind(area_uri(code))
            .bind(code)
            .execute(tx.conn())
            .await?;
        }

        note_area_limits(tx, id).await?;

        // The published line: one public phone, replaced.
        sqlx::query("DELETE FROM dir_phones WHERE service_id = $1 AND confidential = $2")
            .bind(id)
            .bind(false)
            .execute(tx.conn())
            .await?;
        if let Some(p) = &e.public_phone {
            sqlx::query(
                "INSERT INTO dir_phones (id, service_id, number, type, description, confidential) VALUES ($1, $2, $3, 'voice', 'Public line', $4)",
            )
            .bind(new_id())
            .bind(id)
            .bind(p)
            .bind(false)
            .execute(tx.conn())
            .await?;
        }

        let who = self.loader(&self.actor_label().await?);
        match before {
            None => {
                let c = Change {
                    resource_id: id,
                    resource_type: "service",
                    action: "create",
                    field: "*",
                    previous: "",
                    replacement: &e.name,
                };
                record_change(tx, &c, &who).await?;
            }
            Some((old, summary)) => {
                for (field, previous, replacement) in differences(old, summary, e) {
                    let c = Change {
                        resource_id: id,
                        resource_type: "service",
                        action: "update",
                        field,
                        previous: &previous,
                        replacement: &replacement,
                    };
                    record_change(tx, &c, &who).await?;
                }
            }
        }
        Ok(())
    }

    /// The name the change history shows for the actor.
    async fn actor_label(&self) -> Result<String> {
        match &self.actor().user_id {
            Some(uid) => Ok(sqlx::query("SELECT display_name FROM users WHERE id = $1")
                .bind(uid)
                .fetch_optional(self.db().pool())
                .await?
                .map(|r| r.try_get::<String, _>("display_name"))
                .transpose()?
                .unwrap_or_else(|| "a member of staff".into())),
            None => Ok("an integration".into()),
        }
    }

    /// Records how much room a service has now.
    pub async fn update_capacity(&self, id: &str, free: u32, total: Option<u32>) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let mut tx = self.db().begin_write().await?;
        sqlx::query(
            "UPDATE dir_services SET capacity_free = $2, capacity_total = $3, capacity_updated_at = $4, capacity_updated_by = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(free))
        .bind(total.map(i64::from))
        .bind(now())
        .bind(&self.actor().user_id)
        .execute(tx.conn())
        .await?;
        let show = |f: Option<i64>, t: Option<i64>| match (f, t) {
            (Some(f), Some(t)) => format!("{f} of {t}"),
            (Some(f), None) => f.to_string(),
            _ => String::new(),
        };
        let who = self.loader(&self.actor_label().await?);
        let c = Change {
            resource_id: id,
            resource_type: "service",
            action: "capacity",
            field: "capacity",
            previous: &show(summary.capacity_free, summary.capacity_total),
            replacement: &show(Some(i64::from(free)), total.map(i64::from)),
        };
        record_change(&mut tx, &c, &who).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "update capacity",
        )
        .await?;
        tx.commit().await?;
        crate::directory::profiles::forget(self.db());
        Ok(())
    }

    /// Confirms the entry is right as it stands, today.
    pub async fn mark_checked(&self, id: &str, today: chrono::NaiveDate) -> Result<()> {
        let summary = self.summary_of(id).await?;
        self.check_manage(&summary)?;
        let mut tx = self.db().begin_write().await?;
        let day = today.format("%Y-%m-%d").to_string();
        sqlx::query(
            "UPDATE dir_services SET last_checked_on = $2, last_checked_by = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(&day)
        .bind(&self.actor().user_id)
        .execute(tx.conn())
        .await?;
        let who = self.loader(&self.actor_label().await?);
        let c = Change {
            resource_id: id,
            resource_type: "service",
            action: "checked",
            field: "last_checked_on",
            previous: summary.last_checked_on.as_deref().unwrap_or(""),
            replacement: &day,
        };
        record_change(&mut tx, &c, &who).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "directory_service",
            Some(id),
            "confirm a directory entry is current",
        )
        .await?;
        tx.commit().await
    }
}
