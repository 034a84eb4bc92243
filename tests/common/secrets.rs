//! The secret scan integration tests end with (issue 12 item 6): the client secrets the test
//! set, their `Basic` header forms and every access token the emulator issued are searched for
//! in everything gcsync produced: every log line (tests run at trace level), every status,
//! list and overview JSON and every error message the test read (recorded by the helpers in
//! `common`), every row of every table of the database (the audit table included), and the
//! raw bytes of the database files (`gcsync.db`, `-wal`: freed pages and old row versions
//! too). Zero hits, or the test fails naming where the secret was found (never printing it).

use std::path::Path;
use std::sync::Mutex;

/// Every text gcsync handed the test through a query or `gcsync_last_error_message`.
static OUTPUTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Every `client_secret` value a test set (good and bad ones alike).
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a text gcsync produced (a query's JSON, an error message).
pub fn record_output(text: &str) {
    if !text.is_empty() {
        OUTPUTS.lock().unwrap().push(text.to_string());
    }
}

/// Remembers a secret to scan for.
pub fn record_secret(secret: &str) {
    let mut s = SECRETS.lock().unwrap();
    if secret.len() >= 6 && !s.iter().any(|x| x == secret) {
        s.push(secret.to_string());
    }
}

/// Forgets the recorded outputs (a new test in the same process).
pub fn reset_outputs() {
    OUTPUTS.lock().unwrap().clear();
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What to look for: each recorded secret, `base64(client_id:secret)` for each (the Basic
/// header's value) and each token.
pub fn needles(client_ids: &[&str], tokens: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in SECRETS.lock().unwrap().iter() {
        out.push((format!("client secret #{}", out.len()), s.clone()));
        for id in client_ids {
            out.push((
                format!("Basic credentials of {id}"),
                base64(format!("{id}:{s}").as_bytes()),
            ));
        }
    }
    for (i, t) in tokens.iter().enumerate() {
        out.push((format!("access token #{i}"), t.clone()));
    }
    out
}

/// Every row of every table of the SQLite database at `db`, one text per row
/// (`table: col=value, ...`; blobs read as lossy UTF-8); none for a file that is not a database.
pub fn database_rows(db: &Path) -> Vec<String> {
    use rusqlite::types::ValueRef;
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let Ok(mut list) = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'") else {
        return Vec::new(); // not a database (a test damaged it): its raw bytes are still scanned
    };
    let tables: Vec<String> = list
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut rows = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let mut line = format!("{table}:");
            for (i, name) in names.iter().enumerate() {
                let v = match r.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_string(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                    ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into(),
                };
                line.push_str(&format!(" {name}={v}"));
            }
            rows.push(line);
        }
    }
    rows
}

/// Where each needle occurs in `texts` (`(where, text)` pairs): `"<needle name> in <where>"`.
pub fn hits(needles: &[(String, String)], texts: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (place, text) in texts {
        for (name, needle) in needles {
            if text.contains(needle.as_str()) {
                found.push(format!("{name} in {place}"));
            }
        }
    }
    found
}

/// The whole scan: the log lines given, the recorded outputs, and, when `data_dir` holds a
/// database, its rows and raw files. Panics listing every hit. Returns how many texts were
/// scanned (so a caller can check the scan saw something).
pub fn assert_no_secrets_in(
    logs: &[String],
    data_dir: Option<&Path>,
    client_ids: &[&str],
    tokens: &[String],
) -> usize {
    let needles = needles(client_ids, tokens);
    assert!(!needles.is_empty(), "no secret recorded to scan for");
    let mut texts: Vec<(String, String)> = Vec::new();
    for (i, l) in logs.iter().enumerate() {
        texts.push((format!("log line {i}"), l.clone()));
        for marker in ["Bearer ", "Basic ", "access_token"] {
            assert!(!l.contains(marker), "{marker:?} in log line {i}: {l}");
        }
    }
    for (i, o) in OUTPUTS.lock().unwrap().iter().enumerate() {
        texts.push((format!("query output or error message {i}"), o.clone()));
    }
    if let Some(dir) = data_dir.filter(|d| d.join("gcsync.db").exists()) {
        for (i, row) in database_rows(&dir.join("gcsync.db"))
            .into_iter()
            .enumerate()
        {
            texts.push((format!("database row {i} ({})", table_of(&row)), row));
        }
        for file in ["gcsync.db", "gcsync.db-wal", "gcsync.db-journal"] {
            if let Ok(bytes) = std::fs::read(dir.join(file)) {
                texts.push((
                    file.to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    let found = hits(&needles, &texts);
    assert!(found.is_empty(), "secrets found: {found:?}");
    texts.len()
}

fn table_of(row: &str) -> &str {
    row.split(':').next().unwrap_or("")
}

/// Checks the scan itself: a planted secret, its Basic form and a token are each found, and a
/// hit never prints the secret. Called by `tests/credentials.rs`.
pub fn self_test() {
    assert_eq!(base64(b"gcsync-test:s"), "Z2NzeW5jLXRlc3Q6cw==");
    assert_eq!(base64(b"ab"), "YWI=");
    record_secret("planted-secret-1234");
    let needles = needles(&["id-1"], &["tok123456".to_string()]);
    let texts = vec![
        ("a".to_string(), "x planted-secret-1234 y".to_string()),
        ("b".to_string(), base64(b"id-1:planted-secret-1234")),
        ("c".to_string(), "tok123456".to_string()),
        ("d".to_string(), "nothing here".to_string()),
    ];
    let found = hits(&needles, &texts);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|f| !f.contains("planted")));
}
