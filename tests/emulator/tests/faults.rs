mod common;
use common::*;
use gc_emulator::{Faults, InjectedFault, RetryAfter};
use serde_json::json;
use std::time::{Duration, Instant};

const U: &str = "/api/v2/users";

#[test]
fn injected_faults_in_order() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Ann", "ann@example.com", "active");
    let route = "/api/v2/users/{userId}";
    emu.inject(InjectedFault {
        code: "general.conflict".into(),
        retry_after: RetryAfter::Seconds(3),
        count: 2,
        ..InjectedFault::new("PATCH", route, 409)
    });
    emu.inject(InjectedFault {
        retry_after: RetryAfter::HttpDate(30),
        ..InjectedFault::new("*", "*", 429)
    });
    let p = format!("{U}/{id}");
    // A GET matches only the wildcard entry.
    let r = api(&emu, &tok, "GET", &p, None);
    assert_eq!((r.status, r.code().as_str()), (429, "too.many.requests"));
    let date = r.header("Retry-After").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    for _ in 0..2 {
        let r = patch(&emu, &tok, &p, json!({"version": 1, "name": "X"}));
        assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
        assert_eq!(r.header("Retry-After"), Some("3"));
    }
    let r = patch(&emu, &tok, &p, json!({"version": 1, "name": "X"}));
    assert_eq!(r.status, 200);
    assert_eq!(emu.call_count("PATCH", route), 3);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 429, 409, 409, 200]);
}

#[test]
fn injected_drop_and_login_faults() {
    let emu = start();
    emu.inject(InjectedFault {
        drop_connection: true,
        ..InjectedFault::new("POST", "/oauth/token", 0)
    });
    let r = login_with_result(&emu);
    assert!(r.is_err(), "connection should be closed without an answer");
    assert_eq!(emu.requests()[0].status, 0);
    emu.inject(InjectedFault::new("POST", "/oauth/token", 503));
    let r = login_with(
        &emu,
        "gcsync-test",
        "test-secret",
        "grant_type=client_credentials",
    );
    assert_eq!((r.status, r.code().as_str()), (503, "service.unavailable"));
    token(&emu);
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

fn login_with_result(emu: &gc_emulator::Emulator) -> std::io::Result<Resp> {
    let form = "grant_type=client_credentials";
    try_login_with(emu, "gcsync-test", "test-secret", form)
}

#[test]
fn random_faults_and_latency() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: 7,
        ..Default::default()
    });
    let r = api(&emu, &tok, "GET", U, None);
    assert_eq!((r.status, r.header("Retry-After")), (429, Some("7")));
    emu.set_faults(Faults {
        error_5xx_rate: 1.0,
        ..Default::default()
    });
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 503);
    emu.set_faults(Faults {
        error_5xx_rate: 0.5,
        seed: 42,
        ..Default::default()
    });
    let n = (0..40)
        .filter(|_| api(&emu, &tok, "GET", U, None).status == 503)
        .count();
    assert!((5..35).contains(&n), "{n} of 40 failed");
    emu.set_faults(Faults {
        latency_ms: 150,
        ..Default::default()
    });
    let t = Instant::now();
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    // Control endpoints ignore faults.
    emu.set_faults(Faults {
        drop_rate: 1.0,
        ..Default::default()
    });
    let r = request(&emu.base_url(), "GET", "/__emulator/counts", &[], None).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["GET /api/v2/users"], 43);
}

