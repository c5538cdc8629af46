//! The whole directory as Open Referral JSON: for partners (everything, with Harbour's own
//! fields, audited as an export) or as the open feed would show it.

use super::oruk::Export;
use super::read::{self, View};
use super::search;
use crate::audit;
use crate::db::Db;
use crate::error::Result;
use harbour_domain::audit::{AuditAction, AuditEvent};

pub async fn export(db: &Db, view: View, who: &super::Loader) -> Result<Export> {
    let ids = search::all_services(db, &search::Query::default()).await?;
    let services = read::services_full(db, &ids, view).await?;
    let (taxonomies, _) = search::taxonomies(
        db,
        search::Paging {
            page: 1,
            per_page: 1_000_000,
        },
    )
    .await?;
    let (taxonomy_terms, _) = search::taxonomy_terms(
        db,
        None,
        search::Paging {
            page: 1,
            per_page: 10_000_000,
        },
    )
    .await?;
    if view == View::Partner {
        let mut tx = db.begin_write().await?;
        audit::append(
            &mut tx,
            &AuditEvent {
                actor_user_id: who.user_id.clone(),
                actor_agency_id: who.agency_id.clone(),
                action: AuditAction::Export,
                entity_kind: "directory".into(),
                entity_id: None,
                purpose: format!(
                    "directory export with confidential fields: {} services",
                    services.len()
                ),
                request_id: who.request_id.clone(),
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Export {
        version: "HSDS-UK-3.0".into(),
        services,
        taxonomies,
        taxonomy_terms,
    })
}
