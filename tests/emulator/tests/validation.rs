mod common;
use common::*;
use serde_json::json;

const U: &str = "/api/v2/users";

fn rejected(r: &Resp, status: u16, code: &str, msg_part: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert_eq!(v["code"], code);
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains(msg_part), "message {msg:?} lacks {msg_part:?}");
}

#[test]
fn schema_rejections() {
    let emu = start();
    let tok = token(&emu);
    let post = |b| post(&emu, &tok, U, b);
    rejected(
        &post(json!({"name": "A", "email": "a@x.com", "foo": 1})),
        400,
        "bad.request",
        "unknown field 'foo'",
    );
    rejected(
        &post(json!({"name": 1, "email": "a@x.com"})),
        400,
        "bad.request",
        "name: expected string",
    );
    rejected(
        &post(json!({"name": "A"})),
        400,
        "bad.request",
        "missing required field 'email'",
    );
    rejected(
        &post(json!({"name": "A", "email": "a@x.com", "state": "gone"})),
        400,
        "bad.request",
        "state: 'gone' is not one of",
    );
    let fax = json!({"name": "A", "email": "a@x.com", "addresses": [{"address": "1", "mediaType": "FAX", "type": "WORK"}]});
    rejected(
        &post(fax),
        400,
        "bad.request",
        "addresses[0].mediaType: 'FAX' is not one of PHONE, EMAIL, SMS",
    );
    rejected(
        &post(json!({"name": "A", "email": "not-an-email"})),
        400,
        "bad.request",
        "email",
    );
    let id = emu.seed_user("B", "b@x.com", "active");
    let r = patch(&emu, &tok, &format!("{U}/{id}"), json!({"name": "C"}));
    rejected(&r, 400, "bad.request", "missing required field 'version'");
    assert!(emu.users().len() == 1, "nothing invalid was stored");
}

#[test]
fn transport_level_rejections() {
    let emu = start();
    let tok = token(&emu);
    let auth = format!("Bearer {tok}");
    let base = emu.base_url();
    let r = request(
        &base,
        "POST",
        U,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(b"{nope"),
    )
    .unwrap();
    rejected(&r, 400, "bad.request", "Malformed JSON");
    let body = br#"{"name":"A","email":"a@x.com"}"#;
    let r = request(
        &base,
        "POST",
        U,
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        Some(body),
    )
    .unwrap();
    rejected(&r, 415, "unsupported.media.type", "application/json");
    let r = request(&base, "POST", U, &[("Authorization", &auth)], Some(body)).unwrap();
    assert_eq!(r.status, 415);
    let r = request(
        &base,
        "POST",
        U,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json; charset=UTF-8"),
        ],
        Some(body),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(&emu, &tok, "GET", "/api/v2/nothing/here", None);
    rejected(&r, 404, "not.found", "");
    let r = api(
        &emu,
        &tok,
        "GET",
        "/api/v2/routing/queues/divisionviews",
        None,
    );
    rejected(&r, 404, "not.found", "not emulated");
    let r = api(&emu, &tok, "POST", U, None);
    rejected(&r, 400, "bad.request", "body is required");
}
