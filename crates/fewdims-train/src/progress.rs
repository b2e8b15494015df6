//! A progress bar with loss, examples/s and ETA (or plain log lines with `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Training progress over all steps of all epochs.
pub struct Progress {
    bar: ProgressBar,
}

/// A bar of `total` units drawn with `template`; hidden when `quiet`.
pub(crate) fn styled_bar(total: u64, quiet: bool, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar
}

impl Progress {
    /// A bar of `total` steps; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(total: u64, quiet: bool) -> Self {
        let bar = styled_bar(
            total,
            quiet,
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} steps {msg} ETA {eta}",
        );
        Self { bar }
    }

    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// One step done.
    pub fn step(&self, loss: f64, examples_per_second: f64, epoch: usize, epochs: usize) {
        self.bar.set_prefix(format!("epoch {epoch}/{epochs}"));
        self.bar
            .set_message(format!("loss {loss:.4} {examples_per_second:.1} ex/s"));
        self.bar.inc(1);
    }

    /// A line above the bar.
    pub fn println(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
