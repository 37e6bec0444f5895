//! Which profiler cost least and which most on this machine, within the noise: the lesson's
//! predictions are judged by it. Cost is the overhead on the workload's timed section, the
//! same figure the course's claims are judged on.

use super::{Comparison, Row, Status};

/// The ends of the ranking a prediction may ask about.
pub const ENDS: [&str; 2] = ["least", "most"];

/// A median within this factor of the extreme's is at that end too, within the noise.
pub const TIE: f64 = 1.10;

/// How to install every profiler the course uses but the standard library's.
pub const INSTALL_ALL: &str = "pip install py-spy pyinstrument memray scalene";

/// How one profiler ranked.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// At the end asked about (alone, or within the noise of the one that was).
    AtEnd { overhead_pct: f64 },
    /// Not at that end: its overhead, and the profiler that was there with its overhead.
    Not {
        overhead_pct: f64,
        extreme: String,
        extreme_pct: f64,
    },
    /// This profiler was not measured here: why (not installed, or how it failed).
    NotMeasured(String),
    /// Fewer than two profilers were measured: there is no ranking to judge against.
    NoRanking(String),
}

impl Comparison {
    /// The profilers measured here (not the plain run), in the course's order.
    #[must_use]
    pub fn measured(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .skip(1)
            .filter(|r| r.status == Status::Measured && r.kernel_s.is_some())
            .collect()
    }

    /// Why the profilers cannot be ranked here, when fewer than two were measured.
    #[must_use]
    pub fn no_ranking(&self) -> Option<String> {
        let m = self.measured();
        (m.len() < 2).then(|| {
            let ran = match m.first() {
                Some(r) => format!("only {} was measured here", r.id),
                None => "no profiler was measured here".to_string(),
            };
            format!(
                "not measurable here: {ran}, and a ranking needs two. To measure them: \
                 {INSTALL_ALL} (cProfile comes with Python)"
            )
        })
    }

    /// The profiler at `end` (`least` or `most`) of the measured ones, by median.
    #[must_use]
    pub fn extreme(&self, end: &str) -> Option<&Row> {
        let m = self.measured();
        let key = |r: &&Row| r.kernel_s.unwrap_or(f64::NAN);
        if end == "most" {
            m.into_iter().max_by(|a, b| key(a).total_cmp(&key(b)))
        } else {
            m.into_iter().min_by(|a, b| key(a).total_cmp(&key(b)))
        }
    }

    /// How profiler `id` ranked at `end`. Its median within [`TIE`] of the extreme's counts,
    /// as does a round of it beyond the extreme's median: rounds that overlap so much cannot
    /// say which cost less.
    #[must_use]
    pub fn verdict(&self, id: &str, end: &str) -> Verdict {
        if let Some(why) = self.no_ranking() {
            return Verdict::NoRanking(why);
        }
        let Some(row) = self.rows.iter().find(|r| r.id == id) else {
            return Verdict::NotMeasured(format!("{id} is not one of the profilers measured"));
        };
        let (Some(t), Some(pct)) = (row.kernel_s, row.kernel_overhead_pct) else {
            return Verdict::NotMeasured(format!(
                "{id} was not measured here: {}",
                row.note.as_deref().unwrap_or("no timing")
            ));
        };
        let Some(x) = self.extreme(end) else {
            return Verdict::NotMeasured("nothing was measured".into());
        };
        let (Some(xt), Some(xpct)) = (x.kernel_s, x.kernel_overhead_pct) else {
            return Verdict::NotMeasured("nothing was measured".into());
        };
        let [lo, hi] = row.kernel_range_s.unwrap_or([t, t]);
        let at_end = if end == "most" {
            t * TIE >= xt || hi >= xt
        } else {
            t <= xt * TIE || lo <= xt
        };
        if at_end {
            Verdict::AtEnd { overhead_pct: pct }
        } else {
            Verdict::Not {
                overhead_pct: pct,
                extreme: x.id.clone(),
                extreme_pct: xpct,
            }
        }
    }
}
