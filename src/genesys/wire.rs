//! The HTTP wire layer: one exchange with ureq, and reading answers (ErrorBody, correlation id)
//! and writing query strings. No retry logic here.

use serde_json::Value;
use ureq::http::{HeaderValue, Response};
use ureq::typestate::WithBody;
use ureq::{Agent, Body, RequestBuilder};

use super::client::Method;
use super::{setup, ApiError};
use crate::secret::Secret;

/// One raw HTTP answer.
pub struct Raw {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The `ININ-Correlation-Id` header.
    pub correlation_id: Option<String>,
    /// The body, read in full.
    pub body: Vec<u8>,
}

/// One request as sent (possibly several times).
pub struct Outgoing<'a> {
    /// HTTP method.
    pub method: Method,
    /// Full URL, query included.
    pub url: &'a str,
    /// Path for logs (no host, no query).
    pub path: &'a str,
    /// `Authorization` header value.
    pub authorization: &'a Secret,
    /// `Content-Type` of the body.
    pub content_type: Option<&'static str>,
    /// Body bytes.
    pub body: Option<&'a [u8]>,
}

/// One HTTP exchange, body read in full (any status).
pub fn send_once(agent: &Agent, out: &Outgoing) -> Result<Raw, ureq::Error> {
    fn headers<B>(rb: RequestBuilder<B>, out: &Outgoing) -> RequestBuilder<B> {
        let mut auth = HeaderValue::from_str(out.authorization.expose())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        let rb = rb
            .header("Authorization", auth)
            .header("Accept", "application/json");
        match out.content_type {
            Some(ct) => rb.header("Content-Type", ct),
            None => rb,
        }
    }
    let a = agent;
    let url = out.url;
    let result = match (out.method, out.body) {
        (Method::Get, _) => headers(a.get(url), out).call(),
        (Method::Delete, None) => headers(a.delete(url), out).call(),
        (Method::Delete, Some(b)) => headers(a.delete(url), out).force_send_body().send(b),
        (Method::Post, b) => send(headers(a.post(url), out), b),
        (Method::Put, b) => send(headers(a.put(url), out), b),
        (Method::Patch, b) => send(headers(a.patch(url), out), b),
    };
    let mut response = result?;
    let header = |name: &str| {
        let value = response.headers().get(name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| value.to_string())
    };
    let retry_after = header("retry-after");
    let correlation_id = header("inin-correlation-id");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(setup::MAX_BODY_BYTES)
        .read_to_vec()?;
    Ok(Raw {
        status,
        retry_after,
        correlation_id,
        body,
    })
}

fn send(rb: RequestBuilder<WithBody>, body: Option<&[u8]>) -> Result<Response<Body>, ureq::Error> {
    match body {
        Some(b) => rb.send(b),
        None => rb.send_empty(),
    }
}

/// Maps a non-2xx answer to `ApiError::Status` with the `ErrorBody` fields.
pub fn status_error(raw: &Raw, redact: impl Fn(&str) -> String) -> ApiError {
    let parsed = json_body(raw);
    let field = |name: &str| parsed.get(name).and_then(Value::as_str).map(str::to_string);
    let message =
        field("message").unwrap_or_else(|| excerpt(std::str::from_utf8(&raw.body).unwrap_or("")));
    ApiError::Status {
        status: raw.status,
        code: field("code").unwrap_or_default(),
        message: redact(&message),
        correlation_id: correlation_id(raw, &parsed),
        entity_id: field("entityId").filter(|id| !id.is_empty()),
    }
}

/// The body as JSON (`Null` when it is not JSON).
pub fn json_body(raw: &Raw) -> Value {
    serde_json::from_slice(&raw.body).unwrap_or(Value::Null)
}

/// The `ININ-Correlation-Id` header, else the body's `contextId`.
pub fn correlation_id(raw: &Raw, body: &Value) -> Option<String> {
    let context = || {
        body.get("contextId")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    raw.correlation_id.clone().or_else(context)
}

/// The first 200 characters of a body, on one line.
pub fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(200).collect();
    if cut.len() < one_line.len() {
        cut.push('…');
    }
    cut
}

/// `?k=v&k2=v2`, percent-encoding everything but RFC 3986 unreserved characters.
pub fn encode_query(query: &[(&str, &str)]) -> String {
    fn enc(out: &mut String, s: &str) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        enc(&mut out, k);
        out.push('=');
        enc(&mut out, v);
    }
    out
}

