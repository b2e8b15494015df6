//! The fine-tune sections: token-wise, dims-wise, layer-wise and freezing tables and plots.

use super::sweep_tables::{CSV_HEADERS, MISMATCHED, csv_rows, has_mismatched, md_rows};
use crate::doc::{Doc, file_safe};
use crate::plot::{Bar, Series, XAxis, bar_chart, line_chart};
use crate::probes::ProbeTable;
use crate::run_groups::{RunGroup, Sweep, TaskRuns};
use crate::{Inputs, ReportError};
use fewdims_schema::probe::Method;

/// Section meta: title, file stem, what it varies, its make target.
struct SweepInfo {
    sweep: Sweep,
    title: &'static str,
    stem: &'static str,
    what: &'static str,
    make: &'static str,
}

const SWEEPS: [SweepInfo; 4] = [
    SweepInfo {
        sweep: Sweep::Token,
        title: "Token-wise",
        stem: "token_wise",
        what: "which token vector of the last layer feeds the head (all dims)",
        make: "make sweep-token",
    },
    SweepInfo {
        sweep: Sweep::Dims,
        title: "Dimension-wise",
        stem: "dims_wise",
        what: "how many dims of the last-layer CLS vector reach the head",
        make: "make sweep-dims",
    },
    SweepInfo {
        sweep: Sweep::Layer,
        title: "Layer-wise",
        stem: "layer_wise",
        what: "which hidden layer's CLS vector (a few dims) feeds the head",
        make: "make sweep-layer",
    },
    SweepInfo {
        sweep: Sweep::Freeze,
        title: "Freezing",
        stem: "freezing",
        what: "a frozen encoder (+ MLP head) against the full fine-tune",
        make: "make sweep-freeze",
    },
];

/// Writes the four sweep sections.
pub fn write(doc: &mut Doc, inp: &Inputs) -> Result<(), ReportError> {
    for info in &SWEEPS {
        doc.h2(info.title);
        doc.para(&format!("Fine-tunes that vary {}. Mean ± sd over seeds (`seeds` = n); headline: the main metric on test.", info.what));
        let mut csv = Vec::new();
        if inp.groups.is_empty() {
            let what = format!("no fine-tune runs under `{}`", inp.runs_root.display());
            doc.missing(info.title, &what, &format!("{} TASK=<task>", info.make));
        }
        for task in &inp.tasks {
            let tr = TaskRuns::new(task, &inp.groups);
            let mut groups = tr.sweep(info.sweep);
            let has_probes = inp.probes.iter().any(|p| &p.task == task);
            let shows_probes = matches!(info.sweep, Sweep::Dims | Sweep::Layer) && has_probes;
            if groups.is_empty() && !shows_probes && inp.groups.is_empty() {
                continue;
            }
            doc.h3(task);
            let variants = groups.iter().any(|g| match info.sweep {
                Sweep::Token => g.cfg().token != "cls",
                Sweep::Dims => g.cfg().dims != "all",
                _ => true,
            });
            if !variants && !inp.groups.is_empty() {
                let what = format!("no {} runs for task `{task}`", info.title.to_lowercase());
                doc.missing(info.title, &what, &format!("{} TASK={task}", info.make));
            }
            if groups.is_empty() {
                if !shows_probes {
                    continue;
                }
            } else if info.sweep == Sweep::Freeze
                && let Some(r) = tr.freeze_reference()
            {
                groups.insert(0, r);
            }
            match info.sweep {
                Sweep::Dims => groups.sort_by_key(|g| (g.k(), g.base.clone())),
                Sweep::Layer => groups.sort_by_key(|g| (g.cfg().layer_index, g.base.clone())),
                _ => {}
            }
            if !groups.is_empty() {
                if has_mismatched(&groups) {
                    doc.para(&format!(
                        "`{MISMATCHED}`: MNLI's mismatched dev, scored by every fine-tune \
                         (`--also-test`). `test` is the matched dev: the headline, and the split \
                         the claims are judged on."
                    ));
                }
                let (h, rows) = md_rows(&groups);
                doc.table(&h.iter().map(String::as_str).collect::<Vec<_>>(), &rows);
            }
            csv.extend(groups.iter().flat_map(|g| csv_rows(g)));
            match info.sweep {
                Sweep::Token | Sweep::Freeze => bars(doc, info, task, &groups)?,
                Sweep::Dims => dims_plot(doc, task, &groups, inp)?,
                Sweep::Layer => layer_plots(doc, task, &groups, inp)?,
            }
            super::loss_curves::write(doc, info.stem, info.title, task, &groups)?;
        }
        if !csv.is_empty() {
            doc.csv(info.stem, &CSV_HEADERS, &csv)?;
        }
    }
    Ok(())
}

