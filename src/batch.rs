//! Bulk operations, planned apart from I/O: the one table of per-endpoint item limits, chunking
//! by it, and finding the items at fault in a refused bulk call by splitting it, so the other
//! items still succeed. Pure: the call itself is a closure the caller supplies.

/// How many items one call of a bulk endpoint takes (API-FACTS §7 "Bulk endpoints").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimit {
    /// HTTP method.
    pub method: &'static str,
    /// Route template.
    pub route: &'static str,
    /// Most items per call.
    pub max_items: usize,
}

const fn limit(method: &'static str, route: &'static str, max_items: usize) -> BulkLimit {
    BulkLimit {
        method,
        route,
        max_items,
    }
}

/// Every bulk endpoint gcsync uses, with its documented (or, where UNCONFIRMED, chosen and
/// documented in the README) maximum. The presence bulk maximum is the default of the
/// `presence_bulk_max` setting.
pub const BULK_LIMITS: &[BulkLimit] = &[
    limit("POST", "/api/v2/routing/queues/{queueId}/members", 100),
    limit("POST", "/api/v2/routing/queues/{queueId}/wrapupcodes", 100),
    limit("PATCH", "/api/v2/users/{userId}/routingskills/bulk", 50),
    limit("PUT", "/api/v2/users/{userId}/routingskills/bulk", 50),
    limit("PATCH", "/api/v2/users/{userId}/routinglanguages/bulk", 50),
    limit("PUT", "/api/v2/users/presences/bulk", 50),
    limit("GET", "/api/v2/users", 100),
    limit("GET", "/api/v2/users/presences/purecloud/bulk", 50),
];

/// The most items one call of `method route` takes; 1 for an endpoint not in the table (a
/// single-item endpoint).
pub fn max_items(method: &str, route: &str) -> usize {
    BULK_LIMITS
        .iter()
        .find(|l| l.method == method && l.route == route)
        .map_or(1, |l| l.max_items)
}

/// Runs `call` over `items` in chunks of at most `max`, and returns one result per item, in
/// order. When a call fails with an error `is_item_fault` blames on the items (a 400 naming bad
/// input, not a 5xx or a 429: those the client already retried, and splitting would only
/// multiply them), the chunk is split in halves and each half tried alone, down to single
/// items: one bad item among `n` costs about `2 log2 n` extra calls, and every other item still
/// succeeds. Any other error is the result of every item of the chunk.
pub fn run_bulk<T, E: Clone>(
    items: &[T],
    max: usize,
    is_item_fault: impl Fn(&E) -> bool,
    call: &mut dyn FnMut(&[T]) -> Result<(), E>,
) -> Vec<Result<(), E>> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(max.max(1)) {
        split(chunk, &is_item_fault, call, &mut out);
    }
    out
}

fn split<T, E: Clone>(
    items: &[T],
    is_item_fault: &impl Fn(&E) -> bool,
    call: &mut dyn FnMut(&[T]) -> Result<(), E>,
    out: &mut Vec<Result<(), E>>,
) {
    match call(items) {
        Ok(()) => out.extend(items.iter().map(|_| Ok(()))),
        Err(e) if items.len() > 1 && is_item_fault(&e) => {
            let (a, b) = items.split_at(items.len() / 2);
            split(a, is_item_fault, call, out);
            split(b, is_item_fault, call, out);
        }
        Err(e) => out.extend(items.iter().map(|_| Err(e.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum Fail {
        Bad(u32),
        Down,
    }

    /// A fake bulk endpoint: refuses a call holding a bad item (naming the first), or every
    /// call while down; counts calls and their sizes.
    fn endpoint<'a>(
        bad: &'static [u32],
        down: bool,
        sizes: &'a mut Vec<usize>,
    ) -> impl FnMut(&[u32]) -> Result<(), Fail> + 'a {
        move |items| {
            sizes.push(items.len());
            if down {
                return Err(Fail::Down);
            }
            match items.iter().find(|i| bad.contains(i)) {
                Some(b) => Err(Fail::Bad(*b)),
                None => Ok(()),
            }
        }
    }

    fn item_fault(e: &Fail) -> bool {
        matches!(e, Fail::Bad(_))
    }

    #[test]
    fn chunks_respect_the_limit_and_a_clean_run_costs_the_floor() {
        let items: Vec<u32> = (0..250).collect();
        let mut sizes = Vec::new();
        let r = run_bulk(
            &items,
            100,
            item_fault,
            &mut endpoint(&[], false, &mut sizes),
        );
        assert_eq!(sizes, [100, 100, 50]);
        assert!(r.iter().all(Result::is_ok));
        assert_eq!(r.len(), 250);
    }

    #[test]
    fn one_bad_item_is_found_and_the_others_succeed() {
        let items: Vec<u32> = (0..100).collect();
        let mut sizes = Vec::new();
        let r = run_bulk(
            &items,
            100,
            item_fault,
            &mut endpoint(&[37], false, &mut sizes),
        );
        for (i, res) in r.iter().enumerate() {
            match i {
                37 => assert_eq!(res, &Err(Fail::Bad(37))),
                _ => assert_eq!(res, &Ok(()), "{i}"),
            }
        }
        // 1 + 2 per level of halving (100 → 50 → 25 → 13 → 7 → 4 → 2 → 1): 15 calls.
        assert!(sizes.len() <= 1 + 2 * 7, "{sizes:?}");
        assert!(sizes.iter().all(|s| *s <= 100));
    }

    #[test]
    fn a_transient_failure_is_not_split() {
        let items: Vec<u32> = (0..60).collect();
        let mut sizes = Vec::new();
        let r = run_bulk(&items, 50, item_fault, &mut endpoint(&[], true, &mut sizes));
        assert_eq!(sizes, [50, 10], "one call per chunk, no splitting");
        assert!(r.iter().all(|x| x == &Err(Fail::Down)));
    }

    #[test]
    fn the_table_names_the_documented_limits() {
        assert_eq!(
            max_items("POST", "/api/v2/routing/queues/{queueId}/members"),
            100
        );
        assert_eq!(
            max_items("PATCH", "/api/v2/users/{userId}/routingskills/bulk"),
            50
        );
        assert_eq!(max_items("GET", "/api/v2/users"), 100);
        assert_eq!(max_items("POST", "/api/v2/users"), 1);
    }
}
