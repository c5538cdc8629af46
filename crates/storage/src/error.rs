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
    /// A statement failed; `at` is the storage code that ran it (`#[track_caller]` on the
    /// conversion that `?` makes), so a log line says which, still without any values.
    #[error("database error at {at}: {source}")]
    Database {
        source: sqlx::Error,
        at: &'static std::panic::Location<'static>,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not open the database: {0}")]
    Open(String),
    #[error("stored data is not in the expected form: {0}")]
    Corrupt(String),
    #[error("could not write: {0}")]
    Write(String),
}

impl From<sqlx::Error> for StorageError {
    #[track_caller]
    fn from(source: sqlx::Error) -> Self {
        StorageError::Database {
            source,
            at: std::panic::Location::caller(),
        }
    }
}

impl StorageError {
    /// Logs the failure without its values: a database's message can quote the data, so only
    /// the kind, the error code and constraint, and the statement's place in the code are kept.
    pub fn log(&self) {
        match self {
            StorageError::Database {
                source: sqlx::Error::Database(db),
                at,
            } => {
                tracing::error!(code = ?db.code(), constraint = ?db.constraint(), %at, "database error");
            }
            StorageError::Database { source, at } => {
                let kind = match source {
                    sqlx::Error::PoolTimedOut => "pool timed out",
                    sqlx::Error::PoolClosed => "pool closed",
                    sqlx::Error::Io(_) => "io",
                    sqlx::Error::RowNotFound => "row not found",
                    sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
                    _ => "other",
                };
                tracing::error!(kind, %at, "database error");
            }
            other => tracing::error!(error = %other, "storage error"),
        }
    }

    pub fn invalid(field: &str, message: &str) -> StorageError {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        StorageError::Invalid(errors)
    }

    /// True when the error is a unique-constraint violation (so the caller can name the field).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StorageError::Database {
                source: sqlx::Error::Database(e),
                ..
            } => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
