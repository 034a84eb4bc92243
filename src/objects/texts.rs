//! A record's CIC data and applied state kept as their stored JSON text while no one works on
//! the object: `gcsync_init` keeps the text it reads (decoding every stored object was most of
//! its time), and a record a worker is done with goes back to text (a decoded user is several
//! times the size of its text). Readers never see the text: [`super::ObjectTable`] hands out
//! decoded records only.

use super::Record;
use crate::kinds::{Applied, CicObject};
use crate::object::GcsyncObjectKind;
use std::sync::Arc;

/// Whether records of `kind` are kept as text. Users only: they are most of the objects, and
/// no scan of the table reads their data on a hot path, whereas every user's sync scans the
/// workgroups for the skills they give (and a skill, code or workgroup change scans its kind
/// for names), which would decode each of them every time.
pub fn kept_as_text(kind: GcsyncObjectKind) -> bool {
    kind == GcsyncObjectKind::User
}

/// The JSON of a record's `source` and `applied`, exactly as the store writes them
/// ([`CicObject::encode`], [`Applied::encode`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Texts {
    /// The CIC data (`None`: deleted in CIC).
    pub source: Option<Arc<str>>,
    /// What was last applied.
    pub applied: Option<Arc<str>>,
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

impl Texts {
    /// The texts of a decoded source and applied state.
    pub fn encode(
        source: Option<&CicObject>,
        applied: Option<&Applied>,
    ) -> serde_json::Result<Texts> {
        Ok(Texts {
            source: source.map(CicObject::encode).transpose()?.map(Arc::from),
            applied: applied.map(Applied::encode).transpose()?.map(Arc::from),
        })
    }

    /// The CIC data decoded.
    pub fn source(&self, kind: GcsyncObjectKind) -> Option<CicObject> {
        self.source
            .as_deref()
            .map(|t| CicObject::decode(kind, t).unwrap_or_else(|e| unreadable("CIC data", kind, e)))
    }

    /// What was applied, decoded.
    pub fn applied(&self, kind: GcsyncObjectKind) -> Option<Applied> {
        self.applied.as_deref().map(|t| {
            Applied::decode(kind, t).unwrap_or_else(|e| unreadable("applied state", kind, e))
        })
    }
}

impl Record {
    /// Whether CIC still has the object (its source is known, decoded or as text).
    pub fn has_source(&self) -> bool {
        match &self.texts {
            Some(t) => t.source.is_some(),
            None => self.source.is_some(),
        }
    }

    /// Decodes the texts, if the record holds them, into `source` and `applied`.
    pub fn decode(&mut self, kind: GcsyncObjectKind) {
        if let Some(t) = self.texts.take() {
            self.source = t.source(kind).map(Arc::new);
            self.applied = t.applied(kind);
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
        self.texts = Some(texts);
    }
}
