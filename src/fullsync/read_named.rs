//! The full sync's reads of the named kinds, each once, in pages of the largest size known to
//! be accepted (API-FACTS §3-5, §8; the emulator refuses larger): queues 500, skills 500,
//! languages 100, wrap-up codes 100; then, for each queue gcsync owns or would adopt that the
//! snapshot holds, its members (100 a page, to a short page: the listing has no total) and its
//! wrap-up codes (100 a page). Like [`super::read::read_users`], each returns the whole list or
//! an error, never a partial one.

use super::named_kinds::{OrgQueue, OrgSkill};
use crate::genesys::queues::{self, read_pages, Named};
use crate::genesys::skills::GcRouting;
use crate::genesys::{ApiError, Client};

/// Page size of the queue list.
pub(crate) const QUEUE_PAGE: usize = 500;
/// Page size of the skill list.
pub(crate) const SKILL_PAGE: usize = 500;
/// Page size of the language list.
pub(crate) const LANGUAGE_PAGE: usize = 100;
/// Page size of the wrap-up code list (and of a queue's wrap-up codes).
pub(crate) const CODE_PAGE: usize = 100;

/// Which of a queue's parts a full sync reads: (members, wrap-up codes).
pub type Parts = (bool, bool);

/// Every queue of the org; the members and codes of those `wanted` says (by id and name). A
/// part is read only where the snapshot wants some or gcsync owns some (else nothing can
/// differ). A queue that disappears between the list and its parts is left out (it is gone).
pub fn read_queues(
    client: &Client,
    wanted: &dyn Fn(&Named) -> Parts,
    on_read: &mut dyn FnMut(usize),
) -> Result<Vec<OrgQueue>, ApiError> {
    let list: Vec<Named> = read_pages(client, "/api/v2/routing/queues", &[], QUEUE_PAGE, "queues")?;
    on_read(list.len());
    let mut out = Vec::with_capacity(list.len());
    for q in list {
        let mut o = OrgQueue {
            id: q.id.clone(),
            name: q.name.clone(),
            ..OrgQueue::default()
        };
        let (members, codes) = wanted(&q);
        if members {
            let Some(m) = queues::members(client, &q.id)? else {
                continue;
            };
            o.members = Some(m);
            on_read(1);
        }
        if codes {
            let Some(c) = queues::wrapup_codes(client, &q.id)? else {
                continue;
            };
            o.codes = Some(c.into_iter().collect());
            on_read(1);
        }
        out.push(o);
    }
    Ok(out)
}

/// Every active skill and language of the org.
pub fn read_skills(
    client: &Client,
    on_read: &mut dyn FnMut(usize),
) -> Result<Vec<OrgSkill>, ApiError> {
    let mut out = Vec::new();
    for (path, size, language) in [
        ("/api/v2/routing/skills", SKILL_PAGE, false),
        ("/api/v2/routing/languages", LANGUAGE_PAGE, true),
    ] {
        let list: Vec<GcRouting> = read_pages(client, path, &[], size, "skills")?;
        on_read(list.len());
        out.extend(
            list.into_iter()
                .filter(GcRouting::active)
                .map(|g| OrgSkill {
                    id: g.id,
                    name: g.name,
                    language,
                }),
        );
    }
    Ok(out)
}

/// Every wrap-up code of the org.
pub fn read_codes(client: &Client, on_read: &mut dyn FnMut(usize)) -> Result<Vec<Named>, ApiError> {
    let list: Vec<Named> = read_pages(
        client,
        "/api/v2/routing/wrapupcodes",
        &[],
        CODE_PAGE,
        "wrap-up codes",
    )?;
    on_read(list.len());
    Ok(list)
}
