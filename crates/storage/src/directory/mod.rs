//! The service directory: Open Referral UK records with what a referral hub adds, read for
//! the open API (confidential rows withheld) and for partners, searched with the standard's
//! filters, loaded from and saved to Open Referral JSON.

pub mod export;
pub mod import;
pub mod manage;
pub mod oruk;
pub mod profiles;
pub mod read;
pub mod search;
pub mod taxonomy;
pub mod writer;

pub use export::export;
pub use import::{ImportReport, Loader, import, parse_file};
pub use read::View;