/// Whether a transport failure may go away by itself (not TLS, URL or redirect problems).
pub fn is_retryable(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => io.kind() != std::io::ErrorKind::InvalidData,
        ureq::Error::Timeout(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_) => true,
        _ => false,
    }
}

/// A proxy URL fit for a message: scheme, host and port only (never user information, which may
/// hold the proxy's password).
pub fn proxy_for_display(proxy: &str) -> String {
    match proxy.trim().parse::<ureq::http::Uri>() {
        Ok(uri) => {
            let scheme = uri.scheme_str().unwrap_or("http");
            let host = uri.host().unwrap_or("?");
            match uri.port_u16() {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None => format!("{scheme}://{host}"),
            }
        }
        Err(_) => "(unparsable proxy URL)".into(),
    }
}

/// A short description of a transport failure, naming the proxy when one is configured: with a
/// proxy, connection and name-resolution failures are the proxy's.
pub fn describe_via(e: &ureq::Error, proxy: Option<&str>) -> String {
    let text = describe(e);
    let Some(proxy) = proxy.map(str::trim).filter(|p| !p.is_empty()) else {
        return text;
    };
    let shown = proxy_for_display(proxy);
    match e {
        ureq::Error::ConnectProxyFailed(why) => format!(
            "the proxy {shown} (setting http_proxy) did not open a connection to Genesys Cloud: \
             {why}"
        ),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::AddrNotAvailable
            ) =>
        {
            format!("cannot connect to the proxy {shown} (setting http_proxy): {text}")
        }
        ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            format!("cannot connect to the proxy {shown} (setting http_proxy): {text}")
        }
        _ => format!("{text} (through the proxy {shown}, setting http_proxy)"),
    }
}

/// A short description of a transport failure.
pub fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found (DNS)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, header: Option<&str>, body: &str) -> Raw {
        Raw {
            status,
            retry_after: None,
            correlation_id: header.map(str::to_string),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(encode_query(&[]), "");
        assert_eq!(
            encode_query(&[("q", "a b+c"), ("id", "é/?&=#~._-")]),
            "?q=a%20b%2Bc&id=%C3%A9%2F%3F%26%3D%23~._-"
        );
    }

    #[test]
    fn error_bodies_map_to_status_errors() {
        let body =
            r#"{"status":409,"code":"general.conflict","message":"exists","contextId":"ctx"}"#;
        let e = status_error(&raw(409, None, body), str::to_string);
        assert!(e.is(409, "general.conflict"));
        assert_eq!(e.entity_id(), None);
        let with_entity =
            r#"{"status":409,"code":"general.conflict","message":"taken","entityId":"u-7"}"#;
        assert_eq!(
            status_error(&raw(409, None, with_entity), str::to_string).entity_id(),
            Some("u-7")
        );
        assert!(
            matches!(&e, ApiError::Status { correlation_id: Some(c), message, .. }
            if c == "ctx" && message == "exists")
        );
        let e = status_error(&raw(409, Some("hdr"), body), str::to_string);
        assert!(matches!(&e, ApiError::Status { correlation_id: Some(c), .. } if c == "hdr"));
        let e = status_error(&raw(502, None, "Bad   gateway\n"), |t| {
            t.replace("gateway", "X")
        });
        assert_eq!(
            e,
            ApiError::Status {
                status: 502,
                code: String::new(),
                message: "Bad X".into(),
                correlation_id: None,
                entity_id: None,
            }
        );
    }

    #[test]
    fn proxy_failures_name_the_proxy_without_its_password() {
        let refused = ureq::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let p = Some("http://user:pw@proxy.corp:3128");
        let text = describe_via(&refused, p);
        assert!(
            text.starts_with(
                "cannot connect to the proxy http://proxy.corp:3128 (setting http_proxy): "
            ),
            "{text}"
        );
        assert!(!text.contains("pw"));
        let tunnel = ureq::Error::ConnectProxyFailed("403 Forbidden".into());
        assert!(describe_via(&tunnel, p).contains("did not open a connection"));
        assert_eq!(describe_via(&refused, None), describe(&refused));
        assert_eq!(proxy_for_display("socks5://10.0.0.1"), "socks5://10.0.0.1");
    }

    #[test]
    fn excerpts_are_short_single_lines() {
        assert_eq!(excerpt(" a\n\tb  c "), "a b c");
        let long = "é".repeat(300);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
    }
}
