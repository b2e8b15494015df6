//! SVG charts (plotters, SVG backend: text is left to the viewer's fonts, no font files needed):
//! line charts with error bars, bar charts and annotated heatmaps. Each returns the SVG text.

use plotters::coord::ranged1d::{KeyPointHint, Ranged, ValueFormatter};
use plotters::prelude::*;

mod bars;
mod intervals;
pub use bars::{Bar, bar_chart, heatmap};
pub use intervals::{IntervalRow, interval_chart};

/// Colours that stay apart on white (a colour-blind-safe set first).
const COLORS: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
    RGBColor(170, 51, 119),
    RGBColor(102, 153, 0),
];

pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

pub(crate) const FONT: &str = "sans-serif";

/// One line (or set of points) of a line chart.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    /// `(x, y, sd)`; `sd` draws an error bar when finite.
    pub points: Vec<(f64, f64, f64)>,
    /// Join the points with a line (a single point is always drawn as a marker).
    pub line: bool,
    /// Thicker, for the series the chart is about.
    pub bold: bool,
}

/// The x axis of a line chart.
#[derive(Clone, Debug)]
pub enum XAxis {
    /// Integer ticks (layers).
    Linear,
    /// Log scale with ticks at the data's x values (numbers of dims).
    Log,
    /// Many points (training steps): about 8 round ticks, lines without markers, the legend
    /// upper right (loss curves fall to the lower right).
    Steps,
}

/// About `n` round tick positions (1, 2 or 5 times a power of ten apart) covering lo..=hi.
fn round_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let raw = ((hi - lo) / n as f64).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

pub(crate) type DrawResult = Result<String, String>;

pub(crate) fn y_range(values: impl Iterator<Item = f64>, zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.01);
    (if zero && lo >= 0.0 { lo } else { lo - pad }, hi + pad)
}

/// Ticks of an f64 axis at chosen positions, labelled by a function.
pub(crate) struct Ticks<F: Fn(f64) -> String> {
    pub range: std::ops::Range<f64>,
    pub at: Vec<f64>,
    pub label: F,
}

impl<F: Fn(f64) -> String> Ranged for Ticks<F> {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.range.start, self.range.end);
        limit.0 + ((v - a) / (b - a) * (limit.1 - limit.0) as f64).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.at.clone()
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

impl<F: Fn(f64) -> String> ValueFormatter<f64> for Ticks<F> {
    fn format_ext(&self, v: &f64) -> String {
        (self.label)(*v)
    }
}

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A line chart: one line per series, error bars for sd, a legend.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    axis: XAxis,
    series: &[Series],
) -> DrawResult {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let tf = |x: f64| match axis {
            XAxis::Linear | XAxis::Steps => x,
            XAxis::Log => x.max(1e-9).log10(),
        };
        let mut xs: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let (xlo, xhi) = (
            tf(*xs.first().unwrap_or(&0.0)),
            tf(*xs.last().unwrap_or(&1.0)),
        );
        let pad = ((xhi - xlo) * 0.05).max(0.3);
        let ticks: Vec<f64> = match axis {
            XAxis::Steps => round_ticks(xlo, xhi, 8),
            XAxis::Linear => ((xlo.floor() as i64)..=(xhi.ceil() as i64))
                .map(|x| x as f64)
                .collect(),
            XAxis::Log => {
                // The data's x values, plus the decades in range where the data leave gaps.
                let mut t: Vec<f64> = xs.iter().map(|&x| tf(x)).collect();
                for d in [1.0f64, 10.0, 100.0, 1000.0, 10000.0].map(f64::log10) {
                    if d >= xlo && d <= xhi && t.iter().all(|x| (x - d).abs() > 0.25) {
                        t.push(d);
                    }
                }
                t
            }
        };
        let log = matches!(axis, XAxis::Log);
        let steps = matches!(axis, XAxis::Steps);
        let x = Ticks {
            range: (xlo - pad)..(xhi + pad),
            at: ticks,
            label: move |v: f64| {
                if log {
                    format!("{}", 10f64.powf(v).round())
                } else {
                    format!("{v}")
                }
            },
        };
        let ys = series.iter().flat_map(|s| {
            s.points.iter().flat_map(|p| {
                let sd = if p.2.is_finite() { p.2 } else { 0.0 };
                [p.1 - sd, p.1 + sd]
            })
        });
        let (ylo, yhi) = y_range(ys, false);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x, ylo..yhi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 13))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, s) in series.iter().enumerate() {
            let c = color(i);
            let width = if s.bold { 3 } else { 2 };
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|p| p.1.is_finite())
                .map(|p| (tf(p.0), p.1))
                .collect();
            let anno = if s.line && pts.len() > 1 {
                chart
                    .draw_series(LineSeries::new(pts.clone(), c.stroke_width(width)))
                    .map_err(err)?
            } else {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(err)?
            };
            anno.label(s.label.clone()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (20, 0)], c.stroke_width(width))
                    + Circle::new((10, 0), 4, c.filled())
            });
            let markers = if steps && pts.len() > 1 {
                &[][..]
            } else {
                &pts[..]
            };
            chart
                .draw_series(
                    markers
                        .iter()
                        .map(|&p| Circle::new(p, if s.bold { 5 } else { 4 }, c.filled())),
                )
                .map_err(err)?;
            let bars = s
                .points
                .iter()
                .filter(|p| p.1.is_finite() && p.2.is_finite() && p.2 > 0.0);
            chart
                .draw_series(bars.map(|p| {
                    PathElement::new(
                        vec![(tf(p.0), p.1 - p.2), (tf(p.0), p.1 + p.2)],
                        c.stroke_width(2),
                    )
                }))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(if steps {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::LowerRight
            })
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_ticks_are_round_and_cover_the_range() {
        assert_eq!(
            super::round_ticks(1.0, 100.0, 8),
            vec![20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            super::round_ticks(0.0, 7.0, 8),
            (0..=7).map(f64::from).collect::<Vec<_>>()
        );
    }
}
