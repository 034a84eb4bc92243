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

/// One endpoint's template split on `/` once (`None`: a placeholder such as `{userId}`).
struct Split {
    segments: Vec<Option<&'static str>>,
    placeholders: usize,
    endpoint: &'static Endpoint,
}

/// [`ENDPOINTS`] split once, by method (every call is looked up: splitting each template on
/// every call cost about 20 000 instructions per call, 4 % of an initial sync's CPU).
static SPLIT: std::sync::LazyLock<[Vec<Split>; 5]> = std::sync::LazyLock::new(|| {
    let mut by_method: [Vec<Split>; 5] = Default::default();
    for e in ENDPOINTS {
        let segments: Vec<Option<&'static str>> = e
            .template
            .split('/')
            .map(|t| (!(t.starts_with('{') && t.ends_with('}'))).then_some(t))
            .collect();
        let placeholders = segments.iter().filter(|t| t.is_none()).count();
        by_method[method_index(e.method)].push(Split {
            segments,
            placeholders,
            endpoint: e,
        });
    }
    by_method
});

fn method_index(m: Method) -> usize {
    match m {
        Get => 0,
        Post => 1,
        Put => 2,
        Patch => 3,
        Delete => 4,
    }
}

/// Whether `path` fits a template's segments: the same number, each literal equal, each
/// placeholder a non-empty segment.
fn fits(template: &[Option<&str>], path: &str) -> bool {
    let mut p = path.split('/');
    for t in template {
        match (t, p.next()) {
            (_, None) => return false,
            (None, Some("")) => return false,
            (Some(ts), Some(ps)) if *ts != ps => return false,
            _ => {}
        }
    }
    p.next().is_none()
}

/// The endpoint a call goes to (`path` without host or query). A literal segment wins over a
/// placeholder (`/api/v2/users/search` is not `/api/v2/users/{userId}`).
pub fn endpoint(method: Method, path: &str) -> Option<&'static Endpoint> {
    if method == TOKEN.method && path == TOKEN.template {
        return Some(&TOKEN);
    }
    let n = path.bytes().filter(|b| *b == b'/').count() + 1;
    SPLIT[method_index(method)]
        .iter()
        .filter(|s| s.segments.len() == n && fits(&s.segments, path))
        .min_by_key(|s| s.placeholders)
        .map(|s| s.endpoint)
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
    fn every_endpoint_is_found_from_a_path_with_its_placeholders_filled_in() {
        for e in ENDPOINTS {
            let path: Vec<String> = e
                .template
                .split('/')
                .map(|t| match t.starts_with('{') {
                    true => "x-1".to_string(),
                    false => t.to_string(),
                })
                .collect();
            let path = path.join("/");
            let found = endpoint(e.method, &path).map(|f| f.template);
            // Only a literal sibling may win (e.g. `users/search` over `users/{userId}`).
            let literal_sibling = ENDPOINTS.iter().any(|o| {
                o.method == e.method
                    && o.template != e.template
                    && o.template.split('/').count() == e.template.split('/').count()
                    && o.template
                        .split('/')
                        .zip(path.split('/'))
                        .all(|(t, p)| t == p)
            });
            if !literal_sibling {
                assert_eq!(found, Some(e.template), "{} {path}", e.method.as_str());
            }
            assert_eq!(
                endpoint(e.method, &format!("{path}/extra"))
                    .map(|f| f.template)
                    .filter(|t| *t == e.template),
                None
            );
        }
        assert_eq!(route(Method::Get, "/api/v2/users//queues"), "other");
        assert_eq!(
            route(Method::Delete, "/api/v2/users/u1/externalid/a/k"),
            "/api/v2/users/{userId}/externalid/{authorityName}/{externalKey}"
        );
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
