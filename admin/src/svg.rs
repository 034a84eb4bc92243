//! The report's chart: calls per hour and answered 429s, as inline SVG (no script, no external
//! asset). Every bar carries its figures in `data-` attributes and a `<title>` tooltip.

use crate::report::esc;
use gcsync::clock::format_utc;

/// Hours the chart covers (the last 7 days, ending with the current hour).
pub const HOURS: i64 = 7 * 24;

const W: i64 = 900;
const H: i64 = 240;
const LEFT: i64 = 50;
const BOTTOM: i64 = 30;
const TOP: i64 = 12;

/// A round axis maximum at or above `n` (1, 2, 5 × 10^k).
fn nice(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// The SVG for `hours` (`(hour, calls, 429s)`, any order, hours outside the window ignored)
/// over the [`HOURS`] hours ending with `now_hour`.
pub fn chart(hours: &[(i64, i64, i64)], now_hour: i64) -> String {
    let first = now_hour - HOURS + 1;
    let mut calls = vec![0i64; HOURS as usize];
    let mut limited = vec![0i64; HOURS as usize];
    for &(h, c, l) in hours {
        if (first..=now_hour).contains(&h) {
            calls[(h - first) as usize] += c;
            limited[(h - first) as usize] += l;
        }
    }
    let total: i64 = calls.iter().sum();
    let total_limited: i64 = limited.iter().sum();
    let top = nice(calls.iter().copied().max().unwrap_or(0).max(1));
    let plot_h = H - BOTTOM - TOP;
    let bar_w = (W - LEFT) as f64 / HOURS as f64;
    let y = |v: i64| TOP as f64 + plot_h as f64 * (1.0 - v as f64 / top as f64);
    let mut s = format!(
        "<svg id=\"calls-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" \
         height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" data-total-calls=\"{total}\" \
         data-total-429=\"{total_limited}\" aria-label=\"API calls per hour and answered 429s, \
         last 7 days: {total} calls, {total_limited} answered 429\">\n"
    );
    for v in [0, top / 2, top] {
        let yy = y(v);
        s += &format!(
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{v}</text>\n",
            LEFT - 6,
            yy + 4.0
        );
    }
    for i in 0..HOURS {
        let hour = first + i;
        let (c, l) = (calls[i as usize], limited[i as usize]);
        let x = LEFT as f64 + i as f64 * bar_w;
        if hour % 24 == 0 {
            let day = &format_utc((hour * 3600) as u64)[..10];
            s += &format!(
                "<text x=\"{x:.1}\" y=\"{}\" class=\"axis\">{}</text>\n",
                H - 10,
                esc(&day[5..])
            );
        }
        if c == 0 && l == 0 {
            continue;
        }
        let when = format!(
            "{} UTC",
            &format_utc((hour * 3600) as u64)[..16].replace('T', " ")
        );
        let title = format!("{when}: {c} calls, {l} answered 429");
        s += &format!(
            "<rect class=\"calls\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
             data-hour=\"{hour}\" data-calls=\"{c}\" data-429=\"{l}\"><title>{}</title></rect>\n",
            y(c),
            (bar_w - 1.0).max(1.0),
            y(0) - y(c),
            esc(&title)
        );
        if l > 0 {
            s += &format!(
                "<rect class=\"limited\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 data-hour=\"{hour}\" data-429=\"{l}\"><title>{}</title></rect>\n",
                y(l),
                (bar_w - 1.0).max(1.0),
                (y(0) - y(l)).max(2.0),
                esc(&title)
            );
        }
    }
    s += "</svg>";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_figures_and_the_axis_is_round() {
        assert_eq!(nice(1), 1);
        assert_eq!(nice(3), 5);
        assert_eq!(nice(101), 200);
        let now = 500_000;
        let svg = chart(&[(now, 12, 2), (now - 3, 5, 0), (now - HOURS, 99, 9)], now);
        assert!(svg.contains("data-total-calls=\"17\""), "{svg}");
        assert!(svg.contains("data-total-429=\"2\""));
        assert!(svg.contains(&format!(
            "data-hour=\"{now}\" data-calls=\"12\" data-429=\"2\""
        )));
        assert_eq!(svg.matches("class=\"calls\"").count(), 2);
        assert_eq!(svg.matches("class=\"limited\"").count(), 1);
        let outside = format!("data-hour=\"{}\"", now - HOURS);
        assert!(!svg.contains(&outside), "outside the window");
    }
}
