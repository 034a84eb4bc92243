//! The Genesys Cloud endpoints gcsync may call, with the permissions each needs (from the
//! `x-inin-requires-permissions` of `openapi-subset.json`; a test keeps the two equal). Used to
//! name the route template of a call (API usage is counted per endpoint) and to say, on a 403,
//! which permission the OAuth client's role lacks.

use super::Method;
use Method::{Delete, Get, Patch, Post, Put};

/// The permissions an endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// `true`: any one of `permissions` is enough; `false`: all of them are needed.
    pub any: bool,
    /// Permission names, e.g. `directory:user:add`.
    pub permissions: &'static [&'static str],
}

impl Needs {
    /// `directory:user:add`, `one of admin, directory:user:edit` or `all of a, b`.
    pub fn describe(&self) -> String {
        match (self.permissions, self.any) {
            ([one], _) => (*one).to_string(),
            (many, true) => format!("one of {}", many.join(", ")),
            (many, false) => format!("all of {}", many.join(", ")),
        }
    }
}

/// One endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/api/v2/users/{userId}`.
    pub template: &'static str,
    /// Required permissions; `None` when the specification lists none.
    pub needs: Option<Needs>,
}

/// The login service's token endpoint (not part of the Platform API specification).
pub const TOKEN: Endpoint = Endpoint {
    method: Method::Post,
    template: "/oauth/token",
    needs: None,
};