#[test]
fn control_endpoints() {
    let emu = start();
    let base = emu.base_url();
    let post = |path: &str, body: serde_json::Value| {
        request(
            &base,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        )
        .unwrap()
    };
    let r = post(
        "/__emulator/users",
        json!({"name": "Ann", "email": "ann@example.com", "state": "inactive"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        post(
            "/__emulator/users",
            json!({"name": "A", "email": "ANN@example.com"})
        )
        .status,
        409
    );
    let r = post(
        "/__emulator/inject",
        json!({"method": "GET", "route": "/api/v2/users", "status": 429,
        "retry_after": {"Seconds": 2}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        post("/__emulator/faults", json!({"latency_ms": 0})).status,
        200
    );
    let tok = token(&emu);
    let r = api(&emu, &tok, "GET", U, None);
    assert_eq!((r.status, r.header("Retry-After")), (429, Some("2")));
    let users = request(&base, "GET", "/__emulator/users", &[], None)
        .unwrap()
        .json();
    assert_eq!(users[0]["state"], "inactive");
    let log = request(&base, "GET", "/__emulator/requests", &[], None)
        .unwrap()
        .json();
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert_eq!(post("/__emulator/expire-tokens", json!({})).status, 200);
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 401);
    assert_eq!(post("/__emulator/shutdown", json!({})).status, 200);
    assert!(emu.is_stopping());
    emu.stop();
}

#[test]
fn search_lags_behind_writes_when_configured() {
    let emu = start();
    emu.set_faults(Faults {
        search_lag_ms: 400,
        ..Faults::default()
    });
    let tok = token(&emu);
    let id = emu.seed_user("Lagging", "lag@example.com", "active");
    let by_email =
        json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "lag@example.com"}]});
    let hits = |emu: &gc_emulator::Emulator| {
        let r = post(emu, &tok, "/api/v2/users/search", by_email.clone());
        assert_eq!(r.status, 200);
        r.json()["total"].as_i64().unwrap()
    };
    assert_eq!(hits(&emu), 0, "a new user is not indexed yet");
    // GET by id is read-after-write consistent.
    assert_eq!(
        api(&emu, &tok, "GET", &format!("/api/v2/users/{id}"), None).status,
        200
    );
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(hits(&emu), 1);
    // A deletion is seen by search only after the lag: until then the user still looks active.
    assert_eq!(
        api(&emu, &tok, "DELETE", &format!("/api/v2/users/{id}"), None).status,
        200
    );
    assert_eq!(hits(&emu), 1);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(hits(&emu), 0);
}

/// Every write endpoint: an `after_commit` drop applies the write and loses the answer, so a
/// client that retries sees the result of its first attempt (a duplicate for a POST).
#[test]
fn after_commit_drop_applies_every_write_and_loses_the_answer() {
    let emu = start();
    let tok = token(&emu);
    let lost = |method: &str, route: &str| {
        emu.inject(InjectedFault {
            drop_connection: true,
            after_commit: true,
            ..InjectedFault::new(method, route, 0)
        });
    };
    let send = |method: &str, path: &str, body: Option<serde_json::Value>| {
        try_api(&emu, &tok, method, path, body)
    };
    // POST /api/v2/users: the user exists although the client got no answer; a retry conflicts.
    lost("POST", U);
    let create = json!({"name": "Ann", "email": "ann@example.com"});
    assert!(send("POST", U, Some(create.clone())).is_err(), "no answer");
    let ann = emu
        .user_by_email("ann@example.com")
        .expect("the create was applied");
    let id = ann["id"].as_str().unwrap().to_string();
    let r = post(&emu, &tok, U, create);
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    let last = |n: usize| emu.requests()[emu.requests().len() - n].clone();
    assert_eq!((last(2).status, last(2).handled_status), (0, Some(200)));
    assert_eq!(last(1).handled_status, None);
    // PATCH: applied (version 2); the retry with version 1 is a 409.
    let p = format!("{U}/{id}");
    lost("PATCH", "/api/v2/users/{userId}");
    let rename = json!({"version": 1, "name": "Ann B"});
    assert!(send("PATCH", &p, Some(rename.clone())).is_err());
    assert_eq!(emu.user(&id).unwrap()["name"], "Ann B");
    assert_eq!(patch(&emu, &tok, &p, rename).status, 409);
    // POST / DELETE externalid: applied although unanswered.
    let ext = format!("{p}/externalid");
    lost("POST", "/api/v2/users/{userId}/externalid");
    let pair = json!({"authorityName": "cic", "externalKey": "ann"});
    assert!(send("POST", &ext, Some(pair)).is_err());
    let r = api(&emu, &tok, "GET", &format!("{ext}/cic"), None);
    assert_eq!(
        (r.status, r.json()["externalKey"].as_str()),
        (200, Some("ann"))
    );
    lost(
        "DELETE",
        "/api/v2/users/{userId}/externalid/{authorityName}/{externalKey}",
    );
    assert!(send("DELETE", &format!("{ext}/cic/ann"), None).is_err());
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{ext}/cic"), None).status,
        404
    );
    // DELETE user: soft-deleted although unanswered; the retry is a 404.
    lost("DELETE", "/api/v2/users/{userId}");
    assert!(send("DELETE", &p, None).is_err());
    assert_eq!(emu.user(&id).unwrap()["state"], "deleted");
    assert_eq!(api(&emu, &tok, "DELETE", &p, None).status, 404);
    assert_eq!(emu.users().len(), 1);
}

