//! When a paged listing ends. One rule for every `…EntityListing` gcsync reads, written for the
//! real API and for servers that leave optional fields out: a page is the last when it is empty,
//! when it holds fewer entities than the page size the server says it used (`pageSize` in the
//! answer; a server may serve fewer than asked for, so the size asked for is only the fallback),
//! or when `pageCount` is given and reached. Queue members carry no `pageCount` (API-FACTS §8):
//! for them, as for any listing without it, only a short or empty page ends the read.

use super::ApiError;
use serde_json::Value;

/// Whether page `number` (1-based), which held `got` entities, was the last one of the listing
/// whose answer is `body`, read with page size `asked`.
pub fn is_last(body: &Value, number: u64, got: usize, asked: usize) -> bool {
    let size = body
        .get("pageSize")
        .and_then(Value::as_u64)
        .filter(|s| *s > 0)
        .map_or(asked, |s| (s as usize).min(asked));
    let counted_out = body
        .get("pageCount")
        .and_then(Value::as_u64)
        .is_some_and(|count| number >= count);
    got == 0 || got < size || counted_out
}

/// The `entities` of a listing answer (paged or not), as a JSON array: a listing that leaves
/// the field out or sends `null` has none. Every listing field is optional in the models, and a
/// serializer that drops empty fields is as faithful as one that sends `[]`.
pub fn entities(body: &Value) -> Value {
    match body.get("entities") {
        Some(v) if !v.is_null() => v.clone(),
        _ => Value::Array(Vec::new()),
    }
}

/// Guards a paged read against a server that does not move on: page `n` answered with exactly
/// the entities of page `n - 1` (a `pageNumber` ignored) would otherwise be read forever, full
/// page after full page. Such a read fails rather than end early: a partial listing must never
/// pass for the whole one.
#[derive(Debug, Default)]
pub struct RepeatGuard {
    previous: Option<Value>,
}

impl RepeatGuard {
    /// Checks page `number` (its `entities`, as [`entities`] reads them) against the page
    /// before; an empty page always passes.
    pub fn check(&mut self, path: &str, number: u64, page: &Value) -> Result<(), ApiError> {
        let empty = page.as_array().is_none_or(Vec::is_empty);
        if !empty && self.previous.as_ref() == Some(page) {
            return Err(ApiError::Status {
                status: 200,
                code: "gcsync.unexpected.response".into(),
                message: format!(
                    "Genesys Cloud answered page {number} of {path} with the entities of page {};                      the listing cannot be read to its end",
                    number - 1
                ),
                correlation_id: None,
                entity_id: None,
            });
        }
        self.previous = Some(page.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{entities, is_last, RepeatGuard};
    use serde_json::json;

    #[test]
    fn a_full_page_goes_on_until_the_count_or_a_short_page() {
        let full = json!({"pageSize": 2, "pageCount": 3});
        assert!(!is_last(&full, 1, 2, 2));
        assert!(is_last(&full, 3, 2, 2), "pageCount reached");
        assert!(is_last(&json!({"pageSize": 2}), 1, 1, 2), "short page");
        assert!(is_last(&json!({}), 4, 0, 2), "empty page");
    }

    #[test]
    fn missing_fields_never_end_a_read_early() {
        // No pageCount (queue members, or a server leaving it out): only a short page ends it.
        assert!(!is_last(&json!({"entities": []}), 1, 500, 500));
        assert!(!is_last(&json!({"pageSize": 500}), 7, 500, 500));
        // A server that serves 100 when asked for 500: a page of 100 is full, not the last.
        assert!(!is_last(
            &json!({"pageSize": 100, "pageCount": 9}),
            1,
            100,
            500
        ));
        assert!(is_last(&json!({"pageSize": 100}), 2, 99, 500));
    }

    #[test]
    fn a_listing_without_entities_has_none() {
        assert_eq!(entities(&json!({"total": 0})), json!([]));
        assert_eq!(entities(&json!({"entities": null})), json!([]));
        assert_eq!(
            entities(&json!({"entities": [{"id": "a"}]})),
            json!([{"id": "a"}])
        );
    }

    #[test]
    fn a_page_repeating_the_one_before_fails_the_read() {
        let mut g = RepeatGuard::default();
        let a = json!([{"id": "a"}, {"id": "b"}]);
        g.check("/x", 1, &a).unwrap();
        g.check("/x", 2, &json!([{"id": "c"}, {"id": "d"}]))
            .unwrap();
        g.check("/x", 3, &a).unwrap();
        let e = g.check("/x", 4, &a).unwrap_err();
        assert!(
            e.to_string()
                .contains("page 4 of /x with the entities of page 3"),
            "{e}"
        );
        let mut g = RepeatGuard::default();
        g.check("/x", 1, &json!([])).unwrap();
        g.check("/x", 2, &json!([])).unwrap();
    }
}