const fn any(method: Method, template: &'static str, p: &'static [&'static str]) -> Endpoint {
    let needs = Some(Needs {
        any: true,
        permissions: p,
    });
    Endpoint {
        method,
        template,
        needs,
    }
}

const fn all(method: Method, template: &'static str, p: &'static [&'static str]) -> Endpoint {
    let needs = Some(Needs {
        any: false,
        permissions: p,
    });
    Endpoint {
        method,
        template,
        needs,
    }
}

const fn open(method: Method, template: &'static str) -> Endpoint {
    Endpoint {
        method,
        template,
        needs: None,
    }
}

/// Every operation of the specification subset gcsync is built against.
#[rustfmt::skip]
pub const ENDPOINTS: &[Endpoint] = &[
    open(Get, "/api/v2/authorization/divisions"),
    open(Get, "/api/v2/authorization/divisions/home"),
    open(Post, "/api/v2/authorization/divisions/{divisionId}/objects/{objectType}"),
    open(Get, "/api/v2/organizations/limits/namespaces/{namespaceName}"),
    open(Get, "/api/v2/organizations/limits/namespaces/{namespaceName}/defaults"),
    all(Get, "/api/v2/presence/definitions", &["presence:presenceDefinition:view"]),
    all(Post, "/api/v2/presence/definitions", &["presence:presenceDefinition:add"]),
    any(Delete, "/api/v2/presence/definitions/{definitionId}", &["presence:presenceDefinition:delete", "presence:presenceDefinition:edit"]),
    all(Get, "/api/v2/presence/definitions/{definitionId}", &["presence:presenceDefinition:view"]),
    all(Put, "/api/v2/presence/definitions/{definitionId}", &["presence:presenceDefinition:edit"]),
    all(Get, "/api/v2/presence/sources", &["presence:source:view"]),
    all(Post, "/api/v2/presence/sources", &["presence:source:add"]),
    any(Delete, "/api/v2/presence/sources/{sourceId}", &["presence:source:delete", "presence:source:edit"]),
    all(Get, "/api/v2/presence/sources/{sourceId}", &["presence:source:view"]),
    all(Put, "/api/v2/presence/sources/{sourceId}", &["presence:source:edit"]),
    all(Get, "/api/v2/presence/users/{userId}/primarysource", &["presence:userPrimarySource:view"]),
    all(Put, "/api/v2/presence/users/{userId}/primarysource", &["presence:userPrimarySource:edit"]),
    open(Get, "/api/v2/presencedefinitions"),
    all(Post, "/api/v2/presencedefinitions", &["presence:presenceDefinition:add"]),
    all(Delete, "/api/v2/presencedefinitions/{presenceId}", &["presence:presenceDefinition:delete"]),
    all(Get, "/api/v2/presencedefinitions/{presenceId}", &["presence:presenceDefinition:view"]),
    all(Put, "/api/v2/presencedefinitions/{presenceId}", &["presence:presenceDefinition:edit"]),
    open(Get, "/api/v2/routing/languages"),
    any(Post, "/api/v2/routing/languages", &["routing:skill:manage"]),
    any(Delete, "/api/v2/routing/languages/{languageId}", &["routing:skill:manage"]),
    open(Get, "/api/v2/routing/languages/{languageId}"),
    any(Get, "/api/v2/routing/queues", &["routing:queue:view"]),
    any(Post, "/api/v2/routing/queues", &["routing:queue:add"]),
    all(Get, "/api/v2/routing/queues/divisionviews", &["routing:queue:search"]),
    all(Get, "/api/v2/routing/queues/divisionviews/all", &["routing:queue:search"]),
    all(Delete, "/api/v2/routing/queues/{queueId}", &["routing:queue:delete"]),
    all(Get, "/api/v2/routing/queues/{queueId}", &["routing:queue:view"]),
    any(Put, "/api/v2/routing/queues/{queueId}", &["routing:queue:edit"]),
    any(Get, "/api/v2/routing/queues/{queueId}/members", &["routing:queue:view", "routing:queue:edit", "routing:queue:readonly", "routing:queueMember:manage"]),
    any(Patch, "/api/v2/routing/queues/{queueId}/members", &["routing:queue:edit", "routing:queueMember:manage"]),
    any(Post, "/api/v2/routing/queues/{queueId}/members", &["routing:queue:edit", "routing:queueMember:manage"]),
    any(Delete, "/api/v2/routing/queues/{queueId}/members/{memberId}", &["routing:queue:edit", "routing:queueMember:manage"]),
    any(Patch, "/api/v2/routing/queues/{queueId}/members/{memberId}", &["routing:queue:edit", "routing:queueMember:manage"]),
    all(Get, "/api/v2/routing/queues/{queueId}/wrapupcodes", &["routing:queue:view"]),
    all(Post, "/api/v2/routing/queues/{queueId}/wrapupcodes", &["routing:queue:edit"]),
    all(Delete, "/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}", &["routing:queue:edit"]),
    any(Get, "/api/v2/routing/skills", &["routing:skill:view"]),
    any(Post, "/api/v2/routing/skills", &["routing:skill:manage", "routing:skill:create"]),
    any(Delete, "/api/v2/routing/skills/{skillId}", &["routing:skill:manage", "routing:skill:delete"]),
    any(Get, "/api/v2/routing/skills/{skillId}", &["routing:skill:view"]),
    any(Patch, "/api/v2/routing/skills/{skillId}", &["routing:skill:update"]),
    all(Get, "/api/v2/routing/wrapupcodes", &["routing:wrapupCode:view"]),
    all(Post, "/api/v2/routing/wrapupcodes", &["routing:wrapupCode:add"]),
    all(Delete, "/api/v2/routing/wrapupcodes/{codeId}", &["routing:wrapupCode:delete"]),
    all(Get, "/api/v2/routing/wrapupcodes/{codeId}", &["routing:wrapupCode:view"]),
    all(Put, "/api/v2/routing/wrapupcodes/{codeId}", &["routing:wrapupCode:edit"]),
    open(Get, "/api/v2/systempresences"),
    open(Get, "/api/v2/tokens/me"),
    open(Get, "/api/v2/users"),
    any(Post, "/api/v2/users", &["directory:user:add"]),
    any(Patch, "/api/v2/users/bulk", &["directory:user:edit", "directory:organization:admin"]),
    any(Get, "/api/v2/users/externalid/{authorityName}/{externalKey}", &["directory:user:view"]),
    any(Put, "/api/v2/users/presences/bulk", &["presence:userPresence:edit"]),
    open(Get, "/api/v2/users/presences/purecloud/bulk"),
    open(Get, "/api/v2/users/presences/{sourceId}/bulk"),
    any(Get, "/api/v2/users/search", &["directory:user:view"]),
    any(Post, "/api/v2/users/search", &["directory:user:view"]),
    any(Delete, "/api/v2/users/{userId}", &["admin", "directory:user:delete", "directory:organization:admin"]),
    open(Get, "/api/v2/users/{userId}"),
    any(Patch, "/api/v2/users/{userId}", &["admin", "directory:user:edit", "directory:organization:admin"]),
    any(Get, "/api/v2/users/{userId}/externalid", &["directory:user:view"]),
    any(Post, "/api/v2/users/{userId}/externalid", &["directory:user:edit"]),
    any(Get, "/api/v2/users/{userId}/externalid/{authorityName}", &["directory:user:view"]),
    any(Delete, "/api/v2/users/{userId}/externalid/{authorityName}/{externalKey}", &["directory:user:edit"]),
    open(Get, "/api/v2/users/{userId}/outofoffice"),
    open(Put, "/api/v2/users/{userId}/outofoffice"),
    open(Get, "/api/v2/users/{userId}/presences/purecloud"),
    open(Patch, "/api/v2/users/{userId}/presences/purecloud"),
    open(Get, "/api/v2/users/{userId}/presences/{sourceId}"),
    open(Patch, "/api/v2/users/{userId}/presences/{sourceId}"),
    any(Get, "/api/v2/users/{userId}/queues", &["routing:queue:view"]),
    any(Patch, "/api/v2/users/{userId}/queues", &["routing:queue:join", "routing:queueMember:manage"]),
    open(Get, "/api/v2/users/{userId}/routinglanguages"),
    any(Post, "/api/v2/users/{userId}/routinglanguages", &["routing:skill:assign", "routing:language:assign"]),
    any(Patch, "/api/v2/users/{userId}/routinglanguages/bulk", &["routing:skill:assign", "routing:language:assign"]),
    any(Delete, "/api/v2/users/{userId}/routinglanguages/{languageId}", &["routing:skill:assign", "routing:language:assign"]),
    any(Patch, "/api/v2/users/{userId}/routinglanguages/{languageId}", &["routing:skill:assign", "routing:language:assign"]),
    open(Get, "/api/v2/users/{userId}/routingskills"),
    all(Post, "/api/v2/users/{userId}/routingskills", &["routing:skill:assign"]),
    any(Patch, "/api/v2/users/{userId}/routingskills/bulk", &["routing:skill:assign"]),
    any(Put, "/api/v2/users/{userId}/routingskills/bulk", &["routing:skill:assign"]),
    all(Delete, "/api/v2/users/{userId}/routingskills/{skillId}", &["routing:skill:assign"]),
    all(Put, "/api/v2/users/{userId}/routingskills/{skillId}", &["routing:skill:assign"]),
    open(Get, "/api/v2/users/{userId}/routingstatus"),
    open(Put, "/api/v2/users/{userId}/routingstatus"),
];

/// The user search: a POST that reads.
pub const USER_SEARCH: &str = "/api/v2/users/search";

fn matches(template: &str, path: &str) -> bool {
    // Most templates differ from the path before their first placeholder: one comparison
    // rules them out (each call is looked up against the whole table).
    let literal = template.find('{').map_or(template, |i| &template[..i]);
    if !path.starts_with(literal) {
        return false;
    }
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return false;
                }
            }
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

/// The endpoint a call goes to (`path` without host or query). A literal segment wins over a
/// placeholder (`/api/v2/users/search` is not `/api/v2/users/{userId}`).
pub fn endpoint(method: Method, path: &str) -> Option<&'static Endpoint> {
    if method == TOKEN.method && path == TOKEN.template {
        return Some(&TOKEN);
    }
    let candidates = ENDPOINTS
        .iter()
        .filter(|e| e.method == method && matches(e.template, path));
    candidates.min_by_key(|e| e.template.matches('{').count())
}

