//! The docs agree with the header: every exported function is in the README's function table,
//! the return types it states are the header's, and no name the header does not define is used.

fn functions(header: &str) -> Vec<(String, String)> {
    // Declarations look like `gcsync_result gcsync_init(const gcsync_host *host);`.
    let mut out = Vec::new();
    for line in header.lines() {
        let Some(open) = line.find('(') else { continue };
        let head = &line[..open];
        let mut words = head.split_whitespace().rev();
        let (Some(name), Some(ret)) = (words.next(), words.next()) else {
            continue;
        };
        if name.starts_with("gcsync_") && !line.trim_start().starts_with('*') {
            out.push((ret.to_string(), name.to_string()));
        }
    }
    out
}

#[test]
fn the_readme_lists_every_exported_function_with_its_return_type() {
    let header = include_str!("../../include/gcsync.h");
    let readme = include_str!("../../README.md");
    let table =
        &readme[readme.find("### Functions").unwrap()..readme.find("### API conventions").unwrap()];
    let conventions = &readme[readme.find("### API conventions").unwrap()..];
    let fns = functions(header);
    assert!(fns.len() >= 19, "{fns:?}");
    for (ret, name) in &fns {
        assert!(
            table.contains(&format!("`{name}(")),
            "{name} missing from the README's function table"
        );
        if ret != "gcsync_result" {
            let said = conventions
                .find(&format!("`{name}`"))
                .map(|i| &conventions[i..i + 200]);
            assert!(
                said.is_some_and(
                    |t| t.contains(&format!("(`{ret}`)")) || t.contains(&format!("`{ret}`"))
                ),
                "{name} returns {ret}: the README's Results convention must say so"
            );
        }
    }
}

#[test]
fn the_docs_name_only_result_codes_the_header_defines() {
    let header = include_str!("../../include/gcsync.h");
    let readme = include_str!("../../README.md");
    for text in [header, readme] {
        for (i, _) in text.match_indices("GCSYNC_") {
            let name: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let defined = header.contains(&format!("{name} ="))
                || header.contains(&format!("#define {name} "))
                || header.contains(&format!("#define {name}\n"));
            // C API names only (environment variables such as GCSYNC_CHROMIUM are not), and
            // not a bare prefix such as "GCSYNC_RESULT_" in prose.
            let api = [
                "GCSYNC_OK",
                "GCSYNC_RESULT_",
                "GCSYNC_OBJECT_KIND_",
                "GCSYNC_LOG_LEVEL_",
            ]
            .iter()
            .any(|p| name.starts_with(p));
            if api && !name.ends_with('_') {
                assert!(defined, "{name} is not defined in gcsync.h");
            }
        }
    }
}
