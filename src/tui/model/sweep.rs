//! The scaling sweep's state: the points measured so far and whether it is running. Shared
//! state rather than the scaling screen's own, because a running sweep is a run like a rung's:
//! it keeps the ladder from starting another, whichever screen is in front.

use crate::run::scale::{Sweep, SweepEvent};

/// Kernel seconds per rung and size in the sweep (at most; the settings' budget if lower):
/// slow points are extrapolated, as everywhere.
pub const SCALE_BUDGET_S: f64 = 2.0;

/// The rungs the scaling screen sweeps: a library product, our threaded kernel, exact top-k
/// (all O(n²)) and the index, whose queries grow slower.
pub const SCALE_RUNGS: [&str; 4] = ["vectorized", "threads", "topk", "ann"];

/// The sizes the scaling screen sweeps.
pub const SCALE_SIZES: [usize; 5] = [1000, 2000, 5000, 10_000, 20_000];

/// The scaling sweep, as the scaling screen shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScaleView {
    pub sweep: Sweep,
    pub running: bool,
    /// What the sweep is doing now, or how it ended.
    pub status: String,
    /// The data it ran on, for the title.
    pub data: String,
}

impl ScaleView {
    /// Progress of the sweep.
    pub fn on_event(&mut self, ev: SweepEvent) {
        match ev {
            SweepEvent::Preparing { n } => {
                self.status = format!("n = {n}: generating the vectors");
            }
            SweepEvent::Running { n, rung } => self.status = format!("n = {n}: {rung}"),
            SweepEvent::Point(p) => self.sweep.points.push(p),
            SweepEvent::Skipped(s) => self.sweep.skipped.push(s),
        }
    }

    /// The sweep ended: cancelled, or failed with the reason.
    pub fn on_finished(&mut self, cancelled: bool, error: Option<String>) {
        self.running = false;
        self.sweep.cancelled = cancelled;
        self.status = match (error, cancelled) {
            (Some(e), _) => format!("the sweep failed: {e}"),
            (None, true) => "cancelled (Enter starts again)".into(),
            (None, false) => format!(
                "done: {} points, {} skipped (Enter runs it again)",
                self.sweep.points.len(),
                self.sweep.skipped.len()
            ),
        };
        if let Some(note) = crate::report::scale::flat_note(&self.sweep, &SCALE_RUNGS) {
            self.status.push_str(" · ");
            self.status.push_str(&note);
        }
        if self.sweep.points.iter().any(|p| !p.verified) {
            self.status.push_str(
                " · ✗ failed its check (an index on unclustered data misses its recall \
                 floor: try data = clustered)",
            );
        }
    }
}
