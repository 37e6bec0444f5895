//! What a learner types, read: a prediction as a number in the step's unit, the bounds of
//! what may be typed, and why a prediction missed, in words.

use crate::lessons::{Measure, Step, same_side};

/// A typed prediction as a number above 0, or what is wrong with it and what to type.
pub(super) fn prediction(typed: &str, step: &Step) -> Result<f64, String> {
    let (how, units): (_, &[&str]) = if matches!(step.measure(), Some(Measure::Leak(_))) {
        (
            "a number of MB above 0, like 6 or 2.5",
            &["MB", "mb", "MiB"],
        )
    } else {
        (
            "a ratio above 0, like 4 or 2.5 (below 1 means slower)",
            &["x", "X", "×"],
        )
    };
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(format!("type {how}, then Enter"));
    }
    // The unit may be typed after the number, as the lessons write it: 6x, 2.5 MB.
    let number = units
        .iter()
        .find_map(|u| typed.strip_suffix(u))
        .unwrap_or(typed)
        .trim_end();
    match number.parse::<f64>() {
        Ok(v) if v.is_nan() => Err(format!("\"{typed}\" is not a number: type {how}")),
        Ok(v) if v.is_finite() && (1e-6..=1e9).contains(&v) => Ok(v),
        Ok(v) if v <= 0.0 => Err(format!("{typed} is not above 0: type {how}")),
        // Drawn in full, a 1e-300 would be three hundred zeros: no step measures that.
        Ok(v) if v < 1e-6 => Err(format!(
            "{typed} is too small to be a prediction (at least 0.000001): type {how}"
        )),
        Ok(_) => Err(format!(
            "{typed} is too large to be a prediction: type {how}"
        )),
        Err(_) => Err(format!(
            "\"{typed}\" is not a number: type {how} (Ctrl-U clears)"
        )),
    }
}

/// The longest prediction typed (a number), and explanation, accepted.
pub(super) const PREDICTION_MAX: usize = 24;
pub(super) const EXPLANATION_MAX: usize = 2000;

/// Why a prediction missed, in words.
#[must_use]
pub fn miss_reason(predicted: f64, measured: f64, within: f64) -> String {
    if same_side(predicted, measured) {
        crate::lessons::off_by(predicted, measured, within)
    } else if measured >= 1.0 {
        format!("{predicted}x says slower, but it measured {measured:.2}x faster")
    } else {
        format!("{predicted}x says faster, but it measured slower ({measured:.2}x)")
    }
}