fn bars(
    doc: &mut Doc,
    info: &SweepInfo,
    task: &str,
    groups: &[&RunGroup],
) -> Result<(), ReportError> {
    let Some(first) = groups.first() else {
        return Ok(());
    };
    let metric = first.main_metric().to_string();
    let split = first.headline().map(|h| h.0).unwrap_or("test");
    let bars: Vec<Bar> = groups
        .iter()
        .filter_map(|g| {
            let s = g.stat(split, &metric)?;
            let label = match info.sweep {
                Sweep::Token => g.cfg().token.clone(),
                _ => format!("{} ({} head)", g.base, g.cfg().head),
            };
            Some(Bar {
                label,
                value: s.mean,
                sd: s.sd.unwrap_or(f64::NAN),
            })
        })
        .collect();
    let title = format!("{task}: {} ({metric}, {split})", info.title.to_lowercase());
    let x = if info.sweep == Sweep::Token {
        "token read by the head"
    } else {
        "run"
    };
    let name = format!("{}_{}", info.stem, file_safe(task));
    doc.svg(
        &name,
        &title,
        bar_chart(&title, x, &format!("{metric} ({split})"), &bars, true),
    )
}

/// The probe tables of a task, pretrained first.
fn task_probes<'a>(inp: &'a Inputs, task: &str) -> Vec<&'a ProbeTable> {
    let mut v: Vec<&ProbeTable> = inp.probes.iter().filter(|p| p.task == task).collect();
    v.sort_by_key(|p| (p.id != "pretrained", p.id.clone()));
    v
}

fn dims_plot(
    doc: &mut Doc,
    task: &str,
    groups: &[&RunGroup],
    inp: &Inputs,
) -> Result<(), ReportError> {
    let mut series = Vec::new();
    let metric = groups.first().map(|g| g.main_metric().to_string());
    if !groups.is_empty() {
        let points = groups
            .iter()
            .filter_map(|g| {
                g.headline()
                    .map(|(_, s)| (g.k() as f64, s.mean, s.sd.unwrap_or(f64::NAN)))
            })
            .collect();
        series.push(Series {
            label: "fine-tuned (CLS, last layer)".into(),
            points,
            line: true,
            bold: true,
        });
    }
    let probes = task_probes(inp, task);
    for p in &probes {
        let (Some(layer), Some(readout)) = (p.last_layer(), p.focus_readout()) else {
            continue;
        };
        let points = p
            .best_k_curve(layer, &readout)
            .iter()
            .map(|r| (r.k as f64, p.value(r), f64::NAN))
            .collect();
        series.push(Series {
            label: format!("probe {} ({readout}, layer {layer}, best per k)", p.id),
            points,
            line: true,
            bold: false,
        });
    }
    if series.is_empty() {
        return Ok(());
    }
    let metric = metric
        .or_else(|| probes.first().map(|p| p.main_metric().to_string()))
        .unwrap_or_default();
    let title = format!("{task}: {metric} vs number of dims");
    let svg = line_chart(
        &title,
        "dims reaching the head / probe (log scale)",
        &format!("{metric} (test)"),
        XAxis::Log,
        &series,
    );
    doc.svg(&format!("dims_{}", file_safe(task)), &title, svg)
}

fn layer_plots(
    doc: &mut Doc,
    task: &str,
    groups: &[&RunGroup],
    inp: &Inputs,
) -> Result<(), ReportError> {
    let runs_series = (!groups.is_empty()).then(|| Series {
        label: format!("fine-tuned, {} dims of CLS", groups[0].k()),
        points: groups
            .iter()
            .filter_map(|g| {
                g.headline()
                    .map(|(_, s)| (g.cfg().layer_index as f64, s.mean, s.sd.unwrap_or(f64::NAN)))
            })
            .collect(),
        line: true,
        bold: true,
    });
    let probes = task_probes(inp, task);
    if probes.is_empty() {
        if let Some(s) = runs_series {
            let m = groups[0].main_metric();
            let title = format!("{task}: {m} vs layer");
            let svg = line_chart(
                &title,
                "hidden layer (0 = embeddings)",
                &format!("{m} (test)"),
                XAxis::Linear,
                &[s],
            );
            doc.svg(&format!("layers_{}", file_safe(task)), &title, svg)?;
        }
        return Ok(());
    }
    for p in probes {
        let mut series: Vec<Series> = runs_series.iter().cloned().collect();
        for readout in p.readouts() {
            let points = p
                .layers(&readout)
                .into_iter()
                .filter_map(|l| {
                    p.best(l, &readout, Method::Full)
                        .map(|r| (l as f64, p.value(r), f64::NAN))
                })
                .collect();
            series.push(Series {
                label: format!("probe {}: {readout}, full vector", p.id),
                points,
                line: true,
                bold: false,
            });
        }
        let m = p.main_metric();
        let title = format!("{task}: {m} vs layer (probe {})", p.id);
        let y = format!("{m} ({})", p.headline_split());
        let svg = line_chart(
            &title,
            "hidden layer (0 = embeddings)",
            &y,
            XAxis::Linear,
            &series,
        );
        doc.svg(
            &format!("layers_{}_{}", file_safe(task), file_safe(&p.id)),
            &title,
            svg,
        )?;
    }
    Ok(())
}
