//! What lobbyscope's SQL backends (`lobbyscope-store-sqlite`, `lobbyscope-store-postgres`)
//! share, so that each holds only its SQL: how keys and values are laid into columns (`keys`,
//! `rows`), how rows are read back (`cols`) into the store's views (`map`), how a batch is
//! sorted against what is stored (`plan`), and the shapes of the queries their pages share
//! (`timeline`, `lists`). Both schemas name and type their columns alike for this.

pub mod cols;
pub mod keys;
pub mod lists;
pub mod map;
pub mod plan;
pub mod rows;
pub mod timeline;

pub use cols::{Cols, RowRef};
