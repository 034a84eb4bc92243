//! Request validation against the embedded Swagger 2.0 subset (`openapi-subset.json`).
//!
//! Strict by design: wrong types, values outside an `enum`, missing `required` fields and any
//! property not declared in the schema's `properties` are rejected with a message naming the field
//! path. `null` is treated as "absent" (Jackson semantics).
//!
//! Deliberate deviation from the file: `CreateUser.divisionId` is not required (the home division
//! is used when it is omitted, as the Terraform provider relies on). Operations the subset lacks
//! but the facts document are added from `spec-supplement.json` (never overriding the subset).

use serde_json::Value;
use std::sync::OnceLock;

const SPEC_JSON: &str = include_str!("../openapi-subset.json");
/// Fact-backed operations the subset lacks (see the file's `x-why`); never override the subset.
const SUPPLEMENT_JSON: &str = include_str!("../spec-supplement.json");

/// Path parameters as (name, decoded value).
pub type PathParams = Vec<(String, String)>;

/// The loaded specification.
pub struct Spec {
    doc: Value,
}

/// How an operation answers on success (see [`Spec::success`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// 200 with a JSON body.
    Json,
    /// 200 with an empty body.
    Empty,
    /// 204 No Content.
    NoContent,
}

/// A matched operation.
pub struct Operation<'a> {
    /// The path template, e.g. `/api/v2/users/{userId}`.
    pub template: &'a str,
    /// The operation object.
    pub op: &'a Value,
    /// Path parameters (name, decoded value).
    pub params: Vec<(String, String)>,
}

