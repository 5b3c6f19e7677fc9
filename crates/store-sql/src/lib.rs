//! What lobbyscope's SQL backends (`lobbyscope-store-sqlite`, `lobbyscope-store-postgres`)
//! share, so that each holds only its SQL: how keys and values are laid into columns (`keys`,
//! `rows`), how rows are read back (`cols`) into the store's views (`map`), how a batch is
//! sorted against what is stored (`plan`), the shapes of the queries their pages share
//! (`timeline`, `lists`), each source's health (`health`), what a copy between stores
//! carries of each table (`copy`), and what the search index reads (`documents`). Both schemas name and type their columns alike for this.

pub mod cols;
pub mod copy;
pub mod documents;
pub mod health;
pub mod keys;
pub mod listing;
pub mod lists;
pub mod map;
pub mod pages;
pub mod plan;
pub mod positions;
pub mod relink;
pub mod rows;
pub mod timeline;

pub use cols::{Cols, RowRef};

/// `ImportSession::owe_relink` and `FileWriter::owe_relink`, in the writer's transaction.
pub const OWE_RELINK: &str = "UPDATE pending_work SET relink = 1";

/// Whether `e` says the database could not be reached, rather than anything about the
/// statement: a lost or refused connection, no connection free in time, a closed pool.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}

/// Each table and the secondary indexes a bulk load stops maintaining while it fills the table
/// from empty (`Store::begin_bulk_load`), as both schemas name them. Nothing an import looks up
/// is among them: meetings are matched by `meetings_by_natural_key`, everything else by primary
/// key. Only these names are ever put into statements.
pub const DEFERRABLE_INDEXES: [(&str, &[&str]); 8] = [
    ("feedback", &["feedback_by_org_date", "feedback_by_publication_date", "feedback_by_date"]),
    ("meetings", &["meetings_by_date"]),
    ("meeting_hosts", &["meeting_hosts_by_person"]),
    ("meeting_procedures", &["meeting_procedures_by_reference"]),
    ("meeting_attendees", &["meeting_attendees_by_org"]),
    ("org_meetings", &["org_meetings_by_date"]),
    ("person_meetings", &["person_meetings_by_date"]),
    ("procedure_meetings", &["procedure_meetings_by_date"]),
];
