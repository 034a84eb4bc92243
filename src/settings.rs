//! Plugin settings, read from the host's key → value callback and validated as a whole.
//!
//! Every key is listed in [`KEYS`] and documented in README.md. Loading is a pure function of a
//! lookup closure, so it is tested without a host.

use crate::genesys::region::region_urls;
use crate::genesys::ClientConfig;
use crate::result::{Failure, GcsyncResult};
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// What happens in Genesys Cloud when a user is deleted in PureConnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// Set the Genesys user's state to `inactive` (default; reversible).
    Deactivate,
    /// Soft-delete the Genesys user (`DELETE /api/v2/users/{id}`; restorable for a while).
    Delete,
}

/// The scheduling priority of gcsync's background threads (workers, writer, full sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackgroundPriority {
    /// One step below normal (default): Linux nice +5 and `SCHED_BATCH` per thread, Windows
    /// `THREAD_PRIORITY_BELOW_NORMAL`; the host's threads come first.
    BelowNormal,
    /// The priority of the host thread that started them.
    Normal,
}

/// Every setting key gcsync reads.
pub const KEYS: [&str; 43] = [
    "region",
    "client_id",
    "client_secret",
    "api_base_url",
    "login_base_url",
    "sync_user_objects",
    "sync_advanced_platform_objects",
    "data_dir",
    "requests_per_minute",
    "user_removal_policy",
    "http_proxy",
    "ca_bundle",
    "connect_timeout_ms",
    "request_timeout_ms",
    "max_retries",
    "retry_base_ms",
    "max_retry_after_s",
    "version_conflict_retries",
    "conflict_backoff_ms",
    "retry_later_s",
    "max_payload_bytes",
    "max_pending_objects",
    "log_level",
    "division_id",
    "audit_retention_days",
    "audit_max_rows",
    "monthly_api_allowance",
    "default_country_code",
    "org_index_threshold",
    "max_concurrent_requests",
    "presence_reserved_share",
    "proficiency_bands",
    "external_id_authority",
    "deletion_guard",
    "deletion_guard_percent",
    "deletion_guard_max",
    "full_sync_period_hours",
    "full_sync_expand_empty_is_missing",
    "role",
    "wem_org",
    "presence_map",
    "presence_bulk_max",
    "background_priority",
];

/// The validated settings of one plugin instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Region name as configured (informational; the URLs below are what is used).
    pub region: Option<String>,
    /// Genesys Cloud API base URL, e.g. `https://api.mypurecloud.com`.
    pub api_base_url: String,
    /// Genesys Cloud login base URL, e.g. `https://login.mypurecloud.com`.
    pub login_base_url: String,
    /// OAuth client id (client-credentials grant).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// Sync User Objects (default on).
    pub sync_user_objects: bool,
    /// Sync Advanced Platform Objects (default off; needs users on).
    pub sync_advanced_platform_objects: bool,
    /// Where the plugin keeps its state (id links, last applied values, pending work).
    pub data_dir: PathBuf,
    /// Shared request budget per minute (default 240, below Genesys' 300 per token).
    pub requests_per_minute: u32,
    /// What a PureConnect user deletion does in Genesys Cloud.
    pub user_removal_policy: RemovalPolicy,
    /// Explicit HTTP proxy URL; environment proxy variables are never used.
    pub http_proxy: Option<String>,
    /// Extra CA certificates (PEM file) trusted besides the built-in Mozilla roots.
    pub ca_bundle: Option<PathBuf>,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Retries for 5xx, transport errors and short 429s.
    pub max_retries: u32,
    /// Exponential backoff base.
    pub retry_base: Duration,
    /// Longest Retry-After gcsync waits inline; longer becomes a visible error retried later.
    pub max_retry_after: Duration,
    /// GET → PATCH attempts on 409 version conflicts.
    pub version_conflict_retries: u32,
    /// Backoff step between version-conflict attempts (multiplied by the attempt number).
    pub conflict_backoff: Duration,
    /// First delay before an object that failed transiently is tried again (doubles, max 1 h).
    pub retry_later: Duration,
    /// Largest JSON payload a hook accepts.
    pub max_payload_bytes: usize,
    /// Most distinct objects that may wait in the queue at once.
    pub max_pending_objects: usize,
    /// Log level forwarded to the host: error, warn, info, debug, trace, off.
    pub log_level: log::LevelFilter,
    /// Division for created users (home division when unset).
    pub division_id: Option<String>,
    /// Audit entries (and hourly API counts) older than this many days are deleted.
    pub audit_retention_days: u32,
    /// At most this many audit entries are kept (the oldest go first); removal records are kept
    /// for the whole retention period regardless.
    pub audit_max_rows: u64,
    /// The share of the org's monthly API allowance gcsync may use (warning past 80 %).
    pub monthly_api_allowance: Option<u64>,
    /// Country calling code (digits, e.g. `1`) that makes national CIC phone numbers E.164;
    /// unset: only numbers entered with their country code are synced.
    pub default_country_code: Option<String>,
    /// How many unlinked users must be waiting before gcsync reads the org's users once (pages
    /// of 500) and matches them by email, rather than creating each one first and matching only
    /// on a conflict (default 50; 0 = never read the org). See
    /// [`crate::user_sync::should_read_org`].
    pub org_index_threshold: u32,
    /// Genesys Cloud calls that may be in flight at once (worker threads), 1-16 (default 4).
    pub max_concurrent_requests: usize,
    /// Percent of `requests_per_minute` configuration work may never use, kept for presence
    /// (0-90, default 20).
    pub presence_reserved_share: u32,
    /// The CIC proficiencies (1-100) where the Genesys stars step up: four ascending thresholds,
    /// `p <= t[0]` is 1 star ... `p > t[3]` is 5 (default 20, 40, 60, 80).
    pub proficiency_bands: [i64; 4],
    /// The full sync's settings (external ids, deletion guard, period).
    pub full_sync: crate::fullsync::config::FullSyncSettings,
    /// Agent presence: WEM org, the status map's overrides, the bulk size (`settings/presence.rs`).
    pub presence: crate::presence::PresenceSettings,
    /// Priority of the background threads, applied as each starts (`crate::threads`).
    pub background_priority: BackgroundPriority,
}

pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Settings {
    /// Reads and validates every setting through `get` (returns `None` for an unset key).
    pub fn load(get: Lookup) -> Result<Settings, Failure> {
        let region = text(get, "region");
        let from_region = match &region {
            Some(r) => Some(region_urls(&enum_word(r)).ok_or_else(|| {
                invalid(
                    "region",
                    r,
                    "a Genesys Cloud region such as us_east_1 (see README)",
                )
            })?),
            None => None,
        };
        let api = base_url(get, "api_base_url")?;
        let login = base_url(get, "login_base_url")?;
        if let Some(r) = &region {
            for (key, url) in [("api_base_url", &api), ("login_base_url", &login)] {
                region_contradiction(r, key, url.as_deref())?;
            }
        }
        let (api_base_url, login_base_url) = match (api, login, from_region) {
            (Some(a), Some(l), _) => (a, l),
            (a, l, Some((ra, rl))) => (a.unwrap_or(ra), l.unwrap_or(rl)),
            (Some(_), None, None) | (None, Some(_), None) => {
                return Err(Failure::new(
                    GcsyncResult::MissingSetting,
                    "set region, or both api_base_url and login_base_url",
                ))
            }
            (None, None, None) => {
                return Err(Failure::new(
                    GcsyncResult::MissingSetting,
                    "setting region is required (e.g. us_east_1), or both api_base_url and login_base_url",
                ))
            }
        };
        let sync_user_objects = boolean(get, "sync_user_objects", true)?;
        let sync_advanced_platform_objects = boolean(get, "sync_advanced_platform_objects", false)?;
        if sync_advanced_platform_objects && !sync_user_objects {
            return Err(Failure::new(
                GcsyncResult::ConflictingSettings,
                "sync_advanced_platform_objects requires sync_user_objects=true \
                 (Sync Advanced Platform Objects is only available with Sync User Objects)",
            ));
        }
        let user_removal_policy = choice(
            get,
            "user_removal_policy",
            &[
                ("deactivate", RemovalPolicy::Deactivate),
                ("delete", RemovalPolicy::Delete),
            ],
            "deactivate or delete",
        )?
        .unwrap_or(RemovalPolicy::Deactivate);
        let http_proxy = proxy_url(get)?;
        Ok(Settings {
            region,
            api_base_url,
            login_base_url,
            client_id: required(
                get,
                "client_id",
                "the OAuth client id of a client-credentials client",
            )?,
            client_secret: Secret::new(get("client_secret").filter(|s| !s.is_empty()).ok_or_else(
                || {
                    Failure::new(
                        GcsyncResult::MissingSetting,
                        "setting client_secret is required: the OAuth client's secret",
                    )
                },
            )?),
            sync_user_objects,
            sync_advanced_platform_objects,
            data_dir: data_dir(get)?,
            requests_per_minute: number(get, "requests_per_minute", 240, 1, 100_000)? as u32,
            user_removal_policy,
            http_proxy,
            ca_bundle: text(get, "ca_bundle").map(PathBuf::from),
            connect_timeout: millis(get, "connect_timeout_ms", 10_000, 100, 300_000)?,
            request_timeout: millis(get, "request_timeout_ms", 30_000, 100, 600_000)?,
            max_retries: number(get, "max_retries", 5, 0, 20)? as u32,
            retry_base: millis(get, "retry_base_ms", 500, 1, 60_000)?,
            max_retry_after: Duration::from_secs(number(get, "max_retry_after_s", 180, 0, 86_400)?),
            version_conflict_retries: number(get, "version_conflict_retries", 10, 1, 50)? as u32,
            conflict_backoff: millis(get, "conflict_backoff_ms", 500, 0, 60_000)?,
            retry_later: Duration::from_secs(number(get, "retry_later_s", 30, 1, 3600)?),
            max_payload_bytes: number(get, "max_payload_bytes", 1 << 20, 1024, 64 << 20)? as usize,
            max_pending_objects: number(get, "max_pending_objects", 1_000_000, 1, 100_000_000)?
                as usize,
            log_level: level(get)?,
            division_id: division(get)?,
            audit_retention_days: number(get, "audit_retention_days", 90, 1, 3650)? as u32,
            audit_max_rows: number(get, "audit_max_rows", 100_000, 1000, 100_000_000)?,
            monthly_api_allowance: match text(get, "monthly_api_allowance") {
                None => None,
                Some(_) => Some(number(
                    get,
                    "monthly_api_allowance",
                    0,
                    1,
                    1_000_000_000_000,
                )?),
            },
            default_country_code: country_code(get)?,
            org_index_threshold: number(get, "org_index_threshold", 50, 0, 10_000_000)? as u32,
            max_concurrent_requests: number(get, "max_concurrent_requests", 4, 1, 16)? as usize,
            presence_reserved_share: number(get, "presence_reserved_share", 20, 0, 90)? as u32,
            proficiency_bands: bands(get)?,
            full_sync: crate::fullsync::config::load(get)?,
            presence: presence::load(get)?,
            background_priority: choice(
                get,
                "background_priority",
                &[
                    ("below_normal", BackgroundPriority::BelowNormal),
                    ("normal", BackgroundPriority::Normal),
                ],
                "below_normal or normal",
            )?
            .unwrap_or(BackgroundPriority::BelowNormal),
        })
    }

    /// The Genesys client configuration these settings describe (reads the CA bundle file).
    pub fn client_config(&self) -> Result<ClientConfig, Failure> {
        let ca_bundle_pem = match &self.ca_bundle {
            None => None,
            Some(p) => {
                let pem = std::fs::read(p).map_err(|e| {
                    Failure::new(
                        GcsyncResult::InvalidSetting,
                        format!("setting ca_bundle: cannot read {}: {e}", p.display()),
                    )
                })?;
                crate::genesys::setup::parse_ca_bundle(&pem).map_err(|e| {
                    Failure::new(
                        GcsyncResult::InvalidSetting,
                        format!("setting ca_bundle ({}): {}", p.display(), e.into_reason()),
                    )
                })?;
                Some(pem)
            }
        };
        Ok(ClientConfig {
            api_base_url: self.api_base_url.clone(),
            login_base_url: self.login_base_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            requests_per_minute: self.requests_per_minute,
            proxy: self.http_proxy.clone(),
            ca_bundle_pem,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_retries: self.max_retries,
            retry_base: self.retry_base,
            max_retry_after: self.max_retry_after,
            max_concurrent_requests: self.max_concurrent_requests,
            presence_reserved_share: self.presence_reserved_share,
        })
    }

    /// Whether two settings need a new Genesys client (endpoint, credentials, budget, timeouts,
    /// proxy or CA bundle changed).
    pub fn connection_differs(&self, other: &Settings) -> bool {
        self.client_config().ok() != other.client_config().ok()
    }
}

mod presence;
mod read;
#[cfg(test)]
mod tests;
mod urls;
mod validate;

pub use read::enum_word;
pub(crate) use read::{boolean, choice, invalid, number, text};
use read::{millis, required};
use urls::{base_url, proxy_url, region_contradiction};
use validate::{bands, country_code, data_dir, division, level};

#[cfg(test)]
impl Settings {
    /// Minimal valid settings for unit tests: a closed port, dummy credentials, a data directory
    /// that does not exist; everything else at its default.
    pub(crate) fn for_tests() -> Settings {
        let get = |k: &str| {
            Some(match k {
                "api_base_url" | "login_base_url" => "http://127.0.0.1:9".to_string(),
                "client_id" | "client_secret" => "x".into(),
                "data_dir" => "/nonexistent/gcsync".into(),
                _ => return None,
            })
        };
        Settings::load(&get).expect("test settings")
    }
}
