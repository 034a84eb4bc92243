//! A queue's wrap-up codes: `GET`, `POST` (≤ 100 a call) and `DELETE` one by one under
//! `/api/v2/routing/queues/{queueId}/wrapupcodes`.

use crate::errors::ApiError;
use crate::members::bulk_ids;
use crate::org::Org;
use crate::paging::{listing, name_matches, page, sort_by_name};
use crate::server::{ApiResult, Ctx};
use crate::store::Record;
use serde_json::{json, Value};

/// Codes per add call (API-FACTS §3) and largest `pageSize` of the list (**DECIDED**, as the
/// wrap-up-code list).
pub const MAX_CODES: usize = 100;

/// `GET …/wrapupcodes`: the queue's codes as a `WrapupCodeEntityListing` (paged, `name`
/// filter as the other lists). A code deleted while kept on the queue (policy `keep`) is not
/// listed.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let p = page(ctx, MAX_CODES)?;
    let qid = ctx.param("queueId");
    let q = org.queues.get(qid).ok_or_else(ApiError::no_queue)?;
    let mut all: Vec<Value> = q
        .wrapup_codes
        .iter()
        .filter_map(|c| org.wrapups.get(c))
        .map(Record::to_json)
        .filter(|c| {
            ctx.q("name")
                .is_none_or(|n| name_matches(n, c["name"].as_str().unwrap_or("")))
        })
        .collect();
    sort_by_name(&mut all, false);
    Ok(listing(
        all,
        p,
        &format!("/api/v2/routing/queues/{qid}/wrapupcodes"),
    ))
}

/// `POST …/wrapupcodes`: add up to 100 codes (101 is 400); every code must exist (400,
/// nothing added). Answers the codes given. Adding a code the queue has changes nothing.
pub fn add(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let ids = bulk_ids(ctx, MAX_CODES, "wrap-up code")?;
    let qid = ctx.param("queueId");
    org.queues.get(qid).ok_or_else(ApiError::no_queue)?;
    let mut out = Vec::new();
    for id in &ids {
        let c = org.wrapups.get(id);
        let c = c.ok_or_else(|| ApiError::bad_request(format!("wrap-up code '{id}' not found")))?;
        out.push(c.to_json());
    }
    let keep = org.object_lag();
    let q = org.queues.get_mut(qid, keep).expect("checked");
    for id in ids {
        if !q.wrapup_codes.contains(&id) {
            q.wrapup_codes.push(id);
        }
    }
    Ok(Value::Array(out))
}

/// `DELETE …/wrapupcodes/{codeId}`: 404 when the queue does not have the code.
pub fn remove(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let (qid, cid) = (ctx.param("queueId"), ctx.param("codeId"));
    let q = org.queues.get(qid).ok_or_else(ApiError::no_queue)?;
    if !q.wrapup_codes.iter().any(|c| c == cid) {
        return Err(ApiError::routing_not_found(format!(
            "The queue has no wrap-up code '{cid}'"
        )));
    }
    let keep = org.object_lag();
    let q = org.queues.get_mut(qid, keep).expect("checked");
    q.wrapup_codes.retain(|c| c != cid);
    Ok(json!({}))
}
