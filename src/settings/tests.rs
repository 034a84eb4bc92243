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

#[test]
fn every_enumerated_setting_follows_one_case_rule() {
    // Blanks, case and `-` versus `_` never matter, for every word-valued setting.
    let s = load(&[
        ("user_removal_policy", " Delete "),
        ("log_level", "DEBUG"),
        ("sync_user_objects", "True"),
        ("sync_advanced_platform_objects", "YES"),
        ("region", "EU-West-1"),
    ])
    .unwrap();
    assert_eq!(s.user_removal_policy, RemovalPolicy::Delete);
    assert_eq!(s.log_level, log::LevelFilter::Debug);
    assert!(s.sync_user_objects && s.sync_advanced_platform_objects);
    assert_eq!(s.api_base_url, "https://api.mypurecloud.ie");
    assert_eq!(
        load(&[("user_removal_policy", "DEACTIVATE")])
            .unwrap()
            .user_removal_policy,
        RemovalPolicy::Deactivate
    );
    assert_eq!(
        load(&[("log_level", "Off")]).unwrap().log_level,
        log::LevelFilter::Off
    );
    assert!(
        !load(&[("sync_user_objects", "OFF")])
            .unwrap()
            .sync_user_objects
    );
    // And an unknown word is refused the same way everywhere, listing the accepted ones.
    for (k, v, listed) in [
        ("user_removal_policy", "Purge", "deactivate or delete"),
        (
            "log_level",
            "verbose",
            "off, error, warn, info, debug or trace",
        ),
        ("sync_user_objects", "ja", "true or false"),
        ("region", "US_EAST_9", "us_east_1"),
    ] {
        let f = load(&[(k, v)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{k}={v}");
        assert!(
            f.message.contains(k) && f.message.contains(listed),
            "{}",
            f.message
        );
    }
}

#[test]
fn data_dir_must_be_absolute() {
    for rel in ["gcsync", "./data", "data/gcsync", "~/gcsync"] {
        let f = load(&[("data_dir", rel)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{rel}");
        assert!(f.message.contains("data_dir") && f.message.contains("absolute path"));
    }
    assert_eq!(
        load(&[("data_dir", " /var/lib/gcsync ")]).unwrap().data_dir,
        PathBuf::from("/var/lib/gcsync")
    );
}

#[test]
fn division_id_must_look_like_a_division_id() {
    let id = "5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a47";
    assert_eq!(
        load(&[("division_id", id)]).unwrap().division_id.as_deref(),
        Some(id)
    );
    assert_eq!(load(&[]).unwrap().division_id, None);
    for bad in [
        "home",
        "5f4ae2b8",
        "5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a4",
        "zf4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a47",
    ] {
        let f = load(&[("division_id", bad)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{bad}");
        assert!(f.message.contains("division_id") && f.message.contains("GUID"));
    }
}

#[test]
fn a_base_url_with_a_path_is_refused_naming_the_setting() {
    let f = load(&[
        ("api_base_url", "https://api.mypurecloud.com/api/v2"),
        ("login_base_url", "https://login.mypurecloud.com"),
    ])
    .unwrap_err();
    assert_eq!(f.code, GcsyncResult::InvalidSetting);
    assert!(f.message.contains("api_base_url"), "{}", f.message);
    assert!(
        f.message.contains("use https://api.mypurecloud.com"),
        "{}",
        f.message
    );
}

#[test]
fn audit_and_allowance_settings_have_defaults_and_ranges() {
    let s = load(&[]).unwrap();
    assert_eq!(s.audit_retention_days, 90);
    assert_eq!(s.audit_max_rows, 100_000);
    assert_eq!(s.monthly_api_allowance, None);
    let s = load(&[
        ("audit_retention_days", "7"),
        ("audit_max_rows", "1000"),
        ("monthly_api_allowance", "750000"),
    ])
    .unwrap();
    assert_eq!(
        (
            s.audit_retention_days,
            s.audit_max_rows,
            s.monthly_api_allowance
        ),
        (7, 1000, Some(750_000))
    );
    for (k, v) in [
        ("audit_retention_days", "0"),
        ("audit_retention_days", "4000"),
        ("audit_max_rows", "999"),
        ("monthly_api_allowance", "0"),
        ("monthly_api_allowance", "lots"),
    ] {
        let f = load(&[(k, v)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{k}={v}");
        assert!(
            f.message.contains(k) && f.message.contains("from"),
            "{}",
            f.message
        );
    }
}

#[test]
fn default_country_code_is_digits_with_an_optional_plus() {
    assert_eq!(load(&[]).unwrap().default_country_code, None);
    let cc = |v: &str| load(&[("default_country_code", v)]).map(|s| s.default_country_code);
    assert_eq!(cc("1").unwrap().as_deref(), Some("1"));
    assert_eq!(cc(" +44 ").unwrap().as_deref(), Some("44"));
    assert_eq!(cc("352").unwrap().as_deref(), Some("352"));
    for bad in ["0", "1234", "us", "+", "4 4", "++1"] {
        let e = cc(bad).unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidSetting, "{bad}");
        assert!(e.message.contains("default_country_code"), "{}", e.message);
    }
}

#[test]
fn org_index_threshold_is_a_count_with_zero_for_never() {
    assert_eq!(load(&[]).unwrap().org_index_threshold, 50);
    let t = |v: &str| load(&[("org_index_threshold", v)]).map(|s| s.org_index_threshold);
    assert_eq!(t("0").unwrap(), 0);
    assert_eq!(t(" 2000 ").unwrap(), 2000);
    for bad in ["-1", "many", "10000001"] {
        let e = t(bad).unwrap_err();
        assert!(e.message.contains("org_index_threshold"), "{}", e.message);
    }
}

#[test]
fn concurrency_and_presence_share_are_read_and_checked() {
    let s = load(&[]).unwrap();
    assert_eq!(
        (s.max_concurrent_requests, s.presence_reserved_share),
        (4, 20)
    );
    let cfg = s.client_config().unwrap();
    assert_eq!(
        (cfg.max_concurrent_requests, cfg.presence_reserved_share),
        (4, 20)
    );
    let s = load(&[
        ("max_concurrent_requests", " 16 "),
        ("presence_reserved_share", "0"),
    ])
    .unwrap();
    assert_eq!(
        (s.max_concurrent_requests, s.presence_reserved_share),
        (16, 0)
    );
    let s = load(&[
        ("max_concurrent_requests", "1"),
        ("presence_reserved_share", "90"),
    ])
    .unwrap();
    assert_eq!(
        (s.max_concurrent_requests, s.presence_reserved_share),
        (1, 90)
    );
    for (k, v, range) in [
        ("max_concurrent_requests", "0", "from 1 to 16"),
        ("max_concurrent_requests", "17", "from 1 to 16"),
        ("max_concurrent_requests", "four", "from 1 to 16"),
        ("presence_reserved_share", "91", "from 0 to 90"),
        ("presence_reserved_share", "-1", "from 0 to 90"),
    ] {
        let f = load(&[(k, v)]).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidSetting, "{k}={v}");
        assert!(
            f.message.contains(k) && f.message.contains(range),
            "{}",
            f.message
        );
    }
    // A different budget split needs a new client.
    let a = load(&[]).unwrap();
    assert!(a.connection_differs(&load(&[("presence_reserved_share", "30")]).unwrap()));
}

#[test]
fn proficiency_bands_are_four_ascending_thresholds() {
    assert_eq!(load(&[]).unwrap().proficiency_bands, [20, 40, 60, 80]);
    let b = |v: &str| load(&[("proficiency_bands", v)]).map(|s| s.proficiency_bands);
    assert_eq!(b(" 10, 20 ,30,95").unwrap(), [10, 20, 30, 95]);
    for bad in [
        "20,40,60",
        "20,40,60,80,90",
        "40,20,60,80",
        "20,20,60,80",
        "0,40,60,80",
    ] {
        let e = b(bad).unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidSetting, "{bad}");
        assert!(e.message.contains("proficiency_bands"), "{}", e.message);
    }
    assert!(b("20,40,60,100").is_err() && b("a,b,c,d").is_err());
}

#[test]
fn background_priority_is_below_normal_unless_set_to_normal() {
    use crate::settings::BackgroundPriority::{BelowNormal, Normal};
    assert_eq!(load(&[]).unwrap().background_priority, BelowNormal);
    let p = |v: &str| load(&[("background_priority", v)]).map(|s| s.background_priority);
    assert_eq!(p(" Normal ").unwrap(), Normal);
    assert_eq!(p("below-normal").unwrap(), BelowNormal);
    assert_eq!(p("").unwrap(), BelowNormal);
    for bad in ["low", "high", "above_normal", "0"] {
        let e = p(bad).unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidSetting, "{bad}");
        assert!(
            e.message.contains("background_priority")
                && e.message.contains("below_normal or normal"),
            "{}",
            e.message
        );
    }
}
