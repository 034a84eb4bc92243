//! `GET /api/v2/organizations/me` (API-FACTS §11; from `spec-supplement.json`, the subset lacks
//! it): the org's id, name and `productPlatform` (`EmulatorConfig::product_platform`, default
//! `PureConnect`; `None` leaves the field out). The facts give no WEM flag on the organization:
//! whether an org is a Workforce Engagement org is a gcsync setting, not something read here.

use crate::org::Org;
use crate::server::{ApiResult, Ctx};
use serde_json::json;

/// The emulated org's name.
pub const ORG_NAME: &str = "gcsync emulator";

/// `GET /api/v2/organizations/me`.
pub fn me(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let mut v = json!({"id": org.org_id, "name": ORG_NAME,
                       "selfUri": format!("/api/v2/organizations/{}", org.org_id)});
    if let Some(p) = &ctx.cfg.product_platform {
        v["productPlatform"] = json!(p);
    }
    Ok(v)
}
