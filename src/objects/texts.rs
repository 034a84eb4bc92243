//! A record's CIC data and applied state kept as their stored JSON text while no one works on
//! the object: `gcsync_init` keeps the text it reads (decoding every stored object was most of
//! its time), and a record a worker is done with goes back to text (a decoded user is several
//! times the size of its text). Readers never see the text: [`super::ObjectTable`] hands out
//! decoded records only.

use super::Record;
use crate::kinds::{Applied, CicObject};
use crate::object::GcsyncObjectKind;
use crate::status::ObjectStatus;
use std::borrow::Cow;
use std::sync::Arc;

/// Whether records of `kind` are kept as text. Users only: they are most of the objects, and
/// no scan of the table reads their data on a hot path, whereas every user's sync scans the
/// workgroups for the skills they give (and a skill, code or workgroup change scans its kind
/// for names), which would decode each of them every time.
pub fn kept_as_text(kind: GcsyncObjectKind) -> bool {
    kind == GcsyncObjectKind::User
}

/// The JSON of a record's `source`, `applied` and warnings, exactly as the store writes them
/// ([`CicObject::encode`], [`Applied::encode`], a JSON array), in one shared buffer (one
/// allocation per record). Bytes, not `str`: the store's text is not checked for UTF-8 when it
/// is loaded (that was a tenth of the start), but when it is decoded, on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    buf: Arc<[u8]>,
    /// Where each part is in `buf` (start, length); `None`: NULL (no source: deleted in CIC;
    /// no warnings: none).
    parts: [Option<(u32, u32)>; 3],
}

const SOURCE: usize = 0;
const APPLIED: usize = 1;
const WARNINGS: usize = 2;

/// One part of a record's [`Texts`], shared (the queue keeps a synced user's source this way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedText {
    buf: Arc<[u8]>,
    at: (u32, u32),
}

impl SharedText {
    /// The text's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.at.0 as usize..][..self.at.1 as usize]
    }

    /// Whether `other` is this very text (the same buffer and part), not merely equal bytes.
    pub fn same(&self, other: &SharedText) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf) && self.at == other.at
    }
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|e| e.to_string())
}

impl Texts {
    /// The texts of a record's source, applied state and warnings (`None`: NULL).
    pub fn new(source: Option<&[u8]>, applied: Option<&[u8]>, warnings: Option<&[u8]>) -> Texts {
        let parts = [source, applied, warnings];
        let mut buf = Vec::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        let parts = parts.map(|p| {
            p.map(|p| {
                let at = buf.len() as u32;
                buf.extend_from_slice(p);
                (at, p.len() as u32)
            })
        });
        // Copied once more into the shared buffer, with memcpy (collecting the bytes into it
        // directly copies them one by one: a tenth of the start in `perf`).
        Texts {
            buf: buf.into(),
            parts,
        }
    }

    /// The texts of a decoded source, applied state and warnings.
    pub fn encode(
        source: Option<&CicObject>,
        applied: Option<&Applied>,
        warnings: &[String],
    ) -> serde_json::Result<Texts> {
        let source = source.map(CicObject::encode).transpose()?;
        let applied = applied.map(Applied::encode).transpose()?;
        let warnings = match warnings.is_empty() {
            true => None,
            false => Some(serde_json::to_string(warnings)?),
        };
        Ok(Texts::new(
            source.as_deref().map(str::as_bytes),
            applied.as_deref().map(str::as_bytes),
            warnings.as_deref().map(str::as_bytes),
        ))
    }

    fn part(&self, i: usize) -> Option<&[u8]> {
        self.parts[i].map(|(at, len)| &self.buf[at as usize..][..len as usize])
    }

    /// The source's text (`None`: deleted in CIC).
    pub fn source_text(&self) -> Option<&[u8]> {
        self.part(SOURCE)
    }

    /// The applied state's text.
    pub fn applied_text(&self) -> Option<&[u8]> {
        self.part(APPLIED)
    }

    /// The warnings' text (a JSON array; `None`: none).
    pub fn warnings_text(&self) -> Option<&[u8]> {
        self.part(WARNINGS)
    }

    /// The source's text, shared.
    pub fn source_shared(&self) -> Option<SharedText> {
        self.parts[SOURCE].map(|at| SharedText {
            buf: self.buf.clone(),
            at,
        })
    }

    /// The CIC data decoded (`Err`: the text cannot be read).
    pub fn source(&self, kind: GcsyncObjectKind) -> Result<Option<CicObject>, String> {
        self.source_text()
            .map(|t| utf8(t).and_then(|t| CicObject::decode(kind, t)))
            .transpose()
    }

    /// What was applied, decoded (`Err`: the text cannot be read).
    pub fn applied(&self, kind: GcsyncObjectKind) -> Result<Option<Applied>, String> {
        self.applied_text()
            .map(|t| utf8(t).and_then(|t| Applied::decode(kind, t)))
            .transpose()
    }

