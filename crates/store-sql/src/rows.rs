//! How domain values are laid into columns.

use lobbyscope_domain::Locator;

pub fn locator_json(l: &Locator) -> String {
    serde_json::to_string(l).expect("locators serialise")
}

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub fn date<T: ToString>(d: &Option<T>) -> Option<String> {
    d.as_ref().map(ToString::to_string)
}

pub fn int(n: Option<u64>) -> Option<i64> {
    n.and_then(|n| i64::try_from(n).ok())
}
