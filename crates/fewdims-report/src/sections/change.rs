//! The representation-change section: CKA per layer and readout.

use crate::doc::{Doc, file_safe};
use crate::plot::{Series, XAxis, line_chart};
use crate::sections::MAKE_CKA;
use crate::stats::{csv_num, num};
use crate::{Inputs, ReportError};

/// CKA between two hidden-state ids per layer, one line per readout.
pub fn write_cka(doc: &mut Doc, inp: &Inputs) -> Result<(), ReportError> {
    doc.h2("Representation change (CKA)");
    doc.para(
        "Linear CKA between the hidden states of two ids on the same items, per layer and readout \
         (1 = the same representation up to rotation and scale; low = the layer moved). \
         Mean cosine between each item's two vectors in parentheses.",
    );
    if inp.cka.is_empty() {
        doc.missing(
            "CKA",
            &format!(
                "no CKA tables under `{}`",
                inp.probes_root.join("cka").display()
            ),
            MAKE_CKA,
        );
        return Ok(());
    }
    let mut csv = Vec::new();
    for t in &inp.cka {
        doc.h3(&format!(
            "{} on {} ({})",
            t.pair.replace("_vs_", " vs "),
            t.task,
            t.split
        ));
        let readouts = t.readouts();
        let mut layers: Vec<i32> = t.rows.iter().map(|r| r.layer).collect();
        layers.sort_unstable();
        layers.dedup();
        let rows: Vec<Vec<String>> = layers
            .iter()
            .map(|&l| {
                let mut row = vec![l.to_string()];
                for ro in &readouts {
                    row.push(
                        match t.rows.iter().find(|r| r.layer == l && &r.readout == ro) {
                            Some(r) => format!("{} ({})", num(r.cka), num(r.mean_cosine)),
                            None => "–".into(),
                        },
                    );
                }
                row
            })
            .collect();
        let mut headers = vec!["layer"];
        headers.extend(readouts.iter().map(String::as_str));
        doc.table(&headers, &rows);
        for r in &t.rows {
            csv.push(vec![
                t.pair.clone(),
                t.task.clone(),
                t.split.clone(),
                r.layer.to_string(),
                r.readout.clone(),
                csv_num(Some(r.cka)),
                csv_num(Some(r.mean_cosine)),
                r.n.to_string(),
            ]);
        }
        let series: Vec<Series> = readouts
            .iter()
            .map(|ro| Series {
                label: ro.clone(),
                points: t
                    .rows
                    .iter()
                    .filter(|r| &r.readout == ro)
                    .map(|r| (r.layer as f64, r.cka, f64::NAN))
                    .collect(),
                line: true,
                bold: ro == "cls",
            })
            .collect();
        let title = format!(
            "CKA {} on {} ({}) per layer",
            t.pair.replace("_vs_", " vs "),
            t.task,
            t.split
        );
        let svg = line_chart(
            &title,
            "hidden layer (0 = embeddings)",
            "linear CKA",
            XAxis::Linear,
            &series,
        );
        doc.svg(
            &format!(
                "cka_{}_{}_{}",
                file_safe(&t.pair),
                file_safe(&t.task),
                file_safe(&t.split)
            ),
            &title,
            svg,
        )?;
    }
    doc.csv(
        "cka",
        &[
            "pair",
            "task",
            "split",
            "layer",
            "readout",
            "cka",
            "mean_cosine",
            "n",
        ],
        &csv,
    )
}