impl Spec {
    /// The process-wide spec, parsed once.
    pub fn global() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| {
            let mut doc: Value = serde_json::from_str(SPEC_JSON).expect("embedded spec parses");
            if let Some(req) = doc
                .pointer_mut("/definitions/CreateUser/required")
                .and_then(Value::as_array_mut)
            {
                req.retain(|v| v != "divisionId");
            }
            let extra: Value = serde_json::from_str(SUPPLEMENT_JSON).expect("supplement parses");
            for section in ["paths", "definitions"] {
                if let (Some(into), Some(from)) =
                    (doc[section].as_object_mut(), extra[section].as_object())
                {
                    for (k, v) in from {
                        into.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            Spec { doc }
        })
    }

    /// Find the most specific path template matching `path` (literal segments beat
    /// `{param}` segments). Returns the template even when it lacks `method`.
    pub fn match_path(&self, path: &str) -> Option<(&str, Vec<(String, String)>)> {
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(usize, &str, PathParams)> = None;
        for tpl in self.doc["paths"].as_object()?.keys() {
            let tsegs: Vec<&str> = tpl.split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let mut params = Vec::new();
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') && t.ends_with('}') {
                    params.push((
                        t[1..t.len() - 1].to_string(),
                        crate::util::url_decode(s, false),
                    ));
                    !s.is_empty()
                } else {
                    literal += 1;
                    t == s
                }
            });
            if ok && best.as_ref().is_none_or(|b| literal > b.0) {
                best = Some((literal, tpl.as_str(), params));
            }
        }
        best.map(|(_, t, p)| (t, p))
    }

    /// The operation for `method` + `path`, if the spec declares it.
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation<'_>> {
        let (template, params) = self.match_path(path)?;
        let op = self.doc["paths"][template].get(method.to_ascii_lowercase())?;
        Some(Operation {
            template,
            op,
            params,
        })
    }

    /// The schema of the operation's `in: body` parameter and whether the body is required.
    pub fn body_schema<'a>(&self, op: &'a Value) -> Option<(&'a Value, bool)> {
        op["parameters"].as_array()?.iter().find_map(|p| {
            (p["in"] == "body").then(|| (&p["schema"], p["required"].as_bool().unwrap_or(false)))
        })
    }

    /// How a successful call of the operation is answered: the spec's 200 with a response
    /// schema is JSON; a 200 without one has an empty body; an operation that documents no 2xx
    /// at all (the SDK returns nothing) is answered 204 No Content.
    pub fn success(&self, op: &Value) -> Success {
        let responses = &op["responses"];
        match responses.get("200") {
            Some(r) if r.get("schema").is_some() => Success::Json,
            Some(_) => Success::Empty,
            None => Success::NoContent,
        }
    }

    /// A definition by name, e.g. `CreateUser`.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.doc["definitions"].get(name)
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        for _ in 0..16 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix("#/definitions/") {
                    Some(name) => s = &self.doc["definitions"][name],
                    None => return s,
                },
                None => return s,
            }
        }
        s
    }

    /// Validate `value` against `schema`. The error names the offending field path.
    pub fn validate(&self, schema: &Value, value: &Value) -> Result<(), String> {
        self.check(schema, value, "")
    }

    fn check(&self, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        let at = |msg: String| {
            if path.is_empty() {
                msg
            } else {
                format!("{path}: {msg}")
            }
        };
        if value.is_null() {
            return Ok(());
        }
        let ty = schema
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| schema.get("properties").map(|_| "object"));
        let ok = match ty {
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            _ => true,
        };
        if !ok {
            return Err(at(format!(
                "expected {}, got {}",
                ty.unwrap_or("?"),
                json_type(value)
            )));
        }
        if let Some(en) = schema.get("enum").and_then(Value::as_array) {
            if !en.contains(value) {
                let allowed: Vec<String> = en
                    .iter()
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                    .collect();
                return Err(at(format!(
                    "{} is not one of {}",
                    show(value),
                    allowed.join(", ")
                )));
            }
        }
        if let (Some("date-time"), Some(s)) = (schema["format"].as_str(), value.as_str()) {
            if !looks_like_datetime(s) {
                return Err(at(format!("'{s}' is not an ISO-8601 date-time")));
            }
        }
        if let Some(arr) = value.as_array() {
            if let Some(items) = schema.get("items") {
                for (i, v) in arr.iter().enumerate() {
                    self.check(items, v, &format!("{path}[{i}]"))?;
                }
            }
        }
        if let Some(obj) = value.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties");
            if let Some(req) = schema.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if obj.get(r).is_none_or(Value::is_null) {
                        return Err(at(format!("missing required field '{r}'")));
                    }
                }
            }
            for (k, v) in obj {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (props.and_then(|p| p.get(k)), extra) {
                    (Some(s), _) => self.check(s, v, &child)?,
                    (None, Some(Value::Bool(false))) => {
                        return Err(at(format!("unknown field '{k}'")))
                    }
                    (None, Some(s)) if s.is_object() => self.check(s, v, &child)?,
                    (None, _) if props.is_some() => return Err(at(format!("unknown field '{k}'"))),
                    (None, _) => {}
                }
            }
        }
        Ok(())
    }

    /// Validate query parameters against the operation's declared query parameters: integer,
    /// boolean and enum checks (array parameters check each value against `items`).
    /// Undeclared parameters are ignored, as the real API does.
    pub fn validate_query(&self, op: &Value, query: &[(String, String)]) -> Result<(), String> {
        let Some(params) = op["parameters"].as_array() else {
            return Ok(());
        };
        for (k, v) in query {
            let Some(p) = params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == *k)
            else {
                continue;
            };
            let decl = if p["type"] == "array" { &p["items"] } else { p };
            let bad = match decl["type"].as_str() {
                Some("integer") => v.parse::<i64>().is_err(),
                Some("boolean") => v != "true" && v != "false",
                _ => false,
            };
            if bad {
                return Err(format!(
                    "query parameter {k}: '{v}' is not a valid {}",
                    decl["type"]
                ));
            }
            if let Some(en) = decl["enum"].as_array() {
                if !en.iter().any(|e| e == v.as_str()) {
                    let allowed: Vec<&str> = en.iter().filter_map(Value::as_str).collect();
                    return Err(format!(
                        "query parameter {k}: '{v}' is not one of {}",
                        allowed.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn show(v: &Value) -> String {
    match v.as_str() {
        Some(s) => format!("'{s}'"),
        None => v.to_string(),
    }
}

fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(def: &str, v: Value) -> Result<(), String> {
        let s = Spec::global();
        s.validate(s.definition(def).unwrap(), &v)
    }

    #[test]
    fn create_user_ok_without_division() {
        check("CreateUser", json!({"name": "A", "email": "a@x.com"})).unwrap();
    }

    #[test]
    fn rejections_name_the_field() {
        let e = check("CreateUser", json!({"name": "A", "email": "a@x", "foo": 1})).unwrap_err();
        assert_eq!(e, "unknown field 'foo'");
        let e = check("CreateUser", json!({"name": "A"})).unwrap_err();
        assert_eq!(e, "missing required field 'email'");
        let e = check("CreateUser", json!({"name": 5, "email": "a@x"})).unwrap_err();
        assert_eq!(e, "name: expected string, got integer");
        let bad = json!({"name": "A", "email": "a@x", "addresses": [{"mediaType": "FAX"}]});
        let e = check("CreateUser", bad).unwrap_err();
        assert_eq!(
            e,
            "addresses[0].mediaType: 'FAX' is not one of PHONE, EMAIL, SMS"
        );
        let bad = json!({"name": "A", "email": "a@x", "addresses": [{"bogus": "1"}]});
        let e = check("CreateUser", bad).unwrap_err();
        assert_eq!(e, "addresses[0]: unknown field 'bogus'");
        let e = check("UpdateUser", json!({"version": 1.5})).unwrap_err();
        assert_eq!(e, "version: expected integer, got number");
        let e = check("UpdateUser", json!({"name": "x"})).unwrap_err();
        assert_eq!(e, "missing required field 'version'");
    }

    #[test]
    fn nested_refs_and_recursion() {
        let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "a@x",
            "group": [{"type": "NOPE"}]}]});
        let e = check("UserSearchRequest", q).unwrap_err();
        assert!(
            e.starts_with("query[0].group[0].type: 'NOPE' is not one of EXACT"),
            "{e}"
        );
        check("UpdateUser", json!({"version": 2, "state": null})).unwrap();
    }

    #[test]
    fn path_matching_prefers_literals() {
        let s = Spec::global();
        let op = s.operation("POST", "/api/v2/users/search").unwrap();
        assert_eq!(op.template, "/api/v2/users/search");
        let op = s.operation("PATCH", "/api/v2/users/abc").unwrap();
        assert_eq!(op.template, "/api/v2/users/{userId}");
        assert_eq!(op.params, vec![("userId".to_string(), "abc".to_string())]);
        assert!(s.operation("GET", "/api/v2/nothing").is_none());
        assert!(s.operation("PUT", "/api/v2/users/abc").is_none());
    }

    #[test]
    fn success_kinds_follow_the_spec() {
        let s = Spec::global();
        let kind = |m: &str, p: &str| s.success(s.operation(m, p).unwrap().op);
        assert_eq!(kind("GET", "/api/v2/users/x"), Success::Json);
        assert_eq!(kind("DELETE", "/api/v2/users/x"), Success::Json);
        assert_eq!(kind("DELETE", "/api/v2/routing/skills/x"), Success::Empty);
        let ext = "/api/v2/users/x/externalid/crm/k1";
        assert_eq!(kind("DELETE", ext), Success::NoContent);
    }

    #[test]
    fn query_validation() {
        let s = Spec::global();
        let op = s.operation("GET", "/api/v2/users").unwrap().op;
        let q = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        s.validate_query(op, &q("state", "any")).unwrap();
        s.validate_query(op, &q("unknownParam", "x")).unwrap();
        assert!(s.validate_query(op, &q("state", "gone")).is_err());
        assert!(s.validate_query(op, &q("pageSize", "ten")).is_err());
        assert!(s.validate_query(op, &q("expand", "nope")).is_err());
    }
}
