//! The shared vocabulary of lobbyscope.
//!
//! Every stage (sources → store → resolve → web/CLI) speaks in these types. They hold facts as the
//! sources published them; nothing here knows about files, SQL or HTTP.

mod identity;
mod ids;
mod keys;
mod names;
mod numbers;
mod origin;
mod positions;
mod provenance;
mod records;
mod when;

pub use identity::{Candidate, Facets, MeetingId, MeetingKey, Pairing, pair};
pub use ids::{ProcedureRef, RegisterId, fixed_pattern};
pub use keys::{FoldedName, OrgKey, PersonKey};
pub use names::{fold_name, fold_words, is_legal_form, parenthetical_acronym, shown_acronym, strip_legal_forms};
pub use numbers::thousands;
pub use origin::SourceId;
pub use positions::{Citation, Part, RegisterText, SourceRef};
pub use provenance::{Locator, Provenance, SourceKind, Sourced, content_hash, content_hash_and_size, hex};
pub use records::*;
pub use when::When;
