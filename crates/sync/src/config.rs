//! Where each source lives and how politely it is asked.

use std::time::Duration;

use url::Url;

use crate::SyncError;
pub use lobbyscope_domain::SourceId;

/// The variable that points the source at another base URL.
pub fn base_variable(source: SourceId) -> &'static str {
    match source {
        SourceId::Register => "LOBBYSCOPE_TR_BASE",
        SourceId::Commission => "LOBBYSCOPE_EC_BASE",
        SourceId::Parliament => "LOBBYSCOPE_EP_BASE",
        SourceId::HaveYourSay => "LOBBYSCOPE_HYS_BASE",
    }
}

/// The official base URL; the paths and query parameters below it are the official ones
/// (`../shared/realdata/FORMATS.md`), so that a server on 127.0.0.1 can stand in for it.
pub fn official_base(source: SourceId) -> &'static str {
    match source {
        SourceId::Register => "https://ec.europa.eu/transparencyregister",
        SourceId::Commission => "https://ec.europa.eu/transparency-initiative/meetings",
        SourceId::Parliament => "https://www.europarl.europa.eu",
        SourceId::HaveYourSay => "https://ec.europa.eu/info/law/better-regulation",
    }
}

/// Each source's base URL.
#[derive(Debug, Clone)]
pub struct Bases {
    bases: [Url; 4],
}

impl Bases {
    /// The official bases, each replaced by its variable when that is set.
    pub fn from_env() -> Result<Bases, SyncError> {
        Bases::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Bases::from_env`], reading variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Bases, SyncError> {
        let base = |source: SourceId| {
            let given = get(base_variable(source)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            let text = given.as_deref().unwrap_or(official_base(source));
            parse_base(text).map_err(|reason| SyncError::Config(format!("{}: {reason}", base_variable(source))))
        };
        Ok(Bases {
            bases: [
                base(SourceId::Register)?,
                base(SourceId::Commission)?,
                base(SourceId::Parliament)?,
                base(SourceId::HaveYourSay)?,
            ],
        })
    }

    /// The same base for every source: a test server standing in for all of them.
    pub fn all_at(base: &str) -> Result<Bases, SyncError> {
        let url = parse_base(base).map_err(SyncError::Config)?;
        Ok(Bases { bases: [url.clone(), url.clone(), url.clone(), url] })
    }

    pub fn base(&self, source: SourceId) -> &Url {
        &self.bases[source as usize]
    }

    /// `path` (without a leading `/`) under the source's base.
    pub fn url(&self, source: SourceId, path: &str) -> Url {
        let mut url = self.base(source).clone();
        // Bases are checked to be bases (`parse_base`), so they have segments.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path.split('/'));
        }
        url
    }
}

fn parse_base(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(format!("{text:?} is not an http(s) base URL"));
    }
    Ok(url)
}

/// A limit on how often one host is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLimit {
    pub host: String,
    pub requests: u32,
    pub per: Duration,
}

/// How the sources are asked.
#[derive(Debug, Clone)]
pub struct Politeness {
    /// Names the project and a contact, so that the sources' operators can reach whoever runs
    /// this instead of blocking it.
    pub user_agent: String,
    /// Any host: at most one request per this long.
    pub interval: Duration,
    /// Further limits of named hosts: the Parliament's 500 requests per 5 minutes.
    pub hosts: Vec<HostLimit>,
    /// A request with no answer (the whole body) within this is abandoned and retried.
    pub timeout: Duration,
    pub max_retries: u32,
    /// The wait before the first retry when the server named none; doubled each retry, with
    /// jitter, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest wait between attempts. A `Retry-After` longer than this ends the request
    /// (the next sync tries again) rather than holding the sync for hours.
    pub max_backoff: Duration,
    /// The largest body read into memory (an EP window, a JSON page). The register export
    /// is written to disk as it comes and is not bound by this.
    pub max_body_bytes: u64,
}

/// The variable naming whom the sources' operators can contact.
pub const CONTACT_VARIABLE: &str = "LOBBYSCOPE_CONTACT";

impl Politeness {
    /// The defaults: one request a second per host, the Parliament's 500 per 5 minutes on top,
    /// a minute's timeout, five retries. `contact` (an e-mail address or a URL) goes into the
    /// User-Agent; it is required.
    pub fn new(contact: &str) -> Result<Politeness, SyncError> {
        let contact = contact.trim();
        if contact.is_empty() || contact.chars().any(|c| c.is_control()) {
            return Err(SyncError::Config(format!(
                "a contact (an e-mail address or a URL, e.g. {CONTACT_VARIABLE}=press@example.org) is required: it goes \
                 into the User-Agent so that the sources' operators can reach whoever runs the sync"
            )));
        }
        Ok(Politeness {
            user_agent: format!(
                "lobbyscope/{} (EU lobbying transparency; contact: {contact})",
                env!("CARGO_PKG_VERSION")
            ),
            interval: Duration::from_secs(1),
            hosts: vec![HostLimit {
                host: "www.europarl.europa.eu".into(),
                requests: 500,
                per: Duration::from_secs(300),
            }],
            timeout: Duration::from_secs(60),
            max_retries: 5,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            max_body_bytes: 64 << 20,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_default_to_the_official_ones_and_follow_the_variables() {
        let bases =
            Bases::from_lookup(|name| (name == "LOBBYSCOPE_EP_BASE").then(|| "http://127.0.0.1:9/".into())).unwrap();
        assert_eq!(bases.base(SourceId::Register).as_str(), "https://ec.europa.eu/transparencyregister");
        assert_eq!(
            bases.url(SourceId::Register, "public/files/ODP/download/XML/latest").as_str(),
            "https://ec.europa.eu/transparencyregister/public/files/ODP/download/XML/latest"
        );
        assert_eq!(
            bases.url(SourceId::Parliament, "meps/en/search-meetings").as_str(),
            "http://127.0.0.1:9/meps/en/search-meetings"
        );
    }

    #[test]
    fn a_base_that_is_no_url_names_its_variable() {
        let err = Bases::from_lookup(|name| (name == "LOBBYSCOPE_HYS_BASE").then(|| "ftp://x".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("LOBBYSCOPE_HYS_BASE"), "{err}");
    }

    #[test]
    fn the_user_agent_names_the_project_and_the_contact() {
        let p = Politeness::new("press@example.org").unwrap();
        assert!(p.user_agent.starts_with("lobbyscope/"), "{}", p.user_agent);
        assert!(p.user_agent.contains("press@example.org"), "{}", p.user_agent);
        assert!(Politeness::new("  ").is_err());
        assert!(Politeness::new("a\r\nX-Evil: 1").is_err());
    }
}
