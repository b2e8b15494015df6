//! The claims section of REPORT.md ("The paper's claims, measured"), and reading it back.

use crate::claims::{Claim, Comparison, Thresholds, Verdict};
use crate::doc::{Doc, md_table};
use crate::{ReportError, bootstrap, plot, stats};

/// The claims table as markdown (also printed by the `report` binary): one row per claim, its
/// comparisons one per line.
pub fn claims_markdown(claims: &[Claim]) -> String {
    let rows: Vec<Vec<String>> = claims
        .iter()
        .map(|c| {
            let mut lines: Vec<String> = c.comparisons.iter().map(Comparison::line).collect();
            lines.extend(c.context.iter().cloned());
            lines.extend(c.missing.iter().cloned());
            vec![
                c.claim.to_string(),
                c.paper.to_string(),
                lines.join("<br>"),
                c.seeds(),
                c.test.describe(),
                format!("**{}**", c.verdict),
            ]
        })
        .collect();
    md_table(
        &[
            "claim",
            "paper says",
            "our numbers: gap [95% interval]",
            "seeds",
            "holds when",
            "verdict",
        ],
        &rows,
    )
}

/// The heading of the claims section of REPORT.md.
pub const CLAIMS_HEADING: &str = "The paper's claims, measured";

/// The claims section of a REPORT.md's text (its heading to the next `## `), if it has one.
pub fn claims_section(report_md: &str) -> Option<String> {
    let head = format!("## {CLAIMS_HEADING}");
    let start = report_md.lines().position(|l| l == head)?;
    let lines: Vec<&str> = report_md
        .lines()
        .skip(start)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("## "))
        .map(|(_, l)| l)
        .collect();
    Some(lines.join("\n") + "\n")
}

/// The claims section: the table, the rules, the detail CSV and the interval plot.
pub(crate) fn write(d: &mut Doc, claims: &[Claim], th: &Thresholds) -> Result<(), ReportError> {
    d.h2(CLAIMS_HEADING);
    d.para(&format!(
        "Each claim is judged by intervals, not means (1 point = 0.01 of the metric). A gap is \
         variant − reference on the items both scored (test; dev where a task has no labelled \
         test split), with a 95% paired bootstrap interval ({} replicates, items and seeds \
         resampled). A claim *holds* when the whole interval lies where the claim says, *does not \
         hold* when it lies wholly on the other side of the margin, and is *inconclusive* \
         otherwise; *no signal* means the reference is not above the majority-class baseline by \
         its own interval; *mixed* means some parts hold and others do not. The rules: \
         `docs/report.md`.",
        th.resamples
    ));
    d.md += &claims_markdown(claims);
    d.md += "\n";
    for c in claims {
        d.md += &format!("- *{}*: {}.\n", c.claim, c.rule);
    }
    d.md += "\n";
    let rows: Vec<Vec<String>> = claims
        .iter()
        .map(|c| {
            vec![
                c.id.into(),
                c.claim.into(),
                c.paper.into(),
                c.ours(),
                c.seeds(),
                c.test.describe(),
                c.verdict.to_string(),
                c.rule.clone(),
            ]
        })
        .collect();
    d.csv(
        "claims",
        &[
            "id",
            "claim",
            "paper",
            "ours",
            "seeds",
            "holds_when",
            "verdict",
            "rule",
        ],
        &rows,
    )?;
    let detail: Vec<Vec<String>> = claims
        .iter()
        .flat_map(|c| {
            c.comparisons.iter().map(move |x| {
                let iv =
                    |f: fn(&bootstrap::Interval) -> f64| stats::csv_num(x.interval.as_ref().map(f));
                vec![
                    c.id.into(),
                    x.task.clone(),
                    x.what.clone(),
                    x.split.clone(),
                    x.metric.clone(),
                    x.seeds.clone(),
                    iv(|i| i.estimate),
                    iv(|i| i.lo),
                    iv(|i| i.hi),
                    x.interval.map(|i| i.items.to_string()).unwrap_or_default(),
                    x.test.describe(),
                    x.verdict.to_string(),
                    x.note.clone(),
                ]
            })
        })
        .collect();
    d.csv(
        "claims_detail",
        &[
            "id",
            "task",
            "what",
            "split",
            "metric",
            "seeds",
            "estimate",
            "lo",
            "hi",
            "items",
            "holds_when",
            "verdict",
            "note",
        ],
        &detail,
    )?;
    let plotted: Vec<plot::IntervalRow> = claims
        .iter()
        .flat_map(|c| {
            c.comparisons.iter().filter_map(move |x| {
                let iv = x.interval?;
                Some(plot::IntervalRow {
                    label: format!("{}: {}, {}", c.id, x.task, x.what),
                    estimate: iv.estimate * 100.0,
                    lo: iv.lo * 100.0,
                    hi: iv.hi * 100.0,
                    holds: x.test.holds_region(),
                    // Blue holds, orange does not, grey neither.
                    color: match x.verdict {
                        Verdict::Holds => 0,
                        Verdict::DoesNotHold => 1,
                        _ => 6,
                    },
                })
            })
        })
        .collect();
    if !plotted.is_empty() {
        d.svg(
            "claims_intervals",
            "every comparison's estimate and 95% interval in points; shaded: where its claim holds",
            plot::interval_chart(
                "The claims: estimates and 95% intervals (shaded: where the claim holds)",
                "points (0.01 of the metric; slopes in points per layer)",
                &plotted,
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn claims_section_stops_at_the_next_heading() {
        let md = "# R\n\n## The paper's claims, measured\n\n| a |\n\n## Sweeps\n\nx\n";
        let s = super::claims_section(md).unwrap();
        assert_eq!(s, "## The paper's claims, measured\n\n| a |\n\n");
        assert!(super::claims_section("# R\n## Other\n").is_none());
    }
}