    /// The warnings decoded (an unreadable list reads as none: it is only shown).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings_text()
            .map(|t| serde_json::from_slice(t).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Whether the record has warnings.
    pub fn has_warnings(&self) -> bool {
        self.parts[WARNINGS].is_some()
    }
}

impl Record {
    /// The status as queries show it: a record kept as text has its warnings decoded into a
    /// copy.
    pub fn status_shown(&self) -> Cow<'_, ObjectStatus> {
        match self.texts.as_ref().filter(|t| t.has_warnings()) {
            Some(t) => Cow::Owned(ObjectStatus {
                warnings: t.warnings(),
                ..self.status.clone()
            }),
            None => Cow::Borrowed(&self.status),
        }
    }

    /// Whether CIC still has the object (its source is known, decoded or as text).
    pub fn has_source(&self) -> bool {
        match &self.texts {
            Some(t) => t.parts[SOURCE].is_some(),
            None => self.source.is_some(),
        }
    }

    /// Decodes the texts, if the record holds them, into `source` and `applied`.
    ///
    /// The store wrote the text, so only damage outside gcsync makes it unreadable. Then the
    /// object must be neither removed nor created again on a guess: unreadable applied state
    /// reads as unknown (the next write reads the Genesys object first); unreadable CIC data
    /// leaves the record without it, in Error, and marked removed with its Genesys link kept, so
    /// nothing treats it as deleted in CIC (no removal is applied) or as new (no create), and the
    /// next change CIC sends for it is applied to the linked object.
    pub fn decode(&mut self, kind: GcsyncObjectKind) {
        let Some(t) = self.texts.take() else {
            return;
        };
        self.status.warnings = t.warnings();
        self.applied = t.applied(kind).unwrap_or_else(|e| {
            log::error!(
                "the stored applied state of a {} cannot be read ({e}); read as unknown",
                kind.name()
            );
            None
        });
        match t.source(kind) {
            Ok(source) => self.source = source.map(Arc::new),
            Err(e) => {
                log::error!(
                    "the stored CIC data of a {} cannot be read ({e})",
                    kind.name()
                );
                self.source = None;
                self.status.state = crate::status::SyncState::Error;
                self.status.removed = true;
                self.status.reason = Some(format!(
                    "the CIC data stored for this object cannot be read ({e}); send it again \
                     from CIC (its Genesys link is kept), or restore the database from a backup"
                ));
            }
        }
    }

    /// [`Record::decode`] of a record taken whole.
    pub fn decoded(mut self, kind: GcsyncObjectKind) -> Record {
        self.decode(kind);
        self
    }

    /// Keeps `source` and `applied` as `texts` (which must be their encoding) instead.
    pub(super) fn keep_as(&mut self, texts: Texts) {
        self.source = None;
        self.applied = None;
        self.status.warnings = Vec::new();
        self.texts = Some(texts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_reads_back_from_the_one_buffer() {
        let t = Texts::new(Some(b"{\"id\":\"a\"}"), None, Some(b"[\"w\"]"));
        assert_eq!(t.source_text(), Some(&b"{\"id\":\"a\"}"[..]));
        assert_eq!(t.applied_text(), None);
        assert_eq!(t.warnings_text(), Some(&b"[\"w\"]"[..]));
        assert_eq!(t.warnings(), vec!["w".to_string()]);
        assert_eq!(t.source_shared().unwrap().bytes(), t.source_text().unwrap());
        let empty = Texts::new(None, Some(b""), None);
        assert_eq!(empty.applied_text(), Some(&b""[..]), "empty is not NULL");
        assert!(empty.source_text().is_none() && !empty.has_warnings());
    }

    /// Damaged text (outside gcsync) is never read as "deleted in CIC" or "new": the record
    /// keeps its link, shows the damage in Error, and is marked removed, so no removal is
    /// applied and no create made.
    #[test]
    fn an_unreadable_source_keeps_the_link_and_is_neither_removed_nor_new() {
        let mut r = Record::default();
        r.status.state = crate::status::SyncState::Synced;
        r.status.genesys_id = Some("g-1".into());
        r.texts = Some(Texts::new(Some(b"{\"id\":"), Some(b"\xff"), None));
        assert!(r.has_source() && !r.unfinished());
        r.decode(GcsyncObjectKind::User);
        assert_eq!((r.source.as_ref(), r.applied.as_ref()), (None, None));
        assert_eq!(r.status.state, crate::status::SyncState::Error);
        assert!(
            r.status.removed && !r.unfinished(),
            "no removal is queued for it"
        );
        assert_eq!(r.status.genesys_id.as_deref(), Some("g-1"));
        assert!(r.status.reason.unwrap().contains("cannot be read"));
    }
}
