//! The report being written: markdown text plus the CSV and SVG files beside it, all in a
//! staging dir that [`Doc::publish`] moves onto the report dir in one rename.

use std::path::{Path, PathBuf};

use crate::ReportError;

/// A section that had nothing to show, and what would produce it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub section: String,
    pub what: String,
    /// The make command that produces the input.
    pub make: String,
}

/// Markdown plus files, staged in a temp dir.
#[derive(Debug)]
pub struct Doc {
    pub md: String,
    pub stage: PathBuf,
    /// File names written beside REPORT.md, in order.
    pub files: Vec<String>,
    pub missing: Vec<Missing>,
}

/// `[A-Za-z0-9._-]` kept, anything else becomes `_`.
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A markdown table; `|` in cells is escaped.
pub fn md_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n",
        headers
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    out += &format!("|{}\n", "---|".repeat(headers.len()));
    for r in rows {
        out += &format!(
            "| {} |\n",
            r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    out
}

impl Doc {
    /// Stages the report for `out` in `<parent>/.<name>.tmp.<pid>`.
    pub fn new(out: &Path) -> Result<Self, ReportError> {
        let stage = sibling(out, "tmp");
        if stage.exists() {
            std::fs::remove_dir_all(&stage).map_err(|e| ReportError::io(&stage, e))?;
        }
        std::fs::create_dir_all(&stage).map_err(|e| ReportError::io(&stage, e))?;
        Ok(Doc {
            md: String::new(),
            stage,
            files: Vec::new(),
            missing: Vec::new(),
        })
    }

    pub fn h2(&mut self, title: &str) {
        self.md += &format!("\n## {title}\n\n");
    }

    pub fn h3(&mut self, title: &str) {
        self.md += &format!("\n### {title}\n\n");
    }

    pub fn para(&mut self, text: &str) {
        self.md += text.trim_end();
        self.md += "\n\n";
    }

    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) {
        self.md += &md_table(headers, rows);
        self.md += "\n";
    }

    /// Notes a missing input in the text and in the summary.
    pub fn missing(&mut self, section: &str, what: &str, make: &str) {
        self.para(&format!(
            "*Not available:* {what}. Produce it with `{make}`."
        ));
        self.missing.push(Missing {
            section: section.into(),
            what: what.into(),
            make: make.into(),
        });
    }

    fn add_file(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.stage.join(name);
        fewdims_schema::write_atomic(&path, bytes).map_err(|e| ReportError::io(&path, e))?;
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.into());
        }
        Ok(())
    }

    /// Writes `<name>.csv` and links it from the text.
    pub fn csv(
        &mut self,
        name: &str,
        headers: &[&str],
        rows: &[Vec<String>],
    ) -> Result<(), ReportError> {
        let file = format!("{}.csv", file_safe(name));
        let path = self.stage.join(&file);
        let csv_err = |err| ReportError::Csv {
            path: path.clone(),
            err,
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(headers).map_err(csv_err)?;
        for r in rows {
            w.write_record(r).map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| csv_err(e.into_error().into()))?;
        self.add_file(&file, &bytes)?;
        self.para(&format!("Table as CSV: [`{file}`]({file})."));
        Ok(())
    }

    /// Writes `<name>.svg` from a drawing result and embeds it in the text.
    pub fn svg(
        &mut self,
        name: &str,
        alt: &str,
        drawn: Result<String, String>,
    ) -> Result<(), ReportError> {
        let file = format!("{}.svg", file_safe(name));
        let svg = drawn.map_err(|msg| ReportError::Plot {
            path: self.stage.join(&file),
            msg,
        })?;
        self.add_file(&file, svg.as_bytes())?;
        self.para(&format!("![{alt}]({file})"));
        Ok(())
    }

    /// Writes REPORT.md and moves the staged dir onto `out` (the old report is removed).
    pub fn publish(mut self, out: &Path, md_file: &str) -> Result<Vec<String>, ReportError> {
        let md = std::mem::take(&mut self.md);
        self.add_file(md_file, md.as_bytes())?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
        }
        let old = sibling(out, "old");
        if out.exists() {
            std::fs::rename(out, &old).map_err(|e| ReportError::io(out, e))?;
        }
        std::fs::rename(&self.stage, out).map_err(|e| ReportError::io(out, e))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| ReportError::io(&old, e))?;
        }
        Ok(std::mem::take(&mut self.files))
    }
}

impl Drop for Doc {
    fn drop(&mut self) {
        // A report that failed half-way leaves no staging dir behind.
        if self.stage.exists() {
            let _ = std::fs::remove_dir_all(&self.stage);
        }
    }
}

/// `<parent>/.<name>.<what>.<pid>`.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    out.with_file_name(format!(".{name}.{what}.{}", std::process::id()))
}
