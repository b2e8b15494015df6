//! The loss curves of a sweep's runs (their `curve.parquet`), one SVG per sweep and task.

use crate::ReportError;
use crate::doc::{Doc, file_safe};
use crate::plot::{Series, XAxis, line_chart};
use crate::run_groups::RunGroup;

/// The training loss of every run of the sweep, each seed its own line, so that a diverged or
/// flat run stands out.
pub fn write(
    doc: &mut Doc,
    stem: &str,
    title: &str,
    task: &str,
    groups: &[&RunGroup],
) -> Result<(), ReportError> {
    let series: Vec<Series> = groups
        .iter()
        .flat_map(|g| &g.runs)
        .filter(|r| !r.curve.is_empty())
        .map(|r| Series {
            label: r.name.clone(),
            points: r
                .curve
                .iter()
                .map(|c| (c.step as f64, c.loss, f64::NAN))
                .collect(),
            line: true,
            bold: false,
        })
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    let title = format!("{task}: {} training loss", title.to_lowercase());
    let name = format!("{}_loss_{}", stem, file_safe(task));
    doc.svg(
        &name,
        &title,
        line_chart(
            &title,
            "optimizer step",
            "training loss (mean per curve point)",
            XAxis::Steps,
            &series,
        ),
    )
}
