//! How domain values are laid into columns.

use lobbyscope_domain::{Host, Institution, Locator, fold_name};

pub(crate) fn locator_json(l: &Locator) -> String {
    serde_json::to_string(l).expect("locators serialise")
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub(crate) fn date<T: ToString>(d: &Option<T>) -> Option<String> {
    d.as_ref().map(ToString::to_string)
}

pub(crate) fn int(n: Option<u64>) -> Option<i64> {
    n.and_then(|n| i64::try_from(n).ok())
}

/// The stable key of a person: the EP id for MEPs, the folded name for Commission staff (the
/// Commission publishes no id).
pub(crate) fn person_key(institution: Institution, host: &Host) -> (String, &'static str) {
    match (institution, host.ep_id) {
        (Institution::Parliament, Some(id)) => (format!("mep:{id}"), "mep"),
        (Institution::Parliament, None) => (format!("mep-name:{}", fold_name(&host.name)), "mep"),
        (Institution::Commission, _) => (format!("ec:{}", fold_name(&host.name)), "commission"),
    }
}
