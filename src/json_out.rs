//! Query output written straight into a buffer, without a `serde_json::Value` tree: compact,
//! members in the order the caller writes them (the queries write them sorted, as serde_json
//! prints a map), strings escaped and floats formatted by serde_json itself, so the text is
//! byte for byte what serializing the equivalent `Value` prints.

use crate::clock::Utc;
use serde_json::ser::{CompactFormatter, Formatter};
use std::io::Write;

/// A JSON text being written. Writing to the in-memory buffer cannot fail, so the methods
/// return nothing.
#[derive(Debug, Default)]
pub struct JsonOut {
    buf: Vec<u8>,
}

impl JsonOut {
    /// An empty text with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> JsonOut {
        JsonOut {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// An empty text written into `buf` (its contents dropped, its room kept), to reuse a
    /// buffer from one query to the next ([`JsonOut::into_vec`] gives it back).
    pub fn reusing(mut buf: Vec<u8>) -> JsonOut {
        buf.clear();
        JsonOut { buf }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // Only UTF-8 was appended (see `into_string`).
        std::str::from_utf8(&self.buf).unwrap_or_default()
    }

    /// The buffer, to reuse.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// Appends JSON syntax or a member name as is (the caller's literal, already valid JSON).
    pub fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    /// Appends a JSON string.
    pub fn str(&mut self, s: &str) {
        // Writing to a Vec never fails.
        let _ = serde_json::to_writer(&mut self.buf, s);
    }

    /// Appends a JSON string, or `null`.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    /// Appends an unsigned integer.
    pub fn u64(&mut self, n: u64) {
        let _ = CompactFormatter.write_u64(&mut self.buf, n);
    }

    /// Appends an unsigned integer, or `null`.
    pub fn opt_u64(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.u64(n),
            None => self.raw("null"),
        }
    }

    /// Appends `true` or `false`.
    pub fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// Appends a JSON array of strings.
    pub fn str_array<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        self.raw("[");
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.str(s);
        }
        self.raw("]");
    }

    /// Appends a float as serde_json prints it (`null` if not finite), or `null`.
    pub fn opt_f64(&mut self, v: Option<f64>) {
        match v {
            // serde_json writes a non-finite float as null.
            Some(v) => {
                let _ = serde_json::to_writer(&mut self.buf, &v);
            }
            None => self.raw("null"),
        }
    }

    /// Appends Unix seconds as a `"YYYY-MM-DDTHH:MM:SSZ"` string (UTC), or `null`.
    pub fn opt_utc(&mut self, unix: Option<u64>) {
        match unix {
            Some(t) => match Utc(t).ascii() {
                // Copied as bytes, without the formatting machinery.
                Some(text) => {
                    self.buf.push(b'"');
                    self.buf.extend_from_slice(&text);
                    self.buf.push(b'"');
                }
                None => {
                    let _ = write!(self.buf, "\"{}\"", Utc(t));
                }
            },
            None => self.raw("null"),
        }
    }

    /// The text written.
    pub fn into_string(self) -> String {
        // Only UTF-8 was appended: &str input, ASCII syntax and escapes.
        String::from_utf8(self.buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_value_reads_as_serde_json_prints_it() {
        let all: String = (0u32..0x100).filter_map(char::from_u32).collect();
        for s in [all.as_str(), "", "Nguyễn \"q\" \\ 😀 \u{2028}", "a\u{7f}b"] {
            let mut o = JsonOut::default();
            o.str(s);
            assert_eq!(o.into_string(), Value::from(s).to_string());
        }
        for v in [
            0.0,
            12.3,
            100.0,
            0.1,
            1e20,
            1e-7,
            123456.7,
            f64::INFINITY,
            f64::NAN,
        ] {
            let mut o = JsonOut::default();
            o.opt_f64(Some(v));
            assert_eq!(o.into_string(), serde_json::json!(v).to_string(), "{v}");
        }
        let mut o = JsonOut::with_capacity(8);
        o.raw("[");
        o.u64(u64::MAX);
        o.raw(",");
        o.opt_u64(None);
        o.raw(",");
        o.bool(true);
        o.raw(",");
        o.opt_str(None);
        o.raw(",");
        o.opt_f64(None);
        o.raw(",");
        o.opt_utc(Some(1_795_620_645));
        o.raw(",");
        o.opt_utc(None);
        o.raw("]");
        assert_eq!(
            o.into_string(),
            format!(
                "[{},null,true,null,null,\"2026-11-25T15:30:45Z\",null]",
                u64::MAX
            )
        );
    }

    /// A reused buffer starts empty and keeps its room; what is written reads back as text.
    #[test]
    fn a_reused_buffer_holds_only_the_new_text() {
        let mut o = JsonOut::reusing(b"{\"old\":1}".to_vec());
        assert_eq!(o.as_str(), "");
        o.raw("{\"a\":");
        o.opt_utc(Some(0));
        o.raw("}");
        assert_eq!(o.as_str(), "{\"a\":\"1970-01-01T00:00:00Z\"}");
        let buf = o.into_vec();
        let again = JsonOut::reusing(buf);
        assert_eq!(again.as_str(), "");
        assert!(again.into_vec().capacity() >= 28);
    }
}
