//! What a failed stream test shows beyond its problems (the kill -9 busy stream,
//! `tests/crash_stream.rs`): what each Genesys id named is, the requests naming it, and on
//! request the run's data, requests, ops and child logs kept.

use super::{Act, Op};
use serde_json::Value;

/// On a failure: each Genesys id a problem names is described (a live skill or language and
/// its name, else unknown to the live lists: a deleted one), with every request that names it;
/// `GCSYNC_CRASH_KEEP=1` also copies the data directory (the child's database) and writes the
/// emulator's whole request log (`requests.log`) and the stream's ops (`ops.log`, by index)
/// beside it, in a directory the problems name; the children append their log to `child.log`
/// in the data directory as it comes (their captured log dies with them).
pub fn diagnose(
    emu: &gc_emulator::Emulator,
    dir: &std::path::Path,
    ops: &[Op],
    problems: &mut Vec<String>,
) {
    let (skills, languages) = (emu.dump("skills"), emu.dump("languages"));
    let live = |all: &Value, id: &str| {
        all.as_array()
            .into_iter()
            .flatten()
            .find(|o| o["id"] == id)
            .map(|o| o["name"].to_string())
    };
    let requests = emu.requests();
    let line = |r: &gc_emulator::LoggedRequest| {
        let body = r.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
        format!("{} {} -> {} {body}", r.method, r.path, r.status)
    };
    let ids: std::collections::BTreeSet<String> = problems
        .iter()
        .flat_map(|p| p.split('"').skip(1).step_by(2).map(String::from))
        .filter(|s| s.len() == 36 && s.matches('-').count() == 4)
        .collect();
    for id in ids {
        let what = match (live(&skills, &id), live(&languages, &id)) {
            (Some(n), _) => format!("a live skill named {n}"),
            (_, Some(n)) => format!("a live language named {n}"),
            _ => "no live skill or language (deleted?)".to_string(),
        };
        problems.push(format!("{id}: {what}; requests naming it:"));
        for r in requests.iter().filter(|r| line(r).contains(&id)) {
            problems.push(format!("  {}", line(r)));
        }
    }
    if std::env::var("GCSYNC_CRASH_KEEP").is_ok_and(|v| v == "1") {
        let all: Vec<String> = requests.iter().map(line).collect();
        let kept = std::env::temp_dir().join(format!("gcsync-crash-keep-{}", std::process::id()));
        std::fs::create_dir_all(&kept).unwrap();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), kept.join(e.file_name())).unwrap();
            }
        }
        std::fs::write(kept.join("requests.log"), all.join("\n")).unwrap();
        let ops: Vec<String> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| match &op.act {
                Act::Upsert(v) | Act::Status(v) => format!("{i} {:?} {} {v}", op.kind, op.id),
                Act::Delete => format!("{i} {:?} {} deleted", op.kind, op.id),
            })
            .collect();
        std::fs::write(kept.join("ops.log"), ops.join("\n")).unwrap();
        problems.push(format!("kept: {}", kept.display()));
    }
}
