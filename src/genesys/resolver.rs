//! Name resolution without a thread per connection.
//!
//! ureq's default resolver spawns a thread for every lookup when a timeout is set (so it can
//! abandon a slow `getaddrinfo`); profiling counted 615 thread creations for 300 users. This one
//! resolves in the calling thread: IP literals and `localhost` directly, other names with a
//! blocking `to_socket_addrs` (the system resolver's own timeouts and retries, `resolv.conf`
//! `timeout`/`attempts`, bound it). The connect timeout still applies to the TCP connect that
//! follows, per address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use ureq::Error;

/// The resolver the client's agent uses (see the module docs).
#[derive(Debug, Default)]
pub struct InlineResolver;

/// The addresses `host` (as in a URL authority; IPv6 possibly in brackets) names without a DNS
/// query, if it is an IP literal or `localhost`.
pub fn literal(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(vec![SocketAddr::new(ip, port)]);
    }
    if bare.eq_ignore_ascii_case("localhost") {
        return Some(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]);
    }
    None
}

impl Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| Error::BadUri(format!("{uri}: no scheme")))?;
        let authority = uri
            .authority()
            .ok_or_else(|| Error::BadUri(format!("{uri}: no host")))?;
        let port = match (authority.port_u16(), scheme.to_ascii_lowercase().as_str()) {
            (Some(p), _) => p,
            (None, "https") => 443,
            (None, "http") => 80,
            (None, "socks4" | "socks4a" | "socks5" | "socks5h") => 1080,
            (None, other) => return Err(Error::BadUri(format!("unknown scheme: {other}"))),
        };
        let host = authority.host();
        let found: Vec<SocketAddr> = match literal(host, port) {
            Some(v) => v,
            None => (host, port).to_socket_addrs()?.collect(),
        };
        let mut out = self.empty();
        for addr in config.ip_family().keep_wanted(found.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            Err(Error::HostNotFound)
        } else {
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        assert_eq!(
            literal("127.0.0.1", 8080),
            Some(vec!["127.0.0.1:8080".parse().unwrap()])
        );
        assert_eq!(
            literal("[::1]", 443),
            Some(vec!["[::1]:443".parse().unwrap()])
        );
        assert_eq!(literal("LocalHost", 80).unwrap().len(), 2);
        assert_eq!(literal("api.mypurecloud.com", 443), None);
    }

    #[test]
    fn uris_resolve_with_default_ports() {
        let cfg = Config::default();
        let none = NextTimeout::default();
        let r = InlineResolver;
        let got = r
            .resolve(&"http://127.0.0.1/x".parse().unwrap(), &cfg, none)
            .unwrap();
        let want: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(&got[..], [want]);
        let got = r
            .resolve(&"https://[::1]:9443".parse().unwrap(), &cfg, none)
            .unwrap();
        let want: SocketAddr = "[::1]:9443".parse().unwrap();
        assert_eq!(&got[..], [want]);
        let err = r.resolve(&"ftp://127.0.0.1".parse().unwrap(), &cfg, none);
        assert!(matches!(err, Err(Error::BadUri(_))));
    }
}
