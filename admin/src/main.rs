//! `gcsync-admin`: what a gcsync data directory holds, for an admin or a support engineer. It
//! opens `gcsync.db` read-only, so it is safe while the plugin runs, and never writes anywhere
//! but the report or export file it is asked for.

mod db;
mod export;
mod report;
mod svg;
mod text;

use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes (README, "gcsync-admin").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Ok = 0,
    /// Bad command line.
    Usage = 2,
    /// No data directory, no database in it, or it cannot be opened.
    Missing = 3,
    /// `show`: no such object.
    NotFound = 4,
    /// The database stayed locked by another process for longer than 2 s.
    Locked = 5,
    /// The database is damaged, not a gcsync database, or from a newer gcsync.
    Damaged = 6,
    /// The output file could not be written.
    Output = 7,
}

const USAGE: &str = "\
usage: gcsync-admin [--data-dir DIR] COMMAND [OPTIONS]

Reads DIR/gcsync.db read-only (safe while gcsync runs). DIR defaults to $GCSYNC_data_dir.

commands:
  status                              objects per kind and state, pending changes, errors,
                                      full-sync progress, API usage of the month
  list [--kind K] [--state S]         objects; S: synced, error, not-synced, removed, pending
  show KIND ID                        one object, its status and its recent history
  history [--deleted] [--since DUR] [--kind K] [--id ID] [--limit N]
                                      the audit trail, newest first; --deleted: deactivations,
                                      deletions and removals only; DUR like 30m, 12h, 7d, 2w
  export --csv [--table T] [--output FILE]
                                      CSV of T: objects (default), audit or usage
  report --html FILE                  one self-contained HTML page

exit codes: 0 done, 2 bad command line, 3 no data directory or database (or no access),
4 no such object, 5 database locked, 6 database damaged or from a newer gcsync,
7 output file not written";

/// A parsed command line.
#[derive(Debug, Default)]
pub struct Args {
    pub data_dir: Option<PathBuf>,
    pub command: String,
    pub positional: Vec<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub id: Option<String>,
    pub since: Option<i64>,
    pub deleted: bool,
    pub limit: Option<i64>,
    pub csv: bool,
    pub table: Option<String>,
    pub output: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

pub(crate) fn usage(why: impl Into<String>) -> db::Fail {
    db::Fail(Exit::Usage, format!("{}\n\n{USAGE}", why.into()))
}

/// `30m`, `12h`, `7d`, `2w` (or plain seconds) → seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().ok()?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn parse(argv: &[String]) -> Result<Args, db::Fail> {
    let mut a = Args::default();
    let mut it = argv.iter();
    let value = |it: &mut std::slice::Iter<String>, flag: &str| {
        it.next()
            .cloned()
            .ok_or_else(|| usage(format!("{flag} needs a value")))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => a.command = "help".into(),
            "--version" => a.command = "version".into(),
            "-d" | "--data-dir" => a.data_dir = Some(value(&mut it, arg)?.into()),
            "--kind" => a.kind = Some(value(&mut it, arg)?.to_ascii_lowercase()),
            "--state" => a.state = Some(value(&mut it, arg)?),
            "--id" => a.id = Some(value(&mut it, arg)?),
            "--since" => {
                let v = value(&mut it, arg)?;
                let secs = parse_duration(&v).ok_or_else(|| {
                    usage(format!("--since {v:?}: expected e.g. 30m, 12h, 7d, 2w"))
                })?;
                a.since = Some(secs);
            }
            "--limit" => {
                let v = value(&mut it, arg)?;
                a.limit = Some(
                    v.parse()
                        .map_err(|_| usage(format!("--limit {v:?}: a number")))?,
                );
            }
            "--deleted" => a.deleted = true,
            "--csv" => a.csv = true,
            "--table" => a.table = Some(value(&mut it, arg)?.to_ascii_lowercase()),
            "--output" | "-o" => a.output = Some(value(&mut it, arg)?.into()),
            "--html" => a.html = Some(value(&mut it, arg)?.into()),
            s if s.starts_with('-') => return Err(usage(format!("unknown option {s}"))),
            s if a.command.is_empty() => a.command = s.to_string(),
            s => a.positional.push(s.to_string()),
        }
    }
    Ok(a)
}

fn run(argv: &[String]) -> Result<(), db::Fail> {
    let a = parse(argv)?;
    match a.command.as_str() {
        "help" => {
            println!("{USAGE}");
            return Ok(());
        }
        "version" => {
            println!("gcsync-admin {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        "" => return Err(usage("no command given")),
        "status" | "list" | "show" | "history" | "export" | "report" => {}
        other => return Err(usage(format!("unknown command {other:?}"))),
    }
    let dir = a
        .data_dir
        .clone()
        .or_else(|| std::env::var_os("GCSYNC_data_dir").map(PathBuf::from))
        .ok_or_else(|| usage("no data directory: pass --data-dir DIR or set GCSYNC_data_dir"))?;
    let db = db::Db::open(&dir)?;
    let now = gcsync::clock::unix_now() as i64;
    match a.command.as_str() {
        "status" => text::status(&db, now),
        "list" => text::list(&db, &a),
        "show" => match a.positional.as_slice() {
            [kind, id] => text::show(&db, kind, id),
            _ => Err(usage("show needs KIND and ID, e.g. show user jdoe")),
        },
        "history" => text::history(&db, &a, now),
        "export" if a.csv => export::export(&db, &a),
        "export" => Err(usage("export needs --csv")),
        "report" => match &a.html {
            Some(file) => report::write(&db, file, now),
            None => Err(usage("report needs --html FILE")),
        },
        _ => unreachable!("checked above"),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match run(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(db::Fail(code, message)) => {
            eprintln!("gcsync-admin: {message}");
            ExitCode::from(code as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("7d"), Some(7 * 86_400));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("2W"), Some(14 * 86_400));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("7y"), None);
        assert_eq!(parse_duration("-1d"), None);
    }

    #[test]
    fn command_lines_parse() {
        let argv: Vec<String> = ["history", "--deleted", "--since", "7d", "-d", "/x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let a = parse(&argv).unwrap();
        assert_eq!(a.command, "history");
        assert!(a.deleted);
        assert_eq!(a.since, Some(7 * 86_400));
        assert_eq!(a.data_dir, Some(PathBuf::from("/x")));
        let bad: Vec<String> = vec!["list".into(), "--colour".into()];
        assert_eq!(parse(&bad).unwrap_err().0, Exit::Usage);
        let bad: Vec<String> = vec!["history".into(), "--since".into(), "soon".into()];
        assert_eq!(parse(&bad).unwrap_err().0, Exit::Usage);
    }
}
