//! The settings that are URLs: the Genesys base URLs (and whether they contradict the region)
//! and the proxy. Messages never show a URL's user information.

use super::{enum_word, invalid, text, Lookup};
use crate::result::{Failure, GcsyncResult};

/// `api_base_url` / `login_base_url`: unset, or a URL `check_base_url` accepts. The message
/// quotes the value without its user information (a password pasted into the URL).
pub(super) fn base_url(get: Lookup, key: &str) -> Result<Option<String>, Failure> {
    match text(get, key) {
        None => Ok(None),
        Some(v) => crate::genesys::setup::check_base_url(key, &v)
            .map(Some)
            .map_err(|e| {
                Failure::new(
                    GcsyncResult::InvalidSetting,
                    format!(
                        "setting {} (got {:?})",
                        e.into_reason(),
                        without_userinfo(&v)
                    ),
                )
            }),
    }
}

/// A URL with its user information (proxy credentials) replaced by `***`, for messages.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return match url.rfind('@') {
            Some(at) => format!("***@{}", &url[at + 1..]),
            None => url.to_string(),
        };
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// `http_proxy`: unset, or an `http://` / `socks5://` URL the HTTP client accepts. Messages
/// never show the proxy's user information.
pub(super) fn proxy_url(get: Lookup) -> Result<Option<String>, Failure> {
    let Some(p) = text(get, "http_proxy") else {
        return Ok(None);
    };
    let lower = p.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("socks5://");
    if !scheme_ok || crate::genesys::setup::proxy(Some(&p)).is_err() {
        return Err(invalid(
            "http_proxy",
            &without_userinfo(&p),
            "a proxy URL such as http://proxy:3128 or socks5://proxy:1080",
        ));
    }
    Ok(Some(p))
}

/// A base URL naming the Genesys Cloud host of another region than `region` contradicts it
/// (`region=eu_west_1` with `api_base_url=https://api.mypurecloud.com`): which one was meant?
/// Any other host (a reverse proxy, the emulator) is an override and fine.
pub(super) fn region_contradiction(
    region: &str,
    key: &str,
    url: Option<&str>,
) -> Result<(), Failure> {
    use crate::genesys::region::REGIONS;
    let Some(url) = url else {
        return Ok(());
    };
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split([':', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let wanted = enum_word(region);
    let named = REGIONS.iter().find(|(name, h)| {
        *name != wanted && (host == format!("api.{h}") || host == format!("login.{h}"))
    });
    match named {
        Some((other, _)) => Err(Failure::new(
            GcsyncResult::ConflictingSettings,
            format!(
                "setting {key}={url:?} is the Genesys Cloud host of region {other}, but setting \
                 region is {region:?}: set the region that matches, or leave {key} unset"
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn user_information_is_masked() {
        for (url, want) in [
            ("http://u:pw@proxy:3128", "http://***@proxy:3128"),
            ("https://a@b@host/x@y", "https://***@host/x@y"),
            ("http://proxy:3128/p@q", "http://proxy:3128/p@q"),
            ("u:pw@proxy:3128", "***@proxy:3128"),
        ] {
            assert_eq!(without_userinfo(url), want);
        }
    }
}
