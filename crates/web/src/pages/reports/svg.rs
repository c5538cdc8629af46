//! Charts drawn on the server as SVG, as the GOV.UK guidance on charts asks: a title and a
//! description read out by screen readers, the data in a table beside each (the page's), no
//! JavaScript, and lines and points told apart by shape and dash as well as colour, so they
//! survive greyscale printing and colour blindness.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const BLUE: &str = "#1d70b8";
const BLACK: &str = "#0b0c0c";
const ORANGE: &str = "#d4351c";
const GREY: &str = "#505a5f";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open(id: &str, title: &str, description: &str, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"harbour-chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"inherit\" font-size=\"14\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(description)
    )
}

/// A round number of steps for an axis up to `max`.
fn step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(p * 10.0)
}

fn label_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        super::table::thousands(v.round() as u64)
    } else {
        format!("{v:.1}")
    }
}

/// Horizontal bars, one per item; an item without a value (suppressed) is left as a gap
/// marked "hidden".
pub fn bars(
    id: &str,
    title: &str,
    description: &str,
    items: &[(String, Option<f64>)],
    unit: &str,
) -> String {
    let row = 34.0;
    let left = 260.0;
    let right = 90.0;
    let height = row * items.len() as f64 + 40.0;
    let max = items.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    let scale = if max > 0.0 {
        (WIDTH - left - right) / max
    } else {
        0.0
    };
    let mut s = open(id, title, description, height);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{BLACK}\">{}</text>",
            left - 8.0,
            y + 20.0,
            esc(label)
        );
        match value {
            Some(v) => {
                let w = (v * scale).max(1.0);
                let _ = write!(
                    s,
                    "<rect x=\"{left}\" y=\"{}\" width=\"{w:.1}\" height=\"24\" fill=\"{BLUE}\"/>\
                     <text x=\"{:.1}\" y=\"{}\" fill=\"{BLACK}\">{}{unit}</text>",
                    y + 4.0,
                    left + w + 6.0,
                    y + 20.0,
                    label_number(*v)
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{left}\" y=\"{}\" fill=\"{GREY}\">hidden (small number)</text>",
                    y + 20.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// A funnel plot: each area's rate against its population, with the comparator's rate and the
/// range chance alone would give an area of each size (95% dashed, 99.8% dotted).
pub struct FunnelPoint {
    pub label: String,
    pub population: u64,
    pub rate: Option<f64>,
}

pub fn funnel_plot(
    id: &str,
    title: &str,
    description: &str,
    points: &[FunnelPoint],
    comparator: f64,
    limits: impl Fn(u64, bool) -> (f64, f64),
) -> String {
    let (left, right, top, bottom) = (70.0, 150.0, 20.0, 60.0);
    let height = 420.0;
    let max_pop = points
        .iter()
        .map(|p| p.population)
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let min_pop = (max_pop * 0.05).max(1000.0);
    let mut max_rate = points
        .iter()
        .filter_map(|p| p.rate)
        .fold(comparator, f64::max);
    let (_, hi) = limits(min_pop as u64, true);
    max_rate = max_rate.max(hi.min(comparator * 3.0)) * 1.1;
    if max_rate <= 0.0 {
        max_rate = 1.0;
    }
    let x = |pop: f64| left + (pop / max_pop) * (WIDTH - left - right);
    let y = |rate: f64| top + (1.0 - (rate / max_rate).min(1.0)) * (height - top - bottom);
    let mut s = open(id, title, description, height);
    // Axes with ticks.
    let ystep = step(max_rate);
    let mut v = 0.0;
    while v <= max_rate + 1e-9 {
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{BLACK}\">{}</text>",
            WIDTH - right,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 5.0,
            label_number(v)
        );
        v += ystep;
    }
    let xstep = step(max_pop);
    let mut p = 0.0;
    while p <= max_pop {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"{BLACK}\">{}</text>",
            x(p),
            height - bottom + 20.0,
            label_number(p / 1000.0)
        );
        p += xstep;
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{BLACK}\">Residents (thousands)</text>\
         <text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\" fill=\"{BLACK}\">Referrals per 1,000 residents</text>",
        (left + WIDTH - right) / 2.0,
        height - 12.0,
        (top + height - bottom) / 2.0,
        (top + height - bottom) / 2.0
    );
    // The comparator and its funnels.
    let _ = write!(
        s,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{BLACK}\" stroke-width=\"2\"/>",
        WIDTH - right,
        y(comparator),
        y(comparator)
    );
    for (wide, dash) in [(false, "6 4"), (true, "2 3")] {
        let mut lower = String::new();
        let mut upper = String::new();
        for i in 0..=40 {
            let pop = min_pop + (max_pop - min_pop) * f64::from(i) / 40.0;
            let (lo, hi) = limits(pop as u64, wide);
            let _ = write!(lower, "{:.1},{:.1} ", x(pop), y(lo.max(0.0)));
            let _ = write!(upper, "{:.1},{:.1} ", x(pop), y(hi));
        }
        for line in [lower, upper] {
            let _ = write!(
                s,
                "<polyline points=\"{line}\" fill=\"none\" stroke=\"{GREY}\" stroke-width=\"1.5\" stroke-dasharray=\"{dash}\"/>"
            );
        }
    }
    for pt in points {
        if let Some(rate) = pt.rate {
            let (cx, cy) = (x(pt.population as f64), y(rate));
            let _ = write!(
                s,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"{BLUE}\" stroke=\"{BLACK}\"><title>{}: {rate:.2} per 1,000</title></circle>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{BLACK}\" font-size=\"12\">{}</text>",
                esc(&pt.label),
                cx + 9.0,
                cy + 4.0,
                esc(&pt.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A control chart: the monthly counts joined by a line, the centre (solid) and limits
/// (dashed), and each month a run rule flags drawn as a larger red triangle rather than a dot.
pub struct ChartPoint {
    pub label: String,
    pub value: Option<u64>,
    pub flagged: bool,
}

pub fn control_chart(
    id: &str,
    title: &str,
    description: &str,
    points: &[ChartPoint],
    centre: f64,
    lower: f64,
    upper: f64,
) -> String {
    let (left, right, top, bottom) = (60.0, 20.0, 20.0, 70.0);
    let height = 380.0;
    let max = points
        .iter()
        .filter_map(|p| p.value)
        .map(|v| v as f64)
        .fold(upper, f64::max)
        * 1.1;
    let max = if max <= 0.0 { 1.0 } else { max };
    let n = points.len().max(2) as f64;
    let x = |i: usize| left + (i as f64 / (n - 1.0)) * (WIDTH - left - right);
    let y = |v: f64| top + (1.0 - v / max) * (height - top - bottom);
    let mut s = open(id, title, description, height);
    let ystep = step(max);
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#b1b4b6\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{BLACK}\">{}</text>",
            WIDTH - right,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 5.0,
            label_number(v)
        );
        v += ystep;
    }
    for (value, dash, width) in [(centre, "", 2.0), (upper, "8 4", 1.5), (lower, "8 4", 1.5)] {
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{GREY}\" stroke-width=\"{width}\"{}/>",
            WIDTH - right,
            y(value),
            y(value),
            if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            }
        );
    }
    let every = (points.len() / 12).max(1);
    let mut line = String::new();
    for (i, p) in points.iter().enumerate() {
        if i.is_multiple_of(every) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-45 {:.1} {})\" fill=\"{BLACK}\" font-size=\"12\">{}</text>",
                x(i),
                height - bottom + 18.0,
                x(i),
                height - bottom + 18.0,
                esc(&p.label)
            );
        }
        match p.value {
            Some(v) => {
                let _ = write!(line, "{:.1},{:.1} ", x(i), y(v as f64));
            }
            None => {
                if !line.is_empty() {
                    let _ = write!(
                        s,
                        "<polyline points=\"{line}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\"/>"
                    );
                    line.clear();
                }
            }
        }
    }
    if !line.is_empty() {
        let _ = write!(
            s,
            "<polyline points=\"{line}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\"/>"
        );
    }
    for (i, p) in points.iter().enumerate() {
        let Some(v) = p.value else { continue };
        let (cx, cy) = (x(i), y(v as f64));
        if p.flagged {
            let _ = write!(
                s,
                "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{ORANGE}\" stroke=\"{BLACK}\"><title>{}: {v}, flagged</title></polygon>",
                cx,
                cy - 8.0,
                cx - 7.0,
                cy + 6.0,
                cx + 7.0,
                cy + 6.0,
                esc(&p.label)
            );
        } else {
            let _ = write!(
                s,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{BLUE}\"><title>{}: {v}</title></circle>",
                esc(&p.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_carry_their_title_and_description_and_escape_text() {
        let svg = bars(
            "f",
            "Referrals & support",
            "The funnel",
            &[
                ("Advice <given>".into(), Some(12.0)),
                ("Hidden".into(), None),
            ],
            "",
        );
        assert!(svg.contains("<title id=\"f-title\">Referrals &amp; support</title>"));
        assert!(svg.contains("aria-labelledby=\"f-title f-desc\""));
        assert!(svg.contains("Advice &lt;given&gt;"));
        assert!(svg.contains("hidden (small number)"));
        let chart = control_chart(
            "c",
            "Months",
            "d",
            &[
                ChartPoint {
                    label: "Jan 2026".into(),
                    value: Some(10),
                    flagged: false,
                },
                ChartPoint {
                    label: "Feb 2026".into(),
                    value: Some(30),
                    flagged: true,
                },
            ],
            12.0,
            2.0,
            22.0,
        );
        assert_eq!(
            chart.matches("<polygon").count(),
            1,
            "the flagged month is a triangle"
        );
        assert_eq!(step(87.0), 20.0);
    }
}
