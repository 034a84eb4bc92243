//! Turning a [`ClientConfig`](super::client::ClientConfig) into a ureq `Agent`: URL rules,
//! proxy and CA-bundle parsing. No network I/O happens here.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use ureq::http::Uri;
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{Connector, DefaultConnector};
use ureq::{Agent, Proxy};

use super::resolver::InlineResolver;
use super::transport::Coalesce;

use super::ApiError;

/// Largest response body read (a 500-user page is a few MB).
pub const MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

fn config_error(message: impl Into<String>) -> ApiError {
    ApiError::Config {
        message: message.into(),
    }
}

/// Checks a base URL (`setting` names it in the error) and returns it without a trailing `/`.
/// It must be `https://host[:port]`; plain `http` only to a loopback host (127.0.0.0/8, ::1,
/// localhost). A path (gcsync appends `/api/v2/...` and `/oauth/token` itself), user info,
/// query and fragment are refused.
pub fn check_base_url(setting: &str, url: &str) -> Result<String, ApiError> {
    let url = url.trim().trim_end_matches('/');
    let bad = |why: &str| config_error(format!("{setting} {why}"));
    if url.is_empty() {
        return Err(bad("is empty"));
    }
    if url.contains(['?', '#']) {
        return Err(bad("must not contain a query or fragment"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| bad("is not a URL (expected https://host)"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| bad("has no host (expected https://host)"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not contain user information"));
    }
    let path = uri.path();
    if !path.is_empty() && path != "/" {
        let hint = if path.to_ascii_lowercase().contains("/api/v2") || path.contains("/oauth") {
            format!(
                "; gcsync adds {path} itself: use {}://{}",
                uri.scheme_str().unwrap_or("https"),
                authority.as_str()
            )
        } else {
            String::new()
        };
        return Err(bad(&format!(
            "must be the scheme and host only (https://host[:port]), without a path \
             (got {path}){hint}"
        )));
    }
    let host = authority.host();
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(bad(
                "must use https (plain http only to a loopback address)",
            ))
        }
        _ => return Err(bad("must start with https://")),
    }
    Ok(url.to_string())
}

/// Whether `host` (as in a URL authority, IPv6 possibly in brackets) is a loopback host.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6 == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

/// The certificates of a PEM bundle. Fails when it holds none or any item is unreadable.
pub fn parse_ca_bundle(pem: &[u8]) -> Result<Vec<Certificate<'static>>, ApiError> {
    let mut certs = Vec::new();
    for item in parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {} // a private key in the bundle is ignored, never used
            Err(e) => return Err(config_error(format!("CA bundle is not valid PEM: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(config_error("CA bundle holds no PEM certificate"));
    }
    Ok(certs)
}

/// Root certificates: Mozilla's (webpki) roots, plus the bundle's certificates when given.
pub fn root_certs(ca_bundle_pem: Option<&[u8]>) -> Result<RootCerts, ApiError> {
    let Some(pem) = ca_bundle_pem else {
        return Ok(RootCerts::WebPki);
    };
    let extra = parse_ca_bundle(pem)?;
    let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned());
    Ok(RootCerts::from(mozilla.chain(extra)))
}

/// The explicit proxy (never one from the environment). The error does not echo the URL: it may
/// hold proxy credentials.
pub fn proxy(setting: Option<&str>) -> Result<Option<Proxy>, ApiError> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(url) => Proxy::new(url)
            .map(Some)
            .map_err(|_| config_error("proxy is not a usable URL (expected http://host:port)")),
    }
}

/// Builds the agent: status codes are not errors, explicit timeouts, no redirects, explicit
/// proxy (none unless configured), `gcsync/<version>` user agent, verified TLS, names resolved
/// in the calling thread ([`InlineResolver`]), and a keep-alive pool that keeps up to
/// `connections` idle connections per host (one per thread that may call at once).
pub fn agent(
    connect_timeout: Duration,
    request_timeout: Duration,
    proxy: Option<Proxy>,
    roots: RootCerts,
    connections: usize,
) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(request_timeout))
        .timeout_connect(Some(connect_timeout))
        .proxy(proxy)
        .user_agent(concat!("gcsync/", env!("CARGO_PKG_VERSION")))
        .max_redirects(0)
        .max_idle_connections_per_host(connections.max(1))
        .max_idle_connections(connections.max(1) * 2)
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .build();
    // ureq's own chain (proxies, TCP, TLS), each connection wrapped so that a request goes out
    // in one write (`transport.rs`).
    let connector = DefaultConnector::new().chain(Coalesce);
    Agent::with_parts(config, connector, InlineResolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for (url, want) in [
            ("https://api.mypurecloud.com", "https://api.mypurecloud.com"),
            (
                "https://api.mypurecloud.com/",
                "https://api.mypurecloud.com",
            ),
            (
                "HTTPS://api.mypurecloud.ie:443",
                "HTTPS://api.mypurecloud.ie:443",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.1.2.3:1", "http://127.1.2.3:1"),
            ("http://[::1]:9000/", "http://[::1]:9000"),
            ("http://LOCALHOST:9000", "http://LOCALHOST:9000"),
        ] {
            assert_eq!(check_base_url("api_base_url", url).unwrap(), want);
        }
    }

    #[test]
    fn other_urls_are_config_errors() {
        for url in [
            "",
            "http://api.mypurecloud.com",
            "http://10.0.0.1",
            "http://[::2]:80",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
            "api.mypurecloud.com",
            "https://user:pw@api.mypurecloud.com",
            "https://api.mypurecloud.com/?x=1",
            "https://",
            "https://api.mypurecloud.com/api/v2",
            "https://proxy.corp/genesys",
            "http://127.0.0.1:9/api/v2/",
        ] {
            let err = check_base_url("api_base_url", url).unwrap_err();
            assert!(matches!(err, ApiError::Config { .. }), "{url}: {err:?}");
            assert!(!err.to_string().contains("pw"));
        }
    }

    #[test]
    fn a_path_is_refused_with_the_url_to_use() {
        let err = check_base_url("api_base_url", "https://api.mypurecloud.com/api/v2").unwrap_err();
        assert_eq!(
            err.into_reason(),
            "api_base_url must be the scheme and host only (https://host[:port]), without a \
             path (got /api/v2); gcsync adds /api/v2 itself: use https://api.mypurecloud.com"
        );
        let err = check_base_url("login_base_url", "https://login.x.com/oauth/token").unwrap_err();
        assert!(err.into_reason().contains("use https://login.x.com"));
    }

    #[test]
    fn bad_bundles_and_proxies_are_config_errors() {
        assert!(parse_ca_bundle(b"").is_err());
        assert!(parse_ca_bundle(b"not pem at all").is_err());
        assert!(
            parse_ca_bundle(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(root_certs(Some(b"junk")).is_err());
        assert!(matches!(root_certs(None), Ok(RootCerts::WebPki)));

        assert!(proxy(None).unwrap().is_none());
        assert!(proxy(Some("  ")).unwrap().is_none());
        assert!(proxy(Some("http://proxy.corp:3128")).unwrap().is_some());
        let err = proxy(Some("http://user:secretpw@ bad url")).unwrap_err();
        assert!(!err.to_string().contains("secretpw"));
    }
}
