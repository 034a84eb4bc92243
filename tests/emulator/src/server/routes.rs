//! The routing table: every emulated operation as (method, spec path template, handler).

use super::{ApiResult, Ctx};
use crate::org::Org;
use crate::{assignments, members, queue_wrapups, queues, skills, wrapups};
use crate::{externalid, users};
use crate::{
    organization, out_of_office, presence, presence_sources, routing_status, user_presence,
};

/// An API operation's handler: the org, and what the request carries.
pub(super) type ApiHandler = fn(&mut Org, &Ctx) -> ApiResult;

/// Implemented operations: (method, spec path template, handler). This is the one place an
/// endpoint is added: validation, the required permission, the success status (200 JSON, 200
/// empty or 204, see [`crate::schema::Spec::success`]) and the faults (a write method gets the lost-response
/// fault) all follow from the spec and the method.
pub(super) const ROUTES: &[(&str, &str, ApiHandler)] = &[
    ("POST", "/api/v2/users", users::create),
    ("GET", "/api/v2/users", users::list),
    ("POST", "/api/v2/users/search", users::search),
    ("GET", "/api/v2/users/{userId}", users::get),
    ("PATCH", "/api/v2/users/{userId}", users::patch),
    ("DELETE", "/api/v2/users/{userId}", users::delete),
    ("GET", "/api/v2/users/{userId}/externalid", externalid::list),
    ("POST", "/api/v2/users/{userId}/externalid", externalid::add),
    (
        "GET",
        "/api/v2/users/{userId}/externalid/{authorityName}",
        externalid::get,
    ),
    (
        "DELETE",
        "/api/v2/users/{userId}/externalid/{authorityName}/{externalKey}",
        externalid::delete,
    ),
    (
        "GET",
        "/api/v2/users/externalid/{authorityName}/{externalKey}",
        externalid::lookup,
    ),
    // Presence, out-of-office, routing status, organization (issue 9).
    (
        "GET",
        "/api/v2/presence/definitions",
        presence::list_definitions,
    ),
    (
        "GET",
        "/api/v2/presence/definitions/{definitionId}",
        presence::get_definition,
    ),
    (
        "GET",
        "/api/v2/presence/sources",
        presence_sources::list_sources,
    ),
    (
        "POST",
        "/api/v2/presence/sources",
        presence_sources::create_source,
    ),
    (
        "GET",
        "/api/v2/presence/sources/{sourceId}",
        presence_sources::get_source,
    ),
    (
        "DELETE",
        "/api/v2/presence/sources/{sourceId}",
        presence_sources::delete_source,
    ),
    (
        "GET",
        "/api/v2/presence/users/{userId}/primarysource",
        presence_sources::get_primary,
    ),
    (
        "PUT",
        "/api/v2/presence/users/{userId}/primarysource",
        presence_sources::put_primary,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/presences/purecloud",
        user_presence::get_purecloud,
    ),
    (
        "PATCH",
        "/api/v2/users/{userId}/presences/purecloud",
        user_presence::patch_purecloud,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/presences/{sourceId}",
        user_presence::get_source,
    ),
    (
        "PATCH",
        "/api/v2/users/{userId}/presences/{sourceId}",
        user_presence::patch_source,
    ),
    (
        "PUT",
        "/api/v2/users/presences/bulk",
        user_presence::put_bulk,
    ),
    (
        "GET",
        "/api/v2/users/presences/purecloud/bulk",
        user_presence::get_bulk_purecloud,
    ),
    (
        "GET",
        "/api/v2/users/presences/{sourceId}/bulk",
        user_presence::get_bulk_source,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/outofoffice",
        out_of_office::get,
    ),
    (
        "PUT",
        "/api/v2/users/{userId}/outofoffice",
        out_of_office::put,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/routingstatus",
        routing_status::get,
    ),
    (
        "PUT",
        "/api/v2/users/{userId}/routingstatus",
        routing_status::put,
    ),
    ("GET", "/api/v2/organizations/me", organization::me),
    // Queues, members, queue wrap-up codes, skills, languages, user assignments, wrap-up codes.
    ("POST", "/api/v2/routing/queues", queues::create),
    ("GET", "/api/v2/routing/queues", queues::list),
    (
        "GET",
        "/api/v2/routing/queues/divisionviews/all",
        queues::division_views_all,
    ),
    ("GET", "/api/v2/routing/queues/{queueId}", queues::get),
    ("PUT", "/api/v2/routing/queues/{queueId}", queues::update),
    ("DELETE", "/api/v2/routing/queues/{queueId}", queues::delete),
    (
        "GET",
        "/api/v2/routing/queues/{queueId}/members",
        members::list,
    ),
    (
        "POST",
        "/api/v2/routing/queues/{queueId}/members",
        members::post,
    ),
    (
        "GET",
        "/api/v2/routing/queues/{queueId}/wrapupcodes",
        queue_wrapups::list,
    ),
    (
        "POST",
        "/api/v2/routing/queues/{queueId}/wrapupcodes",
        queue_wrapups::add,
    ),
    (
        "DELETE",
        "/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}",
        queue_wrapups::remove,
    ),
    ("POST", "/api/v2/routing/skills", skills::skill_create),
    ("GET", "/api/v2/routing/skills", skills::skill_list),
    ("GET", "/api/v2/routing/skills/{skillId}", skills::skill_get),
    (
        "DELETE",
        "/api/v2/routing/skills/{skillId}",
        skills::skill_delete,
    ),
    ("POST", "/api/v2/routing/languages", skills::language_create),
    ("GET", "/api/v2/routing/languages", skills::language_list),
    (
        "GET",
        "/api/v2/routing/languages/{languageId}",
        skills::language_get,
    ),
    (
        "DELETE",
        "/api/v2/routing/languages/{languageId}",
        skills::language_delete,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/routingskills",
        assignments::skills_list,
    ),
    (
        "PATCH",
        "/api/v2/users/{userId}/routingskills/bulk",
        assignments::skills_patch,
    ),
    (
        "PUT",
        "/api/v2/users/{userId}/routingskills/bulk",
        assignments::skills_put,
    ),
    (
        "DELETE",
        "/api/v2/users/{userId}/routingskills/{skillId}",
        assignments::skill_delete,
    ),
    (
        "GET",
        "/api/v2/users/{userId}/routinglanguages",
        assignments::languages_list,
    ),
    (
        "PATCH",
        "/api/v2/users/{userId}/routinglanguages/bulk",
        assignments::languages_patch,
    ),
    (
        "DELETE",
        "/api/v2/users/{userId}/routinglanguages/{languageId}",
        assignments::language_delete,
    ),
    ("POST", "/api/v2/routing/wrapupcodes", wrapups::create),
    ("GET", "/api/v2/routing/wrapupcodes", wrapups::list),
    ("GET", "/api/v2/routing/wrapupcodes/{codeId}", wrapups::get),
    (
        "PUT",
        "/api/v2/routing/wrapupcodes/{codeId}",
        wrapups::update,
    ),
    (
        "DELETE",
        "/api/v2/routing/wrapupcodes/{codeId}",
        wrapups::delete,
    ),
];
