//! Shared by the `user_floor*` tests: an emulator and a `Client` aimed at it, and the calls of
//! `user_sync::sync_user` for a new and for a linked user.

use gc_emulator::{Emulator, EmulatorConfig};
use gcsync::genesys::{Client, ClientConfig};
use gcsync::mapping::{DesiredUser, Phone};
use gcsync::metrics::Metrics;
use gcsync::secret::Secret;
use gcsync::settings::Settings;
use gcsync::user_sync::{sync_user, Applied, Ctx, Matching, SyncError, UserOp};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub struct Org {
    pub emu: Emulator,
    pub client: Client,
    pub settings: Settings,
    metrics: Arc<Metrics>,
}

fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut m: BTreeMap<&str, &str> = [
        ("region", "us_east_1"),
        ("client_id", "gcsync-test"),
        ("client_secret", "test-secret"),
        ("data_dir", "/tmp/gcsync-floor"),
        ("conflict_backoff_ms", "0"),
    ]
    .into_iter()
    .collect();
    m.extend(extra.iter().copied());
    Settings::load(&|k| m.get(k).map(|v| v.to_string())).unwrap()
}

impl Org {
    pub fn new() -> Org {
        Org::with(&[])
    }

    pub fn with(extra: &[(&str, &str)]) -> Org {
        let emu = Emulator::start(EmulatorConfig {
            rate_limit_per_minute: 1_000_000,
            ..EmulatorConfig::default()
        })
        .unwrap();
        let metrics = Arc::new(Metrics::default());
        let cfg = ClientConfig {
            api_base_url: emu.base_url(),
            login_base_url: emu.base_url(),
            client_id: "gcsync-test".into(),
            client_secret: Secret::new("test-secret"),
            requests_per_minute: 1_000_000,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            max_retries: 3,
            retry_base: Duration::from_millis(5),
            ..ClientConfig::default()
        };
        Org {
            client: Client::new(cfg, metrics.clone()).unwrap(),
            settings: settings(extra),
            metrics,
            emu,
        }
    }

    pub fn ctx(&mut self) -> Ctx<'_> {
        Ctx {
            client: &self.client,
            settings: &self.settings,
            metrics: &self.metrics,
        }
    }

    /// `{"METHOD route": n}` of the log, the token request included.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in self.emu.requests() {
            *m.entry(format!("{} {}", r.method, r.route)).or_insert(0) += 1;
        }
        m
    }

    pub fn writes(&self) -> usize {
        let reads = ["GET", "HEAD"];
        self.emu
            .requests()
            .iter()
            .filter(|r| !["/oauth/token", "/api/v2/users/search"].contains(&r.route.as_str()))
            .filter(|r| !reads.contains(&r.method.as_str()))
            .count()
    }

    /// A call before the measured part, so the token is cached.
    pub fn warm(&mut self) {
        gcsync::genesys::users::get_by_ids(&self.client, &["none"]).unwrap();
        self.emu.clear_requests();
    }
}

pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

pub fn desired(i: usize) -> DesiredUser {
    DesiredUser {
        name: format!("User {i:04}"),
        email: format!("user{i:04}@example.com"),
        phones: [("WORK".to_string(), Phone::number("+13175550100"))]
            .into_iter()
            .collect(),
    }
}

/// The arguments of one unlinked user's `sync_user`, with no other CIC user owning anything.
pub fn sync_new(
    ctx: &mut Ctx,
    cic_id: &str,
    d: &DesiredUser,
    matching: Matching,
    intended: Option<&str>,
) -> Result<Applied, SyncError> {
    let intents = Cell::new(0);
    let before_create = |_: &str| {
        intents.set(intents.get() + 1);
        Ok(())
    };
    let r = sync_user(
        ctx,
        &UserOp {
            cic_id,
            desired: d,
            link: None,
            last: None,
            matching,
            owner_of: &|_| None,
            intended,
            before_create: &before_create,
            by_external: None,
        },
    );
    assert!(intents.get() <= 1, "at most one intent per call");
    r
}

/// `sync_user` for CIC user `cic_id` linked by `a` (a previous result) whose last applied state
/// was `last`; no create may happen.
pub fn sync_linked(
    ctx: &mut Ctx,
    cic_id: &str,
    d: &DesiredUser,
    a: &Applied,
    last: &DesiredUser,
) -> Result<Applied, SyncError> {
    let owner = cic_id.to_string();
    sync_user(
        ctx,
        &UserOp {
            cic_id,
            desired: d,
            link: Some((&a.genesys_id, a.origin)),
            last: Some((last, &a.known)),
            matching: Matching::PostFirst,
            owner_of: &|_| Some(owner.clone()),
            intended: None,
            before_create: &|_| panic!("no create for a linked user"),
            by_external: None,
        },
    )
}

/// Creates `users` as new users, one POST each (CIC ids `u0`, `u1`, ...).
pub fn create_all(org: &mut Org, users: &[DesiredUser]) -> Vec<Applied> {
    users
        .iter()
        .enumerate()
        .map(|(i, d)| {
            sync_new(
                &mut org.ctx(),
                &format!("u{i}"),
                d,
                Matching::PostFirst,
                None,
            )
            .unwrap()
        })
        .collect()
}

/// The number of users of the size-dependent tests: `GCSYNC_FLOOR_USERS` (e.g. 10000 for the
/// figures of issue 6), else `default` (the CI size).
pub fn size(default: usize) -> usize {
    std::env::var("GCSYNC_FLOOR_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every logged request, the token request included.
pub fn total(counts: &BTreeMap<String, usize>) -> usize {
    counts.values().sum()
}
