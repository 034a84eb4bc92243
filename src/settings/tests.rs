use super::*;
use std::collections::HashMap;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, Failure> {
    let mut m: HashMap<String, String> = [
        ("region", "us_east_1"),
        ("client_id", "id"),
        ("client_secret", "s3cret"),
        ("data_dir", "/tmp/gcsync"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        if v.is_empty() {
            m.remove(*k);
        } else {
            m.insert(k.to_string(), v.to_string());
        }
    }
    Settings::load(&|k| m.get(k).cloned())
}

fn code(pairs: &[(&str, &str)]) -> GcsyncResult {
    load(pairs).unwrap_err().code
}

#[test]
fn defaults_are_safe() {
    let s = load(&[]).unwrap();
    assert_eq!(s.api_base_url, "https://api.mypurecloud.com");
    assert_eq!(s.login_base_url, "https://login.mypurecloud.com");
    assert!(s.sync_user_objects);
    assert!(!s.sync_advanced_platform_objects);
    assert!(s.requests_per_minute < 300);
    assert_eq!(s.user_removal_policy, RemovalPolicy::Deactivate);
    assert_eq!(s.http_proxy, None);
    assert_eq!(s.max_retry_after, Duration::from_secs(180));
}

#[test]
fn every_region_resolves() {
    for (name, host) in crate::genesys::region::REGIONS {
        let s = load(&[("region", name)]).unwrap();
        assert_eq!(s.api_base_url, format!("https://api.{host}"));
        assert_eq!(s.login_base_url, format!("https://login.{host}"));
    }
    assert_eq!(crate::genesys::region::REGIONS.len(), 18);
    assert_eq!(code(&[("region", "mars_1")]), GcsyncResult::InvalidSetting);
}

#[test]
fn overrides_win_and_plain_http_is_loopback_only() {
    let s = load(&[
        ("region", ""),
        ("api_base_url", "http://127.0.0.1:8080/"),
        ("login_base_url", "http://localhost:8080"),
    ])
    .unwrap();
    assert_eq!(s.api_base_url, "http://127.0.0.1:8080");
    assert_eq!(
        code(&[("api_base_url", "http://example.com")]),
        GcsyncResult::InvalidSetting
    );
    assert_eq!(
        code(&[("api_base_url", "ftp://x")]),
        GcsyncResult::InvalidSetting
    );
    load(&[("api_base_url", "http://[::1]:9/")]).unwrap();
    assert_eq!(
        code(&[("api_base_url", "http://127.example.com")]),
        GcsyncResult::InvalidSetting
    );
    assert_eq!(
        code(&[("region", ""), ("api_base_url", "https://api.x.com")]),
        GcsyncResult::MissingSetting
    );
}

#[test]
fn required_and_conflicting_settings_are_named() {
    let f = load(&[("client_id", "")]).unwrap_err();
    assert_eq!(f.code, GcsyncResult::MissingSetting);
    assert!(f.message.contains("client_id"));
    assert_eq!(code(&[("client_secret", "")]), GcsyncResult::MissingSetting);
    assert_eq!(code(&[("data_dir", "")]), GcsyncResult::MissingSetting);
    let f = load(&[
        ("sync_user_objects", "false"),
        ("sync_advanced_platform_objects", "true"),
    ])
    .unwrap_err();
    assert_eq!(f.code, GcsyncResult::ConflictingSettings);
    assert!(f.message.contains("sync_user_objects"));
}

#[test]
fn invalid_values_are_rejected_with_the_key() {
    for (k, v) in [
        ("sync_user_objects", "maybe"),
        ("requests_per_minute", "0"),
        ("requests_per_minute", "abc"),
        ("user_removal_policy", "purge"),
        ("http_proxy", "proxy:3128"),
        ("log_level", "loud"),
        ("max_retries", "99"),
    ] {
        let f = load(&[(k, v)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{k}={v}");
        assert!(f.message.contains(k), "{}", f.message);
    }
    let s = load(&[
        ("user_removal_policy", "delete"),
        ("sync_user_objects", "off"),
    ])
    .unwrap();
    assert_eq!(s.user_removal_policy, RemovalPolicy::Delete);
    assert!(!s.sync_user_objects);
}

#[test]
fn secret_never_appears_in_errors_or_debug() {
    let s = load(&[]).unwrap();
    assert!(!format!("{s:?}").contains("s3cret"));
    let f = load(&[("requests_per_minute", "x")]).unwrap_err();
    assert!(!f.message.contains("s3cret"));
    let cfg = s.client_config().unwrap();
    assert!(!format!("{cfg:?}").contains("s3cret"));
}

#[test]
fn connection_change_is_detected() {
    let a = load(&[]).unwrap();
    assert!(!a.connection_differs(&load(&[("log_level", "debug")]).unwrap()));
    assert!(a.connection_differs(&load(&[("client_secret", "other")]).unwrap()));
    assert!(a.connection_differs(&load(&[("region", "eu_west_1")]).unwrap()));
}
