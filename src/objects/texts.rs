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
}

/// Panics with what is unreadable: the store wrote this text, so only a damaged database
/// (or a hand edit) makes it fail, and the object must then be neither removed nor created
/// again on a guess. A worker's step turns the panic into an Error status, retried later.
fn unreadable(what: &str, kind: GcsyncObjectKind, e: String) -> ! {
    panic!(
        "the stored {what} of a {} in the gcsync database cannot be read ({e}); restore the \
         database from a backup (README, \"Persistence\")",
        kind.name()
    )
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|e| e.to_string())
}

impl Texts {
    /// The texts of a record's source, applied state and warnings (`None`: NULL).
    pub fn new(source: Option<&[u8]>, applied: Option<&[u8]>, warnings: Option<&[u8]>) -> Texts {
        let parts = [source, applied, warnings];
        let mut at = 0;
        let spans = parts.map(|p| {
            p.map(|p| {
                let span = (at, p.len() as u32);
                at += p.len() as u32;
                span
            })
        });
        // Collected straight into the shared buffer (an exact-size iterator: one allocation,
        // where a Vec turned into an Arc is allocated and copied twice).
        let [s, a, w] = parts.map(Option::unwrap_or_default);
        Texts {
            buf: s.iter().chain(a).chain(w).copied().collect(),
            parts: spans,
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

    /// The CIC data decoded.
    pub fn source(&self, kind: GcsyncObjectKind) -> Option<CicObject> {
        self.source_text().map(|t| {
            utf8(t)
                .and_then(|t| CicObject::decode(kind, t))
                .unwrap_or_else(|e| unreadable("CIC data", kind, e))
        })
    }

    /// What was applied, decoded.
    pub fn applied(&self, kind: GcsyncObjectKind) -> Option<Applied> {
        self.applied_text().map(|t| {
            utf8(t)
                .and_then(|t| Applied::decode(kind, t))
                .unwrap_or_else(|e| unreadable("applied state", kind, e))
        })
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
    pub fn decode(&mut self, kind: GcsyncObjectKind) {
        if let Some(t) = self.texts.take() {
            self.source = t.source(kind).map(Arc::new);
            self.applied = t.applied(kind);
            self.status.warnings = t.warnings();
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
}
