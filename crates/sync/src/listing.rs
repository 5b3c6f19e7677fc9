//! Which complete listing an archived address belongs to, when its earlier answers are what
//! tells its records apart from others of their kind: one of the Commission's files, in
//! either layout. (A month of the Parliament's export and a publication's feedback pages are
//! told by their dates and publication instead.)

use url::Url;

use crate::commission;

/// The listing `url` is part of, if it is part of one.
pub fn of_url(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    if commission::is_file(&url) {
        let (_, name) = url.query_pairs().find(|(k, _)| k == "name")?;
        return Some(commission_file(&name));
    }
    None
}

pub fn commission_file(name: &str) -> String {
    format!("ec:{name}")
}
