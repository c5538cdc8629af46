//! The API's own path and query extractors: a path segment or query string that cannot be read
//! is a `400` as `application/problem+json` naming what was wrong, like every other API error,
//! not axum's plain-text rejection. The open API's variants also carry its CORS header.

use crate::api::oruk::OpenError;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A path parameter, refused as a problem document.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_| {
                ApiError::BadRequest(
                    "The address holds an identifier that cannot be read: check it is whole and in UTF-8".into(),
                )
            })
    }
}

/// A query string, refused as a problem document.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError::BadRequest(format!(
                    "The query string cannot be read: {}",
                    e.body_text()
                        .trim_start_matches("Failed to deserialize query string: ")
                ))
            })
    }
}

/// A path parameter of the open API, refused as a problem document with its CORS header.
pub struct OpenPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for OpenPath<T> {
    type Rejection = OpenError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, OpenError> {
        ApiPath::<T>::from_request_parts(parts, state)
            .await
            .map(|ApiPath(v)| OpenPath(v))
            .map_err(OpenError::from)
    }
}
