//! The probe section: best dims per layer and readout, top pairs, head ablations.

use fewdims_schema::probe::Method;

use crate::doc::{Doc, file_safe};
use crate::plot::{Bar, bar_chart};
use crate::probes::{ProbeRow, show_dims};
use crate::sections::MAKE_PROBES;
use crate::stats::{csv_num, num};
use crate::{Inputs, ReportError};

fn cell(r: Option<&ProbeRow>) -> [String; 3] {
    match r {
        Some(r) => [show_dims(&r.dims), num(r.test), num(r.dev)],
        None => ["–".into(), "–".into(), "–".into()],
    }
}

/// Probes: per (id, task) best single dim, best pair and the full vector per layer and readout;
/// the top pairs of the last layer as a bar chart.
pub fn write_probes(doc: &mut Doc, inp: &Inputs, top_n: usize) -> Result<(), ReportError> {
    doc.h2("Probes");
    doc.para(
        "Linear probes on cached hidden states (fit on train, chosen on dev, scored on test): the full \
         vector, the best single dim and the best pair of dims of each layer and readout, main metric. \
         `pretrained` is the model before fine-tuning; `<task>-<run>` the encoder of that fine-tune.",
    );
    if inp.probes.is_empty() {
        doc.missing(
            "Probes",
            &format!("no probe tables under `{}`", inp.probes_root.display()),
            MAKE_PROBES,
        );
        return Ok(());
    }
    let headers = [
        "id", "task", "layer", "readout", "metric", "method", "k", "dims", "test", "dev",
    ];
    let mut csv = Vec::new();
    let mut top_csv = Vec::new();
    for p in &inp.probes {
        doc.h3(&format!(
            "{} on {} ({}; headline {})",
            p.id,
            p.task,
            p.main_metric(),
            p.headline_split()
        ));
        let mut rows = Vec::new();
        for readout in p.readouts() {
            for layer in p.layers(&readout) {
                let full = p.best(layer, &readout, Method::Full);
                let single = p.best(layer, &readout, Method::Single);
                let pair = p.best(layer, &readout, Method::Pair);
                let mut row = vec![layer.to_string(), readout.clone()];
                let [_, ft, fd] = cell(full);
                row.extend([ft, fd]);
                row.extend(cell(single));
                row.extend(cell(pair));
                rows.push(row);
                for (m, r) in [
                    (Method::Full, full),
                    (Method::Single, single),
                    (Method::Pair, pair),
                ] {
                    if let Some(r) = r {
                        csv.push(vec![
                            p.id.clone(),
                            p.task.clone(),
                            layer.to_string(),
                            readout.clone(),
                            r.metric.clone(),
                            m.as_str().into(),
                            r.k.to_string(),
                            show_dims(&r.dims),
                            csv_num(Some(r.test)),
                            csv_num(Some(r.dev)),
                        ]);
                    }
                }
            }
        }
        doc.table(
            &[
                "layer",
                "readout",
                "full test",
                "full dev",
                "best dim",
                "test",
                "dev",
                "best pair",
                "test",
                "dev",
            ],
            &rows,
        );
        let (Some(layer), Some(readout)) = (p.last_layer(), p.focus_readout()) else {
            continue;
        };
        let top: Vec<&ProbeRow> = p
            .ranked(layer, &readout, Method::Pair)
            .into_iter()
            .take(top_n)
            .collect();
        if top.is_empty() {
            continue;
        }
        for (i, r) in top.iter().enumerate() {
            top_csv.push(vec![
                p.id.clone(),
                p.task.clone(),
                layer.to_string(),
                readout.clone(),
                r.metric.clone(),
                (i + 1).to_string(),
                show_dims(&r.dims),
                csv_num(Some(r.test)),
                csv_num(Some(r.dev)),
            ]);
        }
        let bars: Vec<Bar> = top
            .iter()
            .map(|r| Bar {
                label: show_dims(&r.dims).replace(", ", ","),
                value: p.value(r),
                sd: f64::NAN,
            })
            .collect();
        let title = format!(
            "{} on {}: top {} dim pairs (layer {layer}, {readout}; by dev; {} {}; axis not from 0)",
            p.id,
            p.task,
            top.len(),
            p.main_metric(),
            p.headline_split()
        );
        let svg = bar_chart(
            &title,
            "dims of the pair",
            &format!("{} ({})", p.main_metric(), p.headline_split()),
            &bars,
            false,
        );
        doc.svg(
            &format!("top_pairs_{}_{}", file_safe(&p.id), file_safe(&p.task)),
            &title,
            svg,
        )?;
    }
    doc.csv("probes", &headers, &csv)?;
    let top_headers = [
        "id", "task", "layer", "readout", "metric", "rank", "dims", "test", "dev",
    ];
    doc.csv("top_pairs", &top_headers, &top_csv)
}

/// Head ablations (`<id>/<task>-ablate.parquet`): a fine-tuned head scored with subsets of its
/// dims zeroed, no refit. Shown only where such tables exist.
pub fn write_ablations(doc: &mut Doc, inp: &Inputs) -> Result<(), ReportError> {
    if inp.ablations.is_empty() {
        return Ok(());
    }
    doc.h2("Head ablation");
    doc.para(
        "A fine-tuned run's own head, scored with only the listed dims of its selection kept (the \
         others zeroed, no refit), main metric; the empty set is the head's bias alone.",
    );
    let mut csv = Vec::new();
    for p in &inp.ablations {
        let m = p.main_metric();
        doc.h3(&format!("{} on {} ({m})", p.id, p.task));
        let mut rows: Vec<&ProbeRow> = p.rows.iter().filter(|r| r.metric == m).collect();
        rows.sort_by(|a, b| b.k.cmp(&a.k).then(b.dev.total_cmp(&a.dev)));
        let md: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let dims = if r.dims.is_empty() {
                    "none (bias)".into()
                } else {
                    show_dims(&r.dims)
                };
                vec![r.k.to_string(), dims, num(r.test), num(r.dev)]
            })
            .collect();
        doc.table(&["k", "dims kept", "test", "dev"], &md);
        for r in &p.rows {
            csv.push(vec![
                p.id.clone(),
                p.task.clone(),
                r.layer.to_string(),
                r.readout.clone(),
                r.metric.clone(),
                r.k.to_string(),
                r.dims
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                csv_num(Some(r.test)),
                csv_num(Some(r.dev)),
            ]);
        }
    }
    let headers = [
        "id", "task", "layer", "readout", "metric", "k", "dims", "test", "dev",
    ];
    doc.csv("ablation", &headers, &csv)
}
