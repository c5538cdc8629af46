//! Storage errors. Each says what went wrong without echoing personal data.

use harbour_domain::permission::Denied;
use harbour_domain::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The input was well formed but clashes with what is stored, such as a duplicate name.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not open the database: {0}")]
    Open(String),
    #[error("stored data is not in the expected form: {0}")]
    Corrupt(String),
    #[error("could not write: {0}")]
    Write(String),
}

impl StorageError {
    pub fn invalid(field: &str, message: &str) -> StorageError {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        StorageError::Invalid(errors)
    }

    /// True when the error is a unique-constraint violation (so the caller can name the field).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StorageError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
