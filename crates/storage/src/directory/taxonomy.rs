//! Taxonomies in the directory: Harbour's own (needs, tiers, crimes) with their fixed
//! identifiers, written at every start, and the terms a file brings.

use super::import::Context;
use super::oruk::TaxonomyTerm;
use crate::db::WriteTx;
use crate::error::Result;
use harbour_domain::directory::HarbourTaxonomy;

/// Writes Harbour's own taxonomies (needs, tiers, crimes) with their fixed identifiers.
pub async fn ensure_harbour_taxonomies(tx: &mut WriteTx) -> Result<()> {
    for t in HarbourTaxonomy::ALL {
        sqlx::query(
            "INSERT INTO dir_taxonomies (id, name, description, uri, version) VALUES ($1, $2, $3, $4, '1') \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description",
        )
        .bind(t.id().to_string())
        .bind(t.name())
        .bind(t.description())
        .bind(format!("https://harbour.example/taxonomies/{}", t.slug()))
        .execute(tx.conn())
        .await?;
        for (code, name) in t.terms() {
            sqlx::query(
                "INSERT INTO dir_taxonomy_terms (id, code, name, description, taxonomy, taxonomy_id, language) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'en') \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description",
            )
            .bind(t.term_id(code).to_string())
            .bind(code)
            .bind(name)
            .bind(name)
            .bind(t.name())
            .bind(t.id().to_string())
            .execute(tx.conn())
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn upsert_term(
    tx: &mut WriteTx,
    cx: &mut Context,
    t: &TaxonomyTerm,
) -> Result<()> {
    let taxonomy_id = t
        .taxonomy_id
        .clone()
        .filter(|id| cx.known_taxonomies.contains(id));
    let parent_id = t.parent_id.clone().filter(|id| cx.known_terms.contains(id));
    sqlx::query(
        "INSERT INTO dir_taxonomy_terms (id, code, name, description, parent_id, taxonomy, taxonomy_id, language, term_uri) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, description = excluded.description, \
         parent_id = excluded.parent_id, taxonomy = excluded.taxonomy, taxonomy_id = excluded.taxonomy_id, \
         language = excluded.language, term_uri = excluded.term_uri",
    )
    .bind(&t.id)
    .bind(&t.code)
    .bind(&t.name)
    .bind(if t.description.is_empty() { &t.name } else { &t.description })
    .bind(parent_id)
    .bind(&t.taxonomy)
    .bind(taxonomy_id)
    .bind(&t.language)
    .bind(&t.term_uri)
    .execute(tx.conn())
    .await?;
    cx.known_terms.insert(t.id.clone());
    Ok(())
}
