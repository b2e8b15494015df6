//! A forest plot: one row per comparison, its estimate and 95% interval as a horizontal bar, the
//! region where its claim holds shaded behind it, and a line at 0.

use plotters::prelude::*;

use super::{DrawResult, FONT, Ticks, err, round_ticks};

/// One row of the forest plot, in points.
#[derive(Clone, Debug)]
pub struct IntervalRow {
    pub label: String,
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    /// Where the claim holds: `(from, to)`, either end open (`±inf`).
    pub holds: (f64, f64),
    /// Colour index: the verdict's.
    pub color: usize,
}

/// Width of the label area for labels of up to `chars` characters at 13 px.
fn label_area(chars: usize) -> u32 {
    (chars as u32 * 7 + 30).clamp(120, 620)
}

pub fn interval_chart(title: &str, x_label: &str, rows: &[IntervalRow]) -> DrawResult {
    let mut svg = String::new();
    let n = rows.len().max(1);
    let height = (140 + 34 * n as u32).clamp(260, 2400);
    let longest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(10);
    let finite = rows
        .iter()
        .flat_map(|r| [r.lo, r.hi, r.holds.0, r.holds.1, 0.0])
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = ((hi - lo) * 0.06).max(0.5);
    let (xlo, xhi) = (lo - pad, hi + pad);
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let x = Ticks {
            range: xlo..xhi,
            at: round_ticks(xlo, xhi, 8),
            label: |v: f64| format!("{v:+}"),
        };
        // Row 0 at the top.
        let y = Ticks {
            range: 0.0..n as f64,
            at: (0..n).map(|i| i as f64 + 0.5).collect(),
            label: move |v: f64| {
                labels
                    .get(n - 1 - (v.floor() as usize).min(n - 1))
                    .cloned()
                    .unwrap_or_default()
            },
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(label_area(longest))
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, r) in rows.iter().enumerate() {
            let yc = (n - 1 - i) as f64 + 0.5;
            let (a, b) = (r.holds.0.max(xlo), r.holds.1.min(xhi));
            if a < b {
                chart
                    .draw_series([Rectangle::new(
                        [(a, yc - 0.4), (b, yc + 0.4)],
                        RGBColor(0, 158, 115).mix(0.12).filled(),
                    )])
                    .map_err(err)?;
            }
            let c = super::color(r.color);
            chart
                .draw_series([PathElement::new(
                    vec![(r.lo, yc), (r.hi, yc)],
                    c.stroke_width(3),
                )])
                .map_err(err)?;
            chart
                .draw_series([Circle::new((r.estimate, yc), 5, c.filled())])
                .map_err(err)?;
        }
        chart
            .draw_series([PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                BLACK.mix(0.6).stroke_width(1),
            )])
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_row_and_keeps_labels_clear_of_the_axis() {
        let rows = vec![
            IntervalRow {
                label: "token: movie, max-norm − cls".into(),
                estimate: 0.4,
                lo: -1.2,
                hi: 1.9,
                holds: (-2.0, 2.0),
                color: 0,
            },
            IntervalRow {
                label: "freeze: movie, freeze all + mlp head − cls".into(),
                estimate: -11.0,
                lo: -13.5,
                hi: -8.7,
                holds: (f64::NEG_INFINITY, -5.0),
                color: 1,
            },
        ];
        let svg = interval_chart("gaps", "points", &rows).unwrap();
        assert!(svg.contains("max-norm − cls") && svg.contains("freeze all + mlp head"));
        assert!(label_area(42) > 42 * 6, "room for the longest label");
    }
}
