//! `gc-emulator`: run the Genesys Cloud emulator as a standalone loopback server.

use gc_emulator::{Emulator, EmulatorConfig};
use std::io::Write;
use std::process::exit;

const USAGE: &str = "usage: gc-emulator [--bind 127.0.0.1:0] [--client-id ID] [--client-secret S] \
[--token-lifetime SECS] [--rate-limit N] [--latency-ms N] [--latency-jitter-ms N] \
[--error-rate F] [--rate-429 F] [--retry-after-secs N] [--retry-after-max-secs N] \
[--retry-after-http-date-rate F] [--drop-rate F] [--cut-mid-response true|false] [--expire-tokens-every-ms N] [--lost-response-rate F] [--search-lag-ms N] [--list-lag-ms N] \
[--object-list-lag-ms N] \
[--grant PERMISSION]... [--presence-bulk-max N] [--max-presence-sources N] \
[--product-platform NAME|none] [--port-file PATH]";

fn fail(msg: &str) -> ! {
    eprintln!("gc-emulator: {msg}\n{USAGE}");
    exit(2)
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> T {
    v.parse()
        .unwrap_or_else(|_| fail(&format!("{flag}: invalid value '{v}'")))
}

fn main() {
    let mut cfg = EmulatorConfig::default();
    let (mut id, mut secret) = (cfg.clients[0].0.clone(), cfg.clients[0].1.clone());
    let mut port_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return;
        }
        let v = args
            .next()
            .unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--bind" => cfg.bind = v,
            "--client-id" => id = v,
            "--client-secret" => secret = v,
            "--token-lifetime" => cfg.token_lifetime_secs = num(&flag, &v),
            "--rate-limit" => cfg.rate_limit_per_minute = num(&flag, &v),
            "--latency-ms" => cfg.faults.latency_ms = num(&flag, &v),
            "--latency-jitter-ms" => cfg.faults.latency_jitter_ms = num(&flag, &v),
            "--retry-after-secs" => cfg.faults.retry_after_secs = num(&flag, &v),
            "--retry-after-max-secs" => cfg.faults.retry_after_max_secs = num(&flag, &v),
            "--retry-after-http-date-rate" => {
                cfg.faults.retry_after_http_date_rate = num(&flag, &v)
            }
            "--cut-mid-response" => cfg.faults.cut_mid_response = num(&flag, &v),
            "--expire-tokens-every-ms" => cfg.faults.expire_tokens_every_ms = num(&flag, &v),
            "--error-rate" => cfg.faults.error_5xx_rate = num(&flag, &v),
            "--rate-429" => cfg.faults.rate_429 = num(&flag, &v),
            "--drop-rate" => cfg.faults.drop_rate = num(&flag, &v),
            "--lost-response-rate" => cfg.faults.lost_response_rate = num(&flag, &v),
            "--search-lag-ms" => cfg.faults.search_lag_ms = num(&flag, &v),
            "--list-lag-ms" => cfg.faults.list_lag_ms = num(&flag, &v),
            "--object-list-lag-ms" => cfg.faults.object_list_lag_ms = num(&flag, &v),
            "--grant" => cfg.granted_permissions.get_or_insert_with(Vec::new).push(v),
            "--presence-bulk-max" => cfg.presence.bulk_max = num(&flag, &v),
            "--max-presence-sources" => cfg.presence.max_sources = Some(num(&flag, &v)),
            "--product-platform" => cfg.product_platform = Some(v).filter(|p| p != "none"),
            "--port-file" => port_file = Some(v),
            _ => fail(&format!("unknown option {flag}")),
        }
    }
    cfg.clients = vec![(id, secret)];
    let emu = Emulator::start(cfg).unwrap_or_else(|e| fail(&e.to_string()));
    let url = emu.base_url();
    if let Some(p) = port_file {
        if let Err(e) = std::fs::write(&p, format!("{url}\n")) {
            fail(&format!("cannot write port file {p}: {e}"));
        }
    }
    println!("gc-emulator listening on {url}");
    let _ = std::io::stdout().flush();
    // SIGTERM / ctrl-c terminate the process with the default disposition; nothing to clean up.
    emu.wait_for_shutdown();
    emu.stop();
}
