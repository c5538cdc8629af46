//! Taxonomies and their terms.

use super::*;

pub(crate) fn taxonomy_from(r: &AnyRow) -> Result<Taxonomy> {
    Ok(Taxonomy {
        id: id(r)?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        uri: text(r, "uri")?,
        version: text(r, "version")?,
    })
}

pub async fn taxonomy(db: &Db, taxonomy_id: &str) -> Result<Option<Taxonomy>> {
    sqlx::query("SELECT id, name, description, uri, version FROM dir_taxonomies WHERE id = $1")
        .bind(taxonomy_id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| taxonomy_from(&r))
        .transpose()
}

pub async fn taxonomy_term(db: &Db, term_id: &str) -> Result<Option<TaxonomyTerm>> {
    let row = sqlx::query(&format!(
        "SELECT {TERM_COLUMNS} FROM dir_taxonomy_terms t WHERE t.id = $1"
    ))
    .bind(term_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let mut term = term_from(&r, "t_")?;
    if let Some(tid) = &term.taxonomy_id {
        term.taxonomy_detail = taxonomy(db, tid).await?;
    }
    Ok(Some(term))
}

pub(crate) fn term_row(r: &AnyRow) -> Result<TaxonomyTerm> {
    term_from(r, "t_")
}
