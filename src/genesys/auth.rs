//! OAuth client-credentials pieces: the Basic header, the token cache with proactive renewal, and
//! reading the token endpoint's answers. The HTTP exchange itself lives in `client.rs`.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::secret::Secret;

/// Renew at most this long before expiry (the Go SDK uses 60 s).
pub const RENEW_MARGIN_MAX: Duration = Duration::from_secs(60);

/// Standard base64 (RFC 4648 §4) with `=` padding.
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `Authorization` value for the token request: `Basic base64(id:secret)`. The result is a
/// secret too.
pub fn basic_auth(client_id: &str, client_secret: &Secret) -> Secret {
    let raw = format!("{client_id}:{}", client_secret.expose());
    Secret::new(format!("Basic {}", base64(raw.as_bytes())))
}

/// A cached access token.
#[derive(Debug, Clone)]
pub struct Token {
    value: Secret,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// A token obtained at `obtained` (take the instant the request was sent: conservative)
    /// that the login service said lives `lifetime`.
    pub fn new(value: Secret, obtained: Instant, lifetime: Duration) -> Token {
        Token {
            value,
            obtained,
            lifetime,
        }
    }

    /// The token itself (only for the `Authorization: Bearer` header).
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// How long before expiry the token is renewed: `min(60 s, lifetime / 10)`.
    pub fn renew_margin(&self) -> Duration {
        RENEW_MARGIN_MAX.min(self.lifetime / 10)
    }

    /// Whether the token should be replaced before use at `now`: less than
    /// [`Token::renew_margin`] of its lifetime remains (or it has expired).
    pub fn needs_renewal(&self, now: Instant) -> bool {
        let age = now.saturating_duration_since(self.obtained);
        let remaining = self.lifetime.saturating_sub(age);
        remaining.is_zero() || remaining < self.renew_margin()
    }
}

/// The success body of `POST /oauth/token`.
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// The error body of `POST /oauth/token`.
#[derive(Deserialize, Default)]
struct TokenErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// Lifetime assumed when the login service omits `expires_in` (the shortest it allows).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// Reads a 200 answer: `(access_token, lifetime)`. `None` when the body is not a usable token.
/// `expires_in` is seconds as a JSON number (or, from a lenient server, a numeric string); when
/// it is missing, unreadable or negative the lifetime is [`DEFAULT_LIFETIME`]. Zero is taken at
/// its word: the token is renewed before every use.
pub fn parse_token(body: &[u8]) -> Option<(Secret, Duration)> {
    let parsed: TokenBody = serde_json::from_slice(body).ok()?;
    if parsed.access_token.is_empty() {
        return None;
    }
    let secs = match &parsed.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let lifetime = match secs {
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::from_secs_f64(secs.min(1e9)) // cap keeps the conversion safe
        }
        _ => DEFAULT_LIFETIME,
    };
    Some((Secret::new(parsed.access_token), lifetime))
}

/// A readable reason from a failed token answer: `"<error>: <error_description>"`, falling back
/// to `description`, then to the HTTP status. Never contains the request's credentials.
pub fn token_error_message(status: u16, body: &[u8]) -> String {
    let parsed: TokenErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let error = parsed.error.filter(|s| !s.trim().is_empty());
    let detail = parsed
        .error_description
        .filter(|s| !s.trim().is_empty())
        .or(parsed.description.filter(|s| !s.trim().is_empty()));
    let text = match (error, detail) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        (None, Some(d)) => d,
        (None, None) => format!("HTTP {status} from the login service"),
    };
    // The login service's text is short; keep it bounded even if something else answered.
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xfe]), "+//+");
    }

    #[test]
    fn basic_auth_joins_id_and_secret() {
        let header = basic_auth("Aladdin", &Secret::new("open sesame"));
        assert_eq!(header.expose(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(format!("{header:?}"), "[redacted]");
    }

    #[test]
    fn renewal_margin_is_a_tenth_of_the_lifetime_up_to_a_minute() {
        let t0 = Instant::now();
        let day = Token::new(Secret::new("t"), t0, Duration::from_secs(86_400));
        assert_eq!(day.renew_margin(), Duration::from_secs(60));
        assert!(!day.needs_renewal(t0));
        assert!(!day.needs_renewal(t0 + Duration::from_secs(86_340)));
        assert!(day.needs_renewal(t0 + Duration::from_secs(86_341)));

        let short = Token::new(Secret::new("t"), t0, Duration::from_secs(300));
        assert_eq!(short.renew_margin(), Duration::from_secs(30));
        assert!(!short.needs_renewal(t0 + Duration::from_secs(270)));
        assert!(short.needs_renewal(t0 + Duration::from_secs(271)));
        assert!(short.needs_renewal(t0 + Duration::from_secs(900)));

        let zero = Token::new(Secret::new("t"), t0, Duration::ZERO);
        assert!(zero.needs_renewal(t0));
    }

    #[test]
    fn token_bodies_parse() {
        let (token, life) =
            parse_token(br#"{"access_token":"abc","token_type":"bearer","expires_in":86400}"#)
                .unwrap();
        assert_eq!(token.expose(), "abc");
        assert_eq!(life, Duration::from_secs(86_400));
        let (_, life) = parse_token(br#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(life, DEFAULT_LIFETIME);
        // Variants a server may send: a string, a fraction, null, zero, garbage.
        let life_of = |body: &str| parse_token(body.as_bytes()).unwrap().1;
        assert_eq!(
            life_of(r#"{"access_token":"a","expires_in":"86400"}"#),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            life_of(r#"{"access_token":"a","expires_in":599.5}"#),
            Duration::from_millis(599_500)
        );
        assert_eq!(
            life_of(r#"{"access_token":"a","expires_in":0}"#),
            Duration::ZERO
        );
        for odd in ["null", "-5", "\"soon\"", "\"-1\"", "{}", "true"] {
            let body = format!(r#"{{"access_token":"a","expires_in":{odd}}}"#);
            assert_eq!(life_of(&body), DEFAULT_LIFETIME, "{odd}");
        }
        assert!(parse_token(br#"{"access_token":""}"#).is_none());
        assert!(parse_token(b"<html>").is_none());
    }

    #[test]
    fn token_errors_read_well() {
        assert_eq!(
            token_error_message(
                400,
                br#"{"error":"invalid_client","description":"authentication failed","error_description":"authentication failed"}"#
            ),
            "invalid_client: authentication failed"
        );
        assert_eq!(
            token_error_message(401, br#"{"error":"invalid_client"}"#),
            "invalid_client"
        );
        assert_eq!(
            token_error_message(403, b"<html>nope</html>"),
            "HTTP 403 from the login service"
        );
    }
}
