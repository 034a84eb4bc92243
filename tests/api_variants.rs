//! Answers the facts allow but our emulator does not give (API-FACTS: optional fields left out,
//! other documented status codes and error shapes), scripted on a loopback server: gcsync must
//! read them as the facts mean them, not as `tests/emulator` happens to answer.

#[path = "client_support/mod.rs"]
mod common;

use std::sync::Arc;

use common::*;
use gcsync::genesys::Client;
use gcsync::metrics::Metrics;
use serde_json::{json, Value};

fn client(url: &str) -> Client {
    Client::new(config(url), Arc::new(Metrics::default())).unwrap()
}

/// The value of query parameter `name` in `url`.
fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let q = url.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn users(from: usize, n: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({"id": format!("u-{i}"), "name": format!("U {i}"),
                        "email": format!("u{i}@example.com"), "state": "active", "version": 1})
        })
        .collect()
}

#[test]
fn the_full_sync_reads_every_page_when_the_listing_gives_no_page_count() {
    // A listing with `entities` and `pageSize` only (every listing field is optional in the
    // model): pages of 500, 500, then 7.
    let mock = Mock::new(|seen, _| {
        let page: usize = query(&seen.url, "pageNumber").unwrap().parse().unwrap();
        let n = match page {
            1 | 2 => 500,
            3 => 7,
            _ => 0,
        };
        let body = json!({"entities": users((page - 1) * 500, n), "pageSize": 500});
        Reply::json(200, &body.to_string())
    });
    let c = client(&mock.url);
    let mut seen_pages = Vec::new();
    let all =
        gcsync::fullsync::read::read_users(&c, &mut |read, total| seen_pages.push((read, total)))
            .unwrap();
    assert_eq!(all.len(), 1007);
    assert_eq!(all[1006].id, "u-1006");
    assert_eq!(seen_pages, vec![(500, 500), (1000, 1000), (1007, 1007)]);
    assert_eq!(mock.api_requests().len(), 3, "the short third page ends it");
}