#[test]
fn after_commit_status_reports_an_error_for_a_write_that_happened() {
    let emu = start();
    let tok = token(&emu);
    emu.inject(InjectedFault {
        after_commit: true,
        ..InjectedFault::new("POST", U, 504)
    });
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "Bo", "email": "bo@example.com"}),
    );
    assert_eq!((r.status, r.code().as_str()), (504, "request.timeout"));
    assert!(emu.user_by_email("bo@example.com").is_some());
    let log = emu.requests();
    assert_eq!((log[1].status, log[1].handled_status), (504, Some(200)));
    // A plain (before-commit) fault replaces the handler: nothing is written.
    emu.inject(InjectedFault::new("POST", U, 503));
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "Cy", "email": "cy@example.com"}),
    );
    assert_eq!(r.status, 503);
    assert!(emu.user_by_email("cy@example.com").is_none());
}

#[test]
fn random_lost_responses_hit_writes_only() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        lost_response_rate: 1.0,
        ..Default::default()
    });
    // Reads and the login are never lost.
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
    token(&emu);
    let body = json!({"name": "Di", "email": "di@example.com"});
    let r = try_api(&emu, &tok, "POST", U, Some(body.clone()));
    assert!(r.is_err(), "the answer to a write is lost");
    assert!(
        emu.user_by_email("di@example.com").is_some(),
        "but the write happened"
    );
    // A failed write loses its answer too, and changes nothing.
    let r = try_api(&emu, &tok, "POST", U, Some(body));
    assert!(r.is_err());
    assert_eq!(emu.requests().last().unwrap().handled_status, Some(409));
    assert_eq!(emu.users().len(), 1);
    // The control endpoint takes the new fields.
    let r = request(
        &emu.base_url(),
        "POST",
        "/__emulator/faults",
        &[("Content-Type", "application/json")],
        Some(br#"{"lost_response_rate": 0, "list_lag_ms": 5}"#),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        api(&emu, &tok, "DELETE", &format!("{U}/nope"), None).status,
        404
    );
}

#[test]
fn listing_lags_like_search_but_id_lookups_are_current() {
    let emu = start();
    emu.set_faults(Faults {
        list_lag_ms: 400,
        ..Faults::default()
    });
    let tok = token(&emu);
    let id = emu.seed_user("Lagging", "lag@example.com", "active");
    let listed = |emu: &gc_emulator::Emulator| {
        let v = api(emu, &tok, "GET", &format!("{U}?pageSize=500"), None).json();
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(listed(&emu).is_empty(), "a new user is not listed yet");
    let by_id = api(&emu, &tok, "GET", &format!("{U}?id={id}"), None).json();
    assert_eq!(by_id["total"], 1, "id look-ups are read-after-write");
    // Search is not lagging in this configuration.
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "lag@example.com"}]});
    let r = post(&emu, &tok, "/api/v2/users/search", q);
    assert_eq!(r.json()["total"], 1);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(listed(&emu), vec!["Lagging"]);
    // A rename is listed under the old name until the lag has passed; a deletion likewise.
    let p = format!("{U}/{id}");
    let r = patch(&emu, &tok, &p, json!({"version": 1, "name": "Renamed"}));
    assert_eq!(r.status, 200);
    assert_eq!(listed(&emu), vec!["Lagging"]);
    assert_eq!(api(&emu, &tok, "DELETE", &p, None).status, 200);
    assert_eq!(listed(&emu), vec!["Lagging"]);
    std::thread::sleep(Duration::from_millis(450));
    assert!(listed(&emu).is_empty());
    let v = api(&emu, &tok, "GET", &format!("{U}?state=deleted"), None).json();
    assert_eq!(v["entities"][0]["name"], "Renamed");
}
