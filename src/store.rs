//! State that outlives the process, in the data directory: `state.json` holds per-object links to
//! Genesys ids, what was last applied and the admin-visible status; `pending.json` holds the
//! changes accepted but not yet applied.
//!
//! Files are written atomically (temporary file, fsync, rename, fsync of the directory) with
//! mode 0600, by the persister thread and at shutdown. The in-memory copy sits behind a mutex
//! that is never held across I/O: saving serialises under the lock and writes after releasing it.

use crate::cic::CicUser;
use crate::mapping::DesiredUser;
use crate::object::ObjectKey;
use crate::queue::Change;
use crate::result::{Failure, GcsyncResult};
use crate::status::ObjectStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// How gcsync came to be linked to a Genesys object. Only what gcsync created or adopted is ever
/// changed or removed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// gcsync created it.
    Created,
    /// It existed with the same email and gcsync took it over.
    Adopted,
    /// It was soft-deleted and gcsync restored it.
    Restored,
}

/// Everything gcsync remembers about one CIC user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UserRecord {
    /// The latest CIC data seen (kept so a settings change or force sync can re-evaluate it).
    pub source: Option<CicUser>,
    /// How the link to the Genesys user came about.
    pub origin: Option<Origin>,
    /// What gcsync last wrote to (or verified in) Genesys Cloud.
    pub applied: Option<DesiredUser>,
    /// Admin-visible status, including the Genesys id.
    pub status: ObjectStatus,
}

/// The persisted document `state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StoreData {
    /// File format version.
    pub format: u32,
    /// Users by CIC id.
    pub users: BTreeMap<String, UserRecord>,
}

/// The persisted document `pending.json`: changes accepted but not yet applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
struct PendingFile {
    format: u32,
    pending: Vec<(ObjectKey, Change)>,
}

/// The store of one plugin instance: `state.json` (objects) and `pending.json` (unfinished
/// changes), written separately because the queue changes far more often than the objects.
pub struct Store {
    dir: PathBuf,
    data: Mutex<StoreData>,
    dirty: AtomicBool,
    loaded_pending: Mutex<Vec<(ObjectKey, Change)>>,
    io: Mutex<()>,
}

fn storage(what: &str, path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(
        GcsyncResult::StorageError,
        format!("{what} {}: {e}", path.display()),
    )
}

/// Reads a JSON file; a missing file is the default value, an unparsable one is moved aside
/// (`<name>.corrupt`) and replaced by the default.
fn load<T: for<'de> Deserialize<'de> + Default>(path: &Path) -> Result<T, Failure> {
    match fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<T>(&bytes) {
            Ok(v) => Ok(v),
            Err(e) => {
                log::error!(
                    "{} is unreadable ({e}); moved aside, starting afresh",
                    path.display()
                );
                let aside = path.with_extension("json.corrupt");
                fs::rename(path, &aside).map_err(|e| storage("cannot move aside", path, e))?;
                Ok(T::default())
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(storage("cannot read", path, e)),
    }
}

/// Writes `bytes` to `path` atomically: temporary file (mode 0600), fsync, rename, fsync of the
/// directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_extension("json.tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| storage("cannot write", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| storage("cannot write", &tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| storage("cannot replace", path, e))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed, mode 0700) the data directory and loads both files. A file
    /// that cannot be parsed is moved aside and gcsync starts afresh (links are then rebuilt by
    /// matching emails, so nothing is duplicated). Writes both back to prove the directory is
    /// writable.
    pub fn open(dir: &Path) -> Result<Store, Failure> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| storage("cannot create data directory", dir, e))?;
        let data: StoreData = load(&dir.join("state.json"))?;
        let pending: PendingFile = load(&dir.join("pending.json"))?;
        let store = Store {
            dir: dir.to_path_buf(),
            data: Mutex::new(StoreData { format: 1, ..data }),
            dirty: AtomicBool::new(true),
            loaded_pending: Mutex::new(pending.pending.clone()),
            io: Mutex::new(()),
        };
        store.save_state()?;
        store.save_pending(pending.pending)?;
        Ok(store)
    }

    /// Locks the in-memory data. Never hold the guard across network or file I/O. Call
    /// [`Store::mark_dirty`] after changing it.
    pub fn lock(&self) -> MutexGuard<'_, StoreData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes that the in-memory data changed and `state.json` should be rewritten.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// The unfinished changes found at open (taken once).
    pub fn take_loaded_pending(&self) -> Vec<(ObjectKey, Change)> {
        std::mem::take(
            &mut *self
                .loaded_pending
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Writes `state.json` if anything changed since the last write. On failure the data stays
    /// marked dirty, so the next call tries again.
    pub fn save_state(&self) -> Result<(), Failure> {
        if !self.dirty.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let path = self.state_path();
        let result = (|| {
            let bytes = {
                let g = self.lock();
                serde_json::to_vec(&*g).map_err(|e| storage("cannot encode", &path, e))?
            };
            let _io = self.io.lock().unwrap_or_else(|p| p.into_inner());
            write_atomic(&path, &bytes)
        })();
        if result.is_err() {
            self.mark_dirty();
        }
        result
    }

    /// Writes `pending.json` with these unfinished changes.
    pub fn save_pending(&self, pending: Vec<(ObjectKey, Change)>) -> Result<(), Failure> {
        let path = self.dir.join("pending.json");
        let bytes = serde_json::to_vec(&PendingFile { format: 1, pending })
            .map_err(|e| storage("cannot encode", &path, e))?;
        let _io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        write_atomic(&path, &bytes)
    }

    /// Path of the state file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trips_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.lock().users.insert("jdoe".into(), UserRecord::default());
        s.mark_dirty();
        s.save_state().unwrap();
        s.save_pending(vec![(ObjectKey::user("x"), Change::RemoveUser)])
            .unwrap();
        for f in ["state.json", "pending.json"] {
            let mode = fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
        let again = Store::open(dir.path()).unwrap();
        assert!(again.lock().users.contains_key("jdoe"));
        assert_eq!(again.take_loaded_pending().len(), 1);
        assert!(again.take_loaded_pending().is_empty(), "taken once");
    }

    #[test]
    fn state_is_rewritten_only_when_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.lock().users.insert("a".into(), UserRecord::default());
        s.save_state().unwrap();
        let on_disk = fs::read_to_string(s.state_path()).unwrap();
        assert!(!on_disk.contains("\"a\""), "not marked dirty, not written");
        s.mark_dirty();
        s.save_state().unwrap();
        assert!(fs::read_to_string(s.state_path())
            .unwrap()
            .contains("\"a\""));
    }

    #[test]
    fn corrupt_files_are_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), b"{not json").unwrap();
        fs::write(dir.path().join("pending.json"), b"[").unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert!(s.lock().users.is_empty());
        assert!(dir.path().join("state.json.corrupt").exists());
        assert!(dir.path().join("pending.json.corrupt").exists());
    }

    #[test]
    fn an_unwritable_directory_is_a_storage_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        fs::write(&file, b"x").unwrap();
        let e = Store::open(&file.join("sub")).err().unwrap();
        assert_eq!(e.code, GcsyncResult::StorageError);
        assert!(e.message.contains("not-a-dir"), "{}", e.message);
    }
}
