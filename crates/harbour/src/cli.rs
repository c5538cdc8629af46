//! The command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "harbour",
    version,
    about = "Harbour: the shared system of a victim-support partnership"
)]
pub struct Cli {
    /// Configuration file (TOML). Defaults to ./harbour.toml when it exists.
    #[arg(long, global = true, env = "HARBOUR_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve Harbour.
    Serve {
        /// Load the demo partnership into an empty database first, and print the demo sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Print the code a demo account's authenticator app would show now (demo accounts only:
    /// their secrets are derived from their addresses; real accounts' are random).
    DemoCode {
        /// The demo account's email address.
        email: String,
    },
    /// Load the demo partnership (areas, agencies, staff) into an empty database, and
    /// synthetic referrals.
    Demo {
        /// How many synthetic referrals to add (from a fixed seed).
        #[arg(long, default_value_t = 0)]
        referrals: u64,
    },
    /// Load files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Manage risk instruments.
    Instrument {
        #[command(subcommand)]
        command: InstrumentCommand,
    },
    /// Manage people.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load areas from a CSV file (gss_code,name,kind,parent_gss_code,population).
    Areas {
        #[command(subcommand)]
        command: AreasCommand,
    },
    /// The service directory, in Open Referral UK JSON.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Encryption at rest: the key-encryption key that wraps the data keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Postcode points and areas.
    Postcodes {
        #[command(subcommand)]
        command: PostcodesCommand,
    },
    /// Recognising the same person across records.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Find the records in CSV files that are the same person: trains a model on them (no labels
    /// needed), scores the pairs blocking finds, and writes the pairs and the clusters. One file
    /// is deduplicated; with two or more, only records from different files are compared.
    Link {
        /// The CSV files, each with a header row.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The column that identifies a record.
        #[arg(long)]
        id: String,
        /// Which columns hold which field: given_name=COL,family_name=COL,previous_names=COL,
        /// date_of_birth=COL,postcode=COL,address=COL+COL+…,phone=COL,email=COL,gender=COL,
        /// identifier=COL.
        #[arg(long)]
        map: String,
        /// Where to write every pair scored above the floor (id_l,id_r,score).
        #[arg(long)]
        pairs: PathBuf,
        /// Where to write each record's cluster (id,cluster).
        #[arg(long)]
        clusters: PathBuf,
        /// The probability at or above which two records are the same person.
        #[arg(long, default_value_t = 0.9)]
        threshold: f64,
        /// The lowest probability a pair is written with.
        #[arg(long, default_value_t = 0.01)]
        floor: f64,
        /// Link the files' records to the people already in the database too (each stored
        /// referral's record, by its reference); records within one file are then not compared.
        #[arg(long)]
        against_database: bool,
    },
    /// Find people stored twice: compare every referral's record of the person with the newest
    /// model and propose each pair of different people at or above the possible-match
    /// threshold to the hub as a possible match (nothing is merged without a person deciding).
    Dedupe {
        /// Report what would be proposed, and propose nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Train a new person-recognition model on every referral's record of the person (no
    /// labels needed) and keep it as the next version; intake uses it at once.
    Train,
    /// Show the recognition thresholds and models, or set the thresholds: a match probability
    /// at or above --link links a referral to the known person; at or above --possible it is a
    /// possible match for the hub.
    Settings {
        #[arg(long, requires = "possible")]
        link: Option<f64>,
        #[arg(long, requires = "link")]
        possible: Option<f64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Load services from an Open Referral UK JSON file (a council's feed, a page of
    /// /services, or a Harbour export). Services already held are updated. Exits 1 if any
    /// service was rejected.
    Import { file: PathBuf },
    /// Write the whole directory as Open Referral UK JSON, with the confidential fields and
    /// Harbour's own (audited), or with --public as the open feed shows it.
    Export {
        /// Leave out everything confidential, as the open API does.
        #[arg(long)]
        public: bool,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PostcodesCommand {
    /// Load the ONS Postcode Directory (CSV with a header) or Code-Point Open (CSV without).
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person. The password is read from standard input, so it stays out of the shell history.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The agency's name, as shown in Harbour.
        #[arg(long)]
        agency: String,
        /// A role; repeat for several: administrator, triage_officer, caseworker, referrer,
        /// marac_coordinator, commissioner, auditor.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a bulk file of referrals (the layout is in docs/BULK-IMPORT.md). Every line is
    /// reported; exits 1 if any line was rejected. Loading the same file again creates nothing.
    Referrals {
        file: PathBuf,
        /// The agency the file comes from, as named in Harbour.
        #[arg(long)]
        agency: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstrumentCommand {
    /// Load a risk instrument or an outcome tool (TOML; see docs/INSTRUMENTS.md) and make it
    /// the one triage, or new outcome readings, use.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; name the first entry that was altered or removed. With a
    /// checkpoint, also find a log cut back or rewritten behind it.
    Verify {
        /// A checkpoint file written by `harbour audit checkpoint`.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The public key the checkpoint must be signed with (hex); by default, that of the
        /// `audit_signing_key` setting.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Sign the trail's head with the `audit_signing_key` setting, for an auditor to keep
    /// elsewhere; writes the checkpoint as JSON to FILE or the terminal.
    Checkpoint {
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Make a new key for signing checkpoints: the secret for the `audit_signing_key` setting,
    /// and the public key for the auditors.
    NewKey,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new key-encryption key, for the `encryption_key` setting.
    New,
    /// Re-wrap the data keys under a new key-encryption key, read from FILE (never from the
    /// command line, which other users of the machine can see). Harbour may keep running;
    /// start it next with the new key.
    Rotate {
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AreasCommand {
    /// Add or update areas from FILE.
    Import { file: PathBuf },
}