#[test]
fn listings_without_entities_are_empty_not_an_error() {
    // `{total: 0}` with no `entities` at all: nothing found, for paged and unpaged listings.
    let mock = Mock::new(|_, _| Reply::json(200, r#"{"total":0,"pageNumber":1}"#));
    let c = client(&mock.url);
    use gcsync::genesys::skills::{self, Category};
    assert_eq!(
        skills::list_named(&c, Category::Skill, "Billing").unwrap(),
        vec![]
    );
    assert_eq!(
        skills::list_named(&c, Category::Language, "Welsh").unwrap(),
        vec![]
    );
    assert_eq!(gcsync::genesys::presence::definitions(&c).unwrap(), vec![]);
    assert!(gcsync::genesys::presence::sources(&c).unwrap().is_empty());
    assert!(gcsync::genesys::queues::find_by_name(&c, "Sales")
        .unwrap()
        .is_empty());
    assert!(gcsync::genesys::users::get_by_ids(&c, &["u-1"])
        .unwrap()
        .is_empty());
    assert_eq!(mock.api_requests().len(), 6, "one page each");
}

fn settings(extra: &[(&str, &str)]) -> gcsync::settings::Settings {
    let mut m: std::collections::BTreeMap<&str, &str> = [
        ("region", "us_east_1"),
        ("client_id", "gcsync-test"),
        ("client_secret", "test-secret"),
        ("data_dir", "/tmp/gcsync-api-variants"),
        ("conflict_backoff_ms", "0"),
    ]
    .into_iter()
    .collect();
    m.extend(extra.iter().copied());
    gcsync::settings::Settings::load(&|k| m.get(k).map(|v| v.to_string())).unwrap()
}

#[test]
fn deactivating_a_user_a_plain_get_shows_deleted_leaves_it_deleted() {
    // A plain GET that answers a soft-deleted user (rather than 404: UNCONFIRMED, API-FACTS §2).
    let mock = Mock::new(|seen, _| match seen.method.as_str() {
        "GET" => Reply::json(
            200,
            r#"{"id":"u-1","name":"Gone","email":"gone@example.com","state":"deleted","version":4}"#,
        ),
        _ => Reply::error(400, "bad.request"),
    });
    let c = client(&mock.url);
    let s = settings(&[("user_removal_policy", "deactivate")]);
    let metrics = Metrics::default();
    let mut ctx = gcsync::user_sync::Ctx {
        client: &c,
        settings: &s,
        metrics: &metrics,
    };
    let r = gcsync::user_sync::remove(&mut ctx, "u-1").unwrap();
    assert_eq!(r, gcsync::user_sync::Removed::AlreadyGone);
    let sent: Vec<String> = mock
        .api_requests()
        .iter()
        .map(|s| s.method.clone())
        .collect();
    assert_eq!(sent, ["GET"], "no PATCH that would restore it");
}

#[test]
fn a_429_on_the_login_is_waited_out_like_any_other() {
    // Our emulator never rate-limits the login; the facts put it under the same rules.
    let mut logins = 0;
    let mock = Mock::raw(move |seen, _| match seen.is_token() {
        true => {
            logins += 1;
            match logins {
                1 => Reply::error(429, "too.many.requests").with("Retry-After", "0"),
                n => token_reply(n, 86_400),
            }
        }
        false => Reply::json(200, "{}"),
    });
    let c = client(&mock.url);
    c.request(gcsync::genesys::Method::Get, "/api/v2/x", &[], None)
        .unwrap();
    assert_eq!(mock.token_requests(), 2);
    assert_eq!(mock.api_requests().len(), 1);
}

#[test]
fn a_retry_after_in_an_obsolete_date_form_is_read() {
    // RFC 850 form, years ahead: far longer than max_retry_after, so the call ends at once
    // (read as the 3 s default it would have been retried).
    let mock = Mock::new(|_, _| {
        Reply::error(429, "too.many.requests")
            .with("Retry-After", "Thursday, 31-Dec-37 23:59:59 GMT")
    });
    let c = client(&mock.url);
    let e = c
        .request(gcsync::genesys::Method::Get, "/api/v2/x", &[], None)
        .unwrap_err();
    match e {
        gcsync::genesys::ApiError::RateLimited { retry_after } => {
            assert!(
                retry_after > std::time::Duration::from_secs(86_400 * 365),
                "{retry_after:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.api_requests().len(), 1, "not retried");
}

/// A linked user whose name changes, updated with its known version against a server whose
/// first PATCH answers `first` and whose read by id shows the user `state`; later PATCHes
/// succeed. Returns the result and the requests sent (`METHOD body`).
fn update_linked(
    first: fn() -> Reply,
    state: &'static str,
) -> (
    Result<gcsync::user_sync::Applied, gcsync::user_sync::SyncError>,
    Vec<String>,
) {
    use gcsync::mapping::DesiredUser;
    use gcsync::objects::Origin;
    use gcsync::user_sync::{sync_user, Known, Matching, UserOp};
    let mock = Mock::new(move |seen, i| match (seen.method.as_str(), i) {
        ("PATCH", 0) => first(),
        ("GET", _) => Reply::json(
            200,
            &format!(r#"{{"entities":[{}],"pageSize":1}}"#, ann(state, 5)),
        ),
        ("PATCH", _) => Reply::json(200, &ann("active", 6)),
        _ => Reply::error(400, "bad.request"),
    });
    let c = client(&mock.url);
    let s = settings(&[]);
    let metrics = Metrics::default();
    let mut ctx = gcsync::user_sync::Ctx {
        client: &c,
        settings: &s,
        metrics: &metrics,
    };
    let desired = |name: &str| DesiredUser {
        name: name.into(),
        email: "ann@example.com".into(),
        phones: Default::default(),
    };
    let (before, after) = (desired("Ann"), desired("Ann B"));
    let known = Known {
        version: 4,
        kept: vec![],
        unsure: false,
    };
    let r = sync_user(
        &mut ctx,
        &UserOp {
            cic_id: "ann",
            desired: &after,
            link: Some(("u-1", Origin::Created)),
            last: Some((&before, &known)),
            matching: Matching::PostFirst,
            owner_of: &|_| Some("ann".to_string()),
            intended: None,
            before_create: &|_| panic!("no create for a linked user"),
            by_external: None,
        },
    );
    let sent = mock
        .api_requests()
        .iter()
        .map(|s| format!("{} {}", s.method, s.body))
        .collect();
    (r, sent)
}

/// User `u-1` (Ann B) in `state` at `version`, as JSON.
fn ann(state: &str, version: i64) -> String {
    json!({"id": "u-1", "name": "Ann B", "email": "ann@example.com", "state": state,
           "version": version})
    .to_string()
}

#[test]
fn an_update_answered_with_the_user_still_deleted_restores_it() {
    // A server that applies a PATCH to a soft-deleted user and answers it (rather than 404:
    // undocumented). The user must be restored, not left deleted and called synced.
    let (r, sent) = update_linked(|| Reply::json(200, &ann("deleted", 5)), "deleted");
    let applied = r.unwrap();
    assert!(applied.restored);
    assert_eq!(applied.known.version, 6);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[2].contains(r#""state":"active""#), "{sent:?}");
}

#[test]
fn an_update_refused_400_because_the_user_is_deleted_restores_it() {
    // A server that refuses a PATCH on a soft-deleted user with a 400 (undocumented).
    let (r, sent) = update_linked(|| Reply::error(400, "bad.request"), "deleted");
    assert!(r.unwrap().restored);
    assert!(sent[3].contains(r#""state":"active""#), "{sent:?}");
    // A 400 on a user that is there is bad input: returned after the one read.
    let (r, sent) = update_linked(|| Reply::error(400, "bad.request"), "active");
    let e = r.unwrap_err();
    assert!(e.to_string().contains("400 bad.request"), "{e}");
    assert_eq!(sent.len(), 2, "{sent:?}");
}

#[test]
fn a_server_that_ignores_the_page_number_fails_the_read_instead_of_looping() {
    // The same full page whatever the pageNumber, no pageCount: read forever without a guard.
    let page = json!({"entities": users(0, 500), "pageSize": 500}).to_string();
    let mock = Mock::new(move |_, _| Reply::json(200, &page));
    let c = client(&mock.url);
    let expect_repeat = |e: gcsync::genesys::ApiError| {
        assert!(e.to_string().contains("with the entities of page 1"), "{e}")
    };
    use gcsync::genesys::skills::{self, Category};
    expect_repeat(skills::list_named(&c, Category::Skill, "U").unwrap_err());
    expect_repeat(skills::user_assignments(&c, Category::Skill, "u-1").unwrap_err());
    expect_repeat(gcsync::genesys::queues::find_by_name(&c, "U 1").unwrap_err());
    expect_repeat(gcsync::fullsync::read::read_users(&c, &mut |_, _| {}).unwrap_err());
    let e = gcsync::user_sync::OrgIndex::read(&c).unwrap_err();
    assert!(e.to_string().contains("with the users of page 1"), "{e}");
    assert_eq!(mock.api_requests().len(), 10, "two pages each");
}
