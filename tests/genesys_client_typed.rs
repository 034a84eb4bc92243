//! `Client::request_as`: a 2xx answer read straight into a type gives what `request` and
//! reading the type from its `body` give, answers and errors alike.

#[path = "client_support/mod.rs"]
mod common;

use std::sync::Arc;

use common::*;
use gcsync::genesys::users::{self, GcUser};
use gcsync::genesys::{ApiError, Client, Method};
use gcsync::metrics::Metrics;
use serde_json::json;

/// A user answer with many fields `GcUser` does not read (as Genesys Cloud answers a create).
const USER: &str = r#"{"id":"u-1","name":"Jane Doe","email":"jane@example.com","state":"active",
  "version":3,"division":{"id":"d","name":"Home","selfUri":"/x"},"chat":{"jabberId":"j@x"},
  "addresses":[{"address":"+15551234567","mediaType":"PHONE","type":"WORK"}],
  "primaryContactInfo":[{"address":"jane@example.com","mediaType":"EMAIL","type":"PRIMARY"}],
  "acdAutoAnswer":false,"selfUri":"/api/v2/users/u-1"}"#;

fn client(url: &str) -> Client {
    Client::new(config(url), Arc::new(Metrics::default())).unwrap()
}

/// Both ways of reading the answer `body` (status 200) into `GcUser`.
fn both(body: &'static str) -> (Result<GcUser, ApiError>, Result<GcUser, ApiError>) {
    let api = Mock::new(move |_, _| Reply::json(200, body));
    let c = client(&api.url);
    let typed = c.request_as::<GcUser>(
        Method::Post,
        "/api/v2/users",
        &[],
        Some(&json!({})),
        "create user",
    );
    let via_value = c
        .request(Method::Post, "/api/v2/users", &[], Some(&json!({})))
        .and_then(|r| {
            serde_json::from_value::<GcUser>(r.body).map_err(|e| ApiError::Status {
                status: 200,
                code: "gcsync.unexpected.response".into(),
                message: format!("unexpected create user response from Genesys Cloud: {e}"),
                correlation_id: None,
                entity_id: None,
            })
        });
    (typed, via_value)
}

#[test]
fn a_user_answer_reads_the_same_straight_or_through_a_value() {
    let (typed, via_value) = both(USER);
    let u = typed.unwrap();
    assert_eq!(Ok(u.clone()), via_value);
    assert_eq!((u.id.as_str(), u.version, u.state()), ("u-1", 3, "active"));
    assert_eq!(u.addresses.len(), 1);
}

#[test]
fn answers_the_type_cannot_be_read_from_give_the_same_errors() {
    for body in [
        "not json",
        "",
        r#"{"name":"no id"}"#,
        r#"{"id":"u-1"} trailing"#,
    ] {
        let (typed, via_value) = both(body);
        assert!(typed.is_err(), "{body:?}: {typed:?}");
        assert_eq!(typed, via_value, "{body:?}");
    }
}

#[test]
fn the_typed_create_sends_the_same_request() {
    let api = Mock::new(|_, _| Reply::json(200, USER));
    let c = client(&api.url);
    let body = json!({"name": "Jane Doe", "email": "jane@example.com"});
    let u = users::create(&c, &body).unwrap();
    assert_eq!(u.id, "u-1");
    let seen = api.api_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].url.as_str()),
        ("POST", "/api/v2/users")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&seen[0].body).unwrap(),
        body
    );
    // An answer that is not JSON is still refused when the body is not kept.
    let api = Mock::new(|_, _| Reply::json(200, "<html>oops</html>"));
    let e =
        gcsync::genesys::external_ids::add(&client(&api.url), "u-1", "cic", "jdoe").unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    let api =
        Mock::new(|_, _| Reply::json(200, r#"[{"authorityName":"cic","externalKey":"jdoe"}]"#));
    gcsync::genesys::external_ids::add(&client(&api.url), "u-1", "cic", "jdoe").unwrap();
}
