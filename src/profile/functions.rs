//! Which functions hold the time: the top functions by self and total samples, and the
//! change in each one's share between two profiles (the terminal's tables).

use std::collections::HashMap;

use super::{FunctionCost, Profile};

/// The function a frame is in: py-spy names a frame by its line (`dot (01_naive.py:18)`), so a
/// function's lines are one function's time only without it (`dot (01_naive.py)`).
fn function_of(frame: &str) -> std::borrow::Cow<'_, str> {
    match frame.rfind(".py:") {
        Some(at) if frame.ends_with(')') => format!("{})", &frame[..at + 3]).into(),
        _ => frame.into(),
    }
}

impl Profile {
    /// The functions with the most samples, by self then total time.
    #[must_use]
    pub fn top_functions(&self, limit: usize) -> Vec<FunctionCost> {
        let mut costs: HashMap<std::borrow::Cow<'_, str>, (u64, u64)> = HashMap::new();
        for (frames, count) in &self.stacks {
            // Our profiles' stacks start at a thread's (or a program's) bare name, which is no
            // function; py-spy's start at a frame, `name (file:line)` (a lab step's at the
            // student's function), which is one.
            let root = usize::from(frames.first().is_some_and(|f| !f.contains(" (")));
            // Count each function once per stack for "total".
            let mut seen: Vec<std::borrow::Cow<'_, str>> = Vec::new();
            for f in frames.iter().skip(root).map(|f| function_of(f)) {
                if !seen.contains(&f) {
                    costs.entry(f.clone()).or_default().1 += count;
                    seen.push(f);
                }
            }
            if let Some(leaf) = frames.last().filter(|_| frames.len() > root) {
                costs.entry(function_of(leaf)).or_default().0 += count;
            }
        }
        let mut v: Vec<FunctionCost> = costs
            .into_iter()
            .map(|(name, (s, t))| FunctionCost {
                name: name.to_string(),
                self_samples: s,
                total_samples: t,
            })
            .collect();
        v.sort_by(|a, b| {
            b.self_samples
                .cmp(&a.self_samples)
                .then(b.total_samples.cmp(&a.total_samples))
                .then(a.name.cmp(&b.name))
        });
        v.truncate(limit);
        v
    }

    /// Each function's share of self time before and after, largest change first (shares, so
    /// profiles of different lengths compare).
    #[must_use]
    pub fn diff_functions(
        before: &Profile,
        after: &Profile,
        limit: usize,
    ) -> Vec<(String, f64, f64)> {
        let shares = |p: &Profile| -> HashMap<String, f64> {
            let total = p.total_samples().max(1) as f64;
            let mut out: HashMap<String, f64> = HashMap::new();
            for f in p.top_functions(usize::MAX) {
                if f.self_samples == 0 {
                    continue;
                }
                // Two lab steps are two files: a Python function is matched by its name.
                let name = match f.name.find(" (") {
                    Some(at) if f.name.ends_with(".py)") => f.name[..at].to_string(),
                    _ => f.name,
                };
                *out.entry(name).or_default() += f.self_samples as f64 / total;
            }
            out
        };
        let (b, a) = (shares(before), shares(after));
        let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
        names.sort();
        names.dedup();
        let mut rows: Vec<(String, f64, f64)> = names
            .into_iter()
            .map(|n| {
                (
                    n.clone(),
                    b.get(n).copied().unwrap_or(0.0),
                    a.get(n).copied().unwrap_or(0.0),
                )
            })
            .collect();
        rows.sort_by(|x, y| {
            (y.2 - y.1)
                .abs()
                .total_cmp(&(x.2 - x.1).abs())
                .then(x.0.cmp(&y.0))
        });
        rows.truncate(limit);
        rows
    }
}

impl Profile {
    /// The functions that held at least `min_share` of `before`'s self time and none of
    /// `after`'s, largest first: what a differential flamegraph (drawn in `after`'s shape)
    /// cannot show, because it is gone.
    #[must_use]
    pub fn vanished(before: &Profile, after: &Profile, min_share: f64) -> Vec<(String, f64)> {
        let mut gone: Vec<(String, f64)> = Self::diff_functions(before, after, usize::MAX)
            .into_iter()
            .filter(|(_, b, a)| *a == 0.0 && *b >= min_share)
            .map(|(name, b, _)| (name, b))
            .collect();
        gone.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::profile;
    use super::*;

    #[test]
    fn a_lab_step_s_own_function_counts_though_its_stack_starts_there() {
        // A focused step: the student's function is the first frame, and holds the time.
        let step = Profile::from_folded(
            "similarity (02_algorithmic.py:19) 70\n\
             similarity (02_algorithmic.py:12);<listcomp> (02_algorithmic.py:12) 1\n",
            250,
        )
        .unwrap();
        let top = step.top_functions(1);
        assert_eq!(top[0].name, "similarity (02_algorithmic.py)");
        assert_eq!(top[0].self_samples, 70);
        let naive = Profile::from_folded(
            "similarity (01_naive.py:31);norm (01_naive.py:23) 60\n\
             similarity (01_naive.py:32);dot (01_naive.py:18) 40\n",
            250,
        )
        .unwrap();
        let diff = Profile::diff_functions(&naive, &step, 3);
        assert_eq!(diff[0].0, "similarity", "{diff:?}");
        // A function's lines are one function: norm's 60% is norm's, and similarity holds
        // all 100% of the naive step in total.
        let top = naive.top_functions(3);
        assert_eq!(
            (top[0].name.as_str(), top[0].self_samples),
            ("norm (01_naive.py)", 60)
        );
        assert_eq!(
            naive
                .top_functions(9)
                .iter()
                .find(|f| f.name.starts_with("similarity"))
                .unwrap()
                .total_samples,
            100
        );
        // Our own profiles still leave the thread's name out.
        assert!(
            profile()
                .top_functions(10)
                .iter()
                .all(|f| f.name != "ladder-runner")
        );
    }
}
