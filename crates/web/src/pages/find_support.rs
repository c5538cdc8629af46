//! Find support: the public search of the directory, by need and postcode, with "Exit this
//! page". The postcode is sent in the form's body, never the address, so it stays out of
//! browser history, proxies and logs. Nothing confidential is shown: this reads the directory
//! exactly as the open API does.

use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use harbour_domain::directory::HarbourTaxonomy;
use harbour_domain::needs::NeedCategory;
use harbour_domain::postcode::Postcode;
use harbour_domain::validation::FieldErrors;
use harbour_storage::directory::oruk::Service;
use harbour_storage::directory::search::{self, Near};
use harbour_storage::directory::{View, read};
use harbour_storage::postcodes;

#[derive(Template)]
#[template(path = "find_support.html")]
struct FindPage {
    chrome: Chrome,
    needs: Vec<(String, String)>,
    need: String,
    happened_choices: Vec<(String, String)>,
    /// What happened to them, a crime category's code; empty if they did not say.
    happened: String,
    postcode: String,
    searched: bool,
    results: Vec<Service>,
    need_label: String,
    /// The services with a location withheld from the public (a refuge), to say so.
    withheld: std::collections::HashSet<String>,
    errors: FieldErrors,
}

impl FindPage {
    fn withholds(&self, s: &Service) -> bool {
        self.withheld.contains(&s.id)
    }
    fn ages(&self, s: &Service) -> String {
        match (s.minimum_age, s.maximum_age) {
            (Some(a), Some(b)) => format!("For people aged {a} to {b}"),
            (Some(a), None) => format!("For people aged {a} and over"),
            (None, Some(b)) => format!("For people aged up to {b}"),
            (None, None) => String::new(),
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NeedOnly {
    need: Option<String>,
    happened: Option<String>,
}

fn happened_choices() -> Vec<(String, String)> {
    let mut v = vec![(String::new(), "I would rather not say".to_owned())];
    v.extend(
        crate::pages::words::WHAT_HAPPENED
            .iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned())),
    );
    v
}

fn needs() -> Vec<(String, String)> {
    let mut v = vec![(String::new(), "Any kind of support".to_owned())];
    v.extend(
        NeedCategory::ALL
            .iter()
            .map(|n| (n.slug().to_owned(), n.label().to_owned())),
    );
    v
}

async fn search_page(
    state: &AppState,
    need: String,
    happened: String,
    postcode: String,
    searched: bool,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    if !happened.is_empty()
        && !crate::pages::words::WHAT_HAPPENED
            .iter()
            .any(|(k, _)| *k == happened)
    {
        errors.add(
            "happened",
            "Choose what happened from the list, or that you would rather not say",
        );
    }
    let mut postcode = postcode.trim().to_owned();
    let need_category = match need.as_str() {
        "" => None,
        slug => {
            let n = NeedCategory::from_slug(slug);
            if n.is_none() {
                errors.add("need", "Choose a kind of support from the list");
            }
            n
        }
    };
    let mut query = search::Query {
        statuses: vec!["active".into(), "temporarily closed".into()],
        taxonomy_term_ids: need_category
            .map(|n| HarbourTaxonomy::Needs.term_id(n.slug()).to_string())
            .into_iter()
            .collect(),
        ..search::Query::default()
    };
    if !postcode.trim().is_empty() {
        match Postcode::parse(&postcode) {
            None => errors.add("postcode", "Enter a real postcode, like ST16 2DH, or leave it blank"),
            Some(p) => match postcodes::whereabouts(&state.db, &p).await? {
                None => errors.add(
                    "postcode",
                    "We do not know this postcode. Check it, or leave it blank to see every service",
                ),
                Some(w) => {
                    postcode = p.to_string();
                    query.near = w.point.map(|point| Near {
                        point,
                        areas: w.areas,
                        proximity_m: None,
                    });
                }
            },
        }
    }
    let mut results = if searched && errors.is_empty() {
        let ids = search::all_services(&state.db, &query).await?;
        read::services_full(&state.db, &ids, View::Public).await?
    } else {
        Vec::new()
    };
    // What happened narrows the list to services for it, and those only for it come first: a
    // service that names no crime is for anyone.
    if !happened.is_empty() && happened != "other" {
        let for_crime = |s: &Service| s.harbour_codes(HarbourTaxonomy::Crimes);
        results.retain(|s| {
            let crimes = for_crime(s);
            crimes.is_empty() || crimes.contains(&happened)
        });
        results.sort_by_key(|s| for_crime(s).is_empty());
    }
    let ids: Vec<String> = results.iter().map(|s| s.id.clone()).collect();
    let withheld = read::with_withheld_locations(&state.db, &ids).await?;
    let page = FindPage {
        withheld,
        chrome: Chrome::signed_out(),
        needs: needs(),
        need_label: need_category
            .map_or("support", |n| n.label())
            .to_lowercase(),
        need,
        happened_choices: happened_choices(),
        happened,
        postcode,
        searched: searched && errors.is_empty(),
        results,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// The form, and (with `?need=` or `?happened=`) every service for that.
pub async fn show(
    State(state): State<AppState>,
    Query(q): Query<NeedOnly>,
) -> Result<Response, AppError> {
    let searched = q.need.is_some() || q.happened.is_some();
    search_page(
        &state,
        q.need.unwrap_or_default(),
        q.happened.unwrap_or_default(),
        String::new(),
        searched,
    )
    .await
}

/// A search with a postcode, posted so the postcode stays out of the address.
pub async fn search(
    State(state): State<AppState>,
    crate::forms::WebForm(form): crate::forms::WebForm,
) -> Result<Response, AppError> {
    search_page(
        &state,
        form.get("need").to_owned(),
        form.get("happened").to_owned(),
        form.get("postcode").to_owned(),
        true,
    )
    .await
}
