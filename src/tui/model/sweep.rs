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

/// The sizes the scaling screen sweeps at the default n; a sweep covers those up to twice the
/// ladder's n (at least three of them, for a slope) and that n itself.
pub const SCALE_SIZES: [usize; 5] = [1000, 2000, 5000, 10_000, 20_000];

/// The sizes swept for a ladder of `n` rows, smallest first: the standard sizes up to 2n
/// (never fewer than three, for a slope) and n itself, so the ladder's own size is a point of
/// the sweep and a small ladder is not swept to 20,000. An n below 500 (fixed costs, not
/// growth, at that size) or above 50,000 (an index built for minutes) is not added.
#[must_use]
pub fn scale_sizes(n: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = SCALE_SIZES
        .iter()
        .enumerate()
        .filter(|&(i, &s)| i < 3 || s <= n.saturating_mul(2))
        .map(|(_, &s)| s)
        .collect();
    if (500..=50_000).contains(&n) && !sizes.contains(&n) {
        sizes.push(n);
    }
    sizes.sort_unstable();
    sizes
}

/// The scaling sweep, as the scaling screen shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScaleView {
    pub sweep: Sweep,
    pub running: bool,
    /// What the sweep is doing now, or how it ended.
    pub status: String,
    /// The data it ran on, for the title.
    pub data: String,
    /// The sizes it sweeps, smallest first.
    pub sizes: Vec<usize>,
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
        // The ✗ first: a failed check is what must be read, at 80 columns too.
        if self.sweep.points.iter().any(|p| !p.verified) {
            self.status.push_str(
                " · ✗ failed its check (an index on unclustered data misses its recall \
                 floor: try data = clustered)",
            );
        }
        if let Some(note) = crate::report::scale::exponent_note_brief(&self.sweep, &SCALE_RUNGS) {
            self.status.push_str(" · ");
            self.status.push_str(&note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scale_sizes;

    #[test]
    fn the_sweep_stops_near_twice_the_ladder_s_n_and_passes_through_it() {
        // The standard sizes up to 2n, three at least, and n.
        assert_eq!(scale_sizes(10_000), [1000, 2000, 5000, 10_000, 20_000]);
        assert_eq!(scale_sizes(2000), [1000, 2000, 5000]);
        assert_eq!(scale_sizes(3000), [1000, 2000, 3000, 5000]);
        assert_eq!(scale_sizes(500), [500, 1000, 2000, 5000]);
        let big = [1000, 2000, 5000, 10_000, 20_000, 50_000];
        assert_eq!(scale_sizes(50_000), big);
        // Too small to show growth, or too large to sweep in minutes: not added.
        assert_eq!(scale_sizes(10), [1000, 2000, 5000]);
        assert_eq!(scale_sizes(1_000_000), big[..5]);
    }
}
