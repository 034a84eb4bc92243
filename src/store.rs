//! State that outlives the process, kept in `<data_dir>/state.json`: per-object links to Genesys
//! ids, what was last applied, the admin-visible status, and unfinished changes.
//!
//! The file is written atomically (temporary file, fsync, rename, fsync of the directory) with
//! mode 0600. The in-memory copy sits behind a mutex that is never held across I/O: saving
//! serialises under the lock and writes after releasing it.

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

/// The persisted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StoreData {
    /// File format version.
    pub format: u32,
    /// Users by CIC id.
    pub users: BTreeMap<String, UserRecord>,
    /// Changes not yet applied when the file was written.
    pub pending: Vec<(ObjectKey, Change)>,
}

/// The store of one plugin instance.
pub struct Store {
    path: PathBuf,
    data: Mutex<StoreData>,
}

fn storage(what: &str, path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(
        GcsyncResult::StorageError,
        format!("{what} {}: {e}", path.display()),
    )
}

impl Store {
    /// Opens (creating if needed, mode 0700) the data directory and loads `state.json`. A file
    /// that cannot be parsed is moved aside as `state.json.corrupt` and gcsync starts afresh
    /// (links are then rebuilt by matching emails, so nothing is duplicated).
    pub fn open(dir: &Path) -> Result<Store, Failure> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| storage("cannot create data directory", dir, e))?;
        let path = dir.join("state.json");
        let data = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<StoreData>(&bytes) {
                Ok(d) => d,
                Err(e) => {
                    log::error!(
                        "{} is unreadable ({e}); moved aside, starting afresh",
                        path.display()
                    );
                    let aside = dir.join("state.json.corrupt");
                    fs::rename(&path, &aside)
                        .map_err(|e| storage("cannot move aside", &path, e))?;
                    StoreData::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StoreData::default(),
            Err(e) => return Err(storage("cannot read", &path, e)),
        };
        let store = Store {
            path,
            data: Mutex::new(StoreData { format: 1, ..data }),
        };
        store.save()?;
        Ok(store)
    }

    /// Locks the in-memory data. Never hold the guard across network or file I/O.
    pub fn lock(&self) -> MutexGuard<'_, StoreData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the current data atomically with mode 0600.
    pub fn save(&self) -> Result<(), Failure> {
        let bytes = {
            let g = self.lock();
            serde_json::to_vec(&*g).map_err(|e| storage("cannot encode", &self.path, e))?
        };
        let tmp = self.path.with_extension("json.tmp");
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| storage("cannot write", &tmp, e))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| storage("cannot write", &tmp, e))?;
        drop(f);
        fs::rename(&tmp, &self.path).map_err(|e| storage("cannot replace", &self.path, e))?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
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
        s.lock()
            .pending
            .push((ObjectKey::user("x"), Change::RemoveUser));
        s.save().unwrap();
        let mode = fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = Store::open(dir.path()).unwrap();
        assert!(again.lock().users.contains_key("jdoe"));
        assert_eq!(again.lock().pending.len(), 1);
    }

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), b"{not json").unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert!(s.lock().users.is_empty());
        assert!(dir.path().join("state.json.corrupt").exists());
    }
}
