//! Printing figures beside their targets (PASS / MISS said plainly), slots for figures a later
//! issue makes measurable, and the checks `--quick` asserts.

use std::fmt::Write as _;

/// What a figure is held to.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// At most this much.
    AtMost(f64),
    /// At least this much.
    AtLeast(f64),
    /// Printed for information; no target.
    Info,
}

/// One missed target, for the summary.
struct Miss {
    name: String,
    value: f64,
    /// `≤` or `≥`.
    op: &'static str,
    limit: f64,
    unit: &'static str,
}

/// The report of one benchmark run.
#[derive(Default)]
pub struct Report {
    passed: usize,
    misses: Vec<Miss>,
    checks_passed: usize,
    checks_failed: Vec<String>,
}

/// `value` with a precision that suits its size.
pub fn num(value: f64) -> String {
    let a = value.abs();
    if a == 0.0 || a >= 100.0 {
        format!("{value:.0}")
    } else if a >= 10.0 {
        format!("{value:.1}")
    } else if a >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

impl Report {
    /// A section heading.
    pub fn section(&mut self, title: &str) {
        println!("\n== {title}");
    }

    /// A free line (context, method, notes).
    pub fn note(&mut self, text: &str) {
        println!("   {text}");
    }

    /// Scores `value` against `target` and returns the verdict text ("" for Info).
    pub fn score(&mut self, name: &str, value: f64, unit: &'static str, target: Target) -> String {
        match target {
            Target::Info => String::new(),
            Target::AtMost(limit) if value <= limit => {
                self.passed += 1;
                format!("≤ {} {unit} PASS", num(limit))
            }
            Target::AtMost(limit) => {
                self.misses.push(Miss {
                    name: name.to_string(),
                    value,
                    op: "≤",
                    limit,
                    unit,
                });
                let by = if limit > 0.0 {
                    format!("{:.1}× the target", value / limit)
                } else {
                    format!("{} over", num(value - limit))
                };
                format!("≤ {} {unit} MISS ({by})", num(limit))
            }
            Target::AtLeast(limit) if value >= limit => {
                self.passed += 1;
                format!("≥ {} {unit} PASS", num(limit))
            }
            Target::AtLeast(limit) => {
                self.misses.push(Miss {
                    name: name.to_string(),
                    value,
                    op: "≥",
                    limit,
                    unit,
                });
                format!("≥ {} {unit} MISS", num(limit))
            }
        }
    }

    /// One figure on its own line: name, value, unit, target and verdict, and a note.
    pub fn figure(
        &mut self,
        name: &str,
        value: f64,
        unit: &'static str,
        target: Target,
        note: &str,
    ) {
        let verdict = self.score(name, value, unit, target);
        let mut line = format!("   {name:<54} {:>10} {unit:<6}", num(value));
        if !verdict.is_empty() {
            let _ = write!(line, " target {verdict}");
        }
        if !note.is_empty() {
            let _ = write!(line, "  ({note})");
        }
        println!("{line}");
    }

    /// A figure that cannot be measured yet.
    pub fn slot(&mut self, name: &str, issue: u32, what: &str) {
        println!("   {name:<54} not yet measurable: needs issue {issue} ({what})");
    }

    /// A figure that could not be measured on this run (no data, not this OS).
    pub fn unmeasured(&mut self, name: &str, why: &str) {
        println!("   {name:<54} not measured: {why}");
    }

    /// A check `--quick` asserts: exact counts, bytes within the target, timing ratios.
    pub fn check(&mut self, name: &str, ok: bool, detail: &str) {
        println!(
            "   check: {name}: {} ({detail})",
            if ok { "ok" } else { "FAILED" }
        );
        if ok {
            self.checks_passed += 1;
        } else {
            self.checks_failed.push(format!("{name} ({detail})"));
        }
    }

    /// Prints the summary; true when every check held.
    pub fn finish(&self, quick: bool) -> bool {
        println!("\n== summary");
        println!(
            "   targets: {} PASS, {} MISS",
            self.passed,
            self.misses.len()
        );
        for m in &self.misses {
            println!(
                "   MISS {}: {} {} (target {} {} {})",
                m.name,
                num(m.value),
                m.unit,
                m.op,
                num(m.limit),
                m.unit
            );
        }
        if quick {
            println!(
                "   timings of --quick are not held to their targets (shared CI machine); its checks are"
            );
        }
        println!(
            "   checks: {} ok, {} failed",
            self.checks_passed,
            self.checks_failed.len()
        );
        for c in &self.checks_failed {
            println!("   FAILED {c}");
        }
        self.checks_failed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_say_pass_and_miss_with_the_factor() {
        let mut r = Report::default();
        assert_eq!(
            r.score("a", 5.0, "µs", Target::AtMost(10.0)),
            "≤ 10.0 µs PASS"
        );
        assert_eq!(
            r.score("b", 25.0, "µs", Target::AtMost(10.0)),
            "≤ 10.0 µs MISS (2.5× the target)"
        );
        assert_eq!(
            r.score("c", 3.0, "B", Target::AtMost(0.0)),
            "≤ 0 B MISS (3.00 over)"
        );
        assert_eq!(r.score("d", 3.0, "B", Target::Info), "");
        assert_eq!(
            r.score("e", 0.97, "", Target::AtLeast(0.95)),
            "≥ 0.95  PASS"
        );
        assert_eq!(r.score("f", 0.5, "", Target::AtLeast(0.9)), "≥ 0.90  MISS");
        assert_eq!((r.passed, r.misses.len()), (2, 3));
        r.check("x", true, "");
        assert!(r.finish(false));
        r.check("y", false, "");
        assert!(!r.finish(false));
    }
}
