//! Placeholder: being written.
use crate::{Input, Records, SourceError};

pub(crate) fn parse(_input: Input) -> Result<Records, SourceError> {
    Err(SourceError::UnknownFormat("parser for ec_meetings_xml not written yet".into()))
}
