//! Bar charts and annotated heatmaps.

use plotters::prelude::*;

use super::{DrawResult, FONT, Ticks, color, err, y_range};

/// One bar.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Error bar (sd) when finite.
    pub sd: f64,
}

/// A bar chart with the value written above each bar. `from_zero = false` starts the axis near
/// the smallest bar (the title should say so).
pub fn bar_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    bars: &[Bar],
    from_zero: bool,
) -> DrawResult {
    let mut svg = String::new();
    let width = (160 + 60 * bars.len() as u32).clamp(600, 1400);
    {
        let root = SVGBackend::with_string(&mut svg, (width, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let n = bars.len().max(1);
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        let x = Ticks {
            range: 0.0..n as f64,
            at: (0..n).map(|i| i as f64 + 0.5).collect(),
            label: move |v: f64| labels.get(v.floor() as usize).cloned().unwrap_or_default(),
        };
        let ys = bars
            .iter()
            .flat_map(|b| [b.value, b.value + if b.sd.is_finite() { b.sd } else { 0.0 }]);
        let (ylo, yhi) = y_range(ys, from_zero);
        let yhi = yhi + (yhi - ylo) * 0.06;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x, ylo..yhi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 12))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, b) in bars.iter().enumerate().filter(|(_, b)| b.value.is_finite()) {
            let x0 = i as f64;
            let c = color(0);
            chart
                .draw_series([Rectangle::new(
                    [(x0 + 0.15, ylo), (x0 + 0.85, b.value)],
                    c.mix(0.85).filled(),
                )])
                .map_err(err)?;
            let top = if b.sd.is_finite() && b.sd > 0.0 {
                let line = vec![(x0 + 0.5, b.value - b.sd), (x0 + 0.5, b.value + b.sd)];
                chart
                    .draw_series([PathElement::new(line, BLACK.stroke_width(2))])
                    .map_err(err)?;
                b.value + b.sd
            } else {
                b.value
            };
            let style = TextStyle::from((FONT, 12).into_font()).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Bottom,
                ),
            );
            chart
                .draw_series([Text::new(
                    format!("{:.3}", b.value),
                    (x0 + 0.5, top + (yhi - ylo) * 0.01),
                    style,
                )])
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A heatmap with the value written in each cell (`None` = grey, `–`); rows top to bottom.
pub fn heatmap(
    title: &str,
    x_label: &str,
    y_label: &str,
    cols: &[String],
    rows: &[String],
    values: &[Vec<Option<f64>>],
) -> DrawResult {
    let mut svg = String::new();
    let (nc, nr) = (cols.len().max(1), rows.len().max(1));
    let width = (200 + 130 * nc as u32).clamp(500, 1600);
    let height = (160 + 70 * nr as u32).clamp(300, 1200);
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let cl = cols.to_vec();
        let rl = rows.to_vec();
        let x = Ticks {
            range: 0.0..nc as f64,
            at: (0..nc).map(|i| i as f64 + 0.5).collect(),
            label: move |v: f64| cl.get(v.floor() as usize).cloned().unwrap_or_default(),
        };
        // Row 0 at the top.
        let y = Ticks {
            range: 0.0..nr as f64,
            at: (0..nr).map(|i| i as f64 + 0.5).collect(),
            label: move |v: f64| {
                rl.get(nr - 1 - v.floor() as usize)
                    .cloned()
                    .unwrap_or_default()
            },
        };
        // Wide enough for the longest row label and the axis title beside it (13 px labels
        // are about 7 px a character).
        let longest = rows.iter().map(|r| r.chars().count()).max().unwrap_or(4) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size((longest * 7 + 45).clamp(80, 500))
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .draw()
            .map_err(err)?;
        let finite = values
            .iter()
            .flatten()
            .flatten()
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let center = plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        );
        for (r, row) in values.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (x0, y0) = (c as f64, (nr - 1 - r) as f64);
                let (fill, text, dark) = match v.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        let mix =
                            |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
                        (
                            RGBColor(mix(239, 8), mix(243, 69), mix(255, 148)),
                            format!("{v:.3}"),
                            t > 0.55,
                        )
                    }
                    None => (RGBColor(225, 225, 225), "–".to_string(), false),
                };
                chart
                    .draw_series([Rectangle::new(
                        [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                        fill.filled(),
                    )])
                    .map_err(err)?;
                chart
                    .draw_series([Rectangle::new(
                        [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                        WHITE.stroke_width(2),
                    )])
                    .map_err(err)?;
                let ink = if dark { WHITE } else { BLACK };
                let style = TextStyle::from((FONT, 16).into_font())
                    .color(&ink)
                    .pos(center);
                chart
                    .draw_series([Text::new(text, (x0 + 0.5, y0 + 0.5), style)])
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