/// The route template of a call, for counting: the endpoint's template, or `other` for a path
/// outside the table (so counts stay bounded whatever is called).
pub fn route(method: Method, path: &str) -> &'static str {
    endpoint(method, path).map_or("other", |e| e.template)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_table_equals_the_specification() {
        let spec: Value =
            serde_json::from_str(include_str!("../../tests/emulator/openapi-subset.json")).unwrap();
        let mut want = Vec::new();
        for (path, ops) in spec["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let needs = op.get("x-inin-requires-permissions").map(|p| {
                    let perms: Vec<String> = p["permissions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect();
                    (p["type"] == "ANY", perms)
                });
                want.push((method.to_ascii_uppercase(), path.clone(), needs));
            }
        }
        let mut have: Vec<_> = ENDPOINTS
            .iter()
            .map(|e| {
                let needs = e.needs.map(|n| {
                    let perms = n.permissions.iter().map(|p| p.to_string()).collect();
                    (n.any, perms)
                });
                (e.method.as_str().to_string(), e.template.to_string(), needs)
            })
            .collect();
        want.sort();
        have.sort();
        assert_eq!(have, want);
    }

    #[test]
    fn calls_map_to_their_templates() {
        assert_eq!(
            route(Method::Get, "/api/v2/users/abc-1"),
            "/api/v2/users/{userId}"
        );
        assert_eq!(
            route(Method::Post, "/api/v2/users/search"),
            "/api/v2/users/search"
        );
        assert_eq!(route(Method::Post, "/api/v2/users"), "/api/v2/users");
        assert_eq!(route(Method::Post, "/oauth/token"), "/oauth/token");
        assert_eq!(route(Method::Get, "/api/v2/users/"), "other");
        assert_eq!(route(Method::Get, "/x"), "other");
        let add = endpoint(Method::Post, "/api/v2/users").unwrap();
        assert_eq!(add.needs.unwrap().describe(), "directory:user:add");
        let edit = endpoint(Method::Patch, "/api/v2/users/u1").unwrap();
        assert_eq!(
            edit.needs.unwrap().describe(),
            "one of admin, directory:user:edit, directory:organization:admin"
        );
        assert_eq!(
            endpoint(Method::Get, "/api/v2/users/u1").unwrap().needs,
            None
        );
    }
}
