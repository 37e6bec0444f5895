//! The bounds of every setting a user types, in one place: the command line's value parsers
//! and the app's settings screen both use these, so they refuse the same values with the same
//! words.

/// The largest budget, seconds: an hour of kernel per rung.
pub const MAX_BUDGET_S: f64 = 3600.0;
/// The most threads: far past any machine this runs on, short of a typo's thousands.
pub const MAX_THREADS: usize = 1024;
/// The most neighbours per row.
pub const MAX_K: usize = 10_000;
/// The largest n and d: past these, n·d alone overflows what any machine holds.
pub const MAX_N: usize = 100_000_000;
pub const MAX_D: usize = 1_000_000;
/// The most runs of each rung: past a hundred the median moves no more, and the wait does.
pub const MAX_REPEAT: usize = 100;

fn whole(what: &str, value: &str, lo: usize, hi: usize) -> Result<usize, String> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| format!("{what} must be a whole number from {lo} to {hi}, not '{value}'"))
}

/// A workload's size from a file (the lab's `lab.toml`), held to the same bounds.
pub fn check_size(n: usize, d: usize) -> Result<(), String> {
    parse_n(&n.to_string())
        .and(parse_d(&d.to_string()))
        .map(|_| ())
}

/// A budget from a file, held to the same bounds.
pub fn check_budget(budget: f64) -> Result<f64, String> {
    parse_budget(&budget.to_string())
}

/// Number of vectors.
pub fn parse_n(value: &str) -> Result<usize, String> {
    whole("n", value, 1, MAX_N)
}

/// Dimension.
pub fn parse_d(value: &str) -> Result<usize, String> {
    whole("d", value, 1, MAX_D)
}

/// Threads for the threaded rungs.
pub fn parse_threads(value: &str) -> Result<usize, String> {
    whole("threads", value, 1, MAX_THREADS)
}

/// A profiler's sampling rate, Hz.
pub fn parse_frequency(value: &str) -> Result<u32, String> {
    whole("frequency (Hz)", value, 1, 1000).map(|v| v as u32)
}

/// Runs of a rung before a memory profile is read (`flame --memory --runs`).
pub fn parse_runs(value: &str) -> Result<u64, String> {
    whole("runs", value, 1, 100).map(|v| v as u64)
}

/// Neighbours per row.
pub fn parse_k(value: &str) -> Result<usize, String> {
    whole("k", value, 1, MAX_K)
}

/// Runs of each rung (the time shown is their median).
pub fn parse_repeat(value: &str) -> Result<usize, String> {
    whole("repeat", value, 1, MAX_REPEAT)
}

/// The generator's seed.
pub fn parse_seed(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("the seed must be a whole number ≥ 0, not '{value}'"))
}

/// Kernel seconds per rung: more than 0, at most an hour.
pub fn parse_budget(value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|b| b.is_finite() && *b > 0.0 && *b <= MAX_BUDGET_S)
        .ok_or_else(|| {
            format!(
                "the budget must be seconds, more than 0 and at most {MAX_BUDGET_S}, not '{value}'"
            )
        })
}

/// A student's name, carried by their outputs so `ladder class` puts their files together:
/// 1 to 40 printable characters, trimmed.
pub fn parse_name(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(format!(
            "{value:?} is not a name: give 1 to 40 printable characters (quote one with spaces)"
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_refused_with_the_range() {
        for bad in ["0", "-1", "nan", "inf", "1e20", "", "x", "3601"] {
            let e = parse_budget(bad).unwrap_err();
            assert!(e.contains("more than 0 and at most 3600"), "{bad}: {e}");
        }
        assert_eq!(parse_budget("0.5"), Ok(0.5));
        assert!(parse_threads("0").is_err() && parse_threads("100000").is_err());
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_k("0").unwrap_err().contains("from 1 to 10000"));
        assert!(parse_n("0").is_err() && parse_d("99999999999").is_err());
        assert_eq!(parse_n(" 2000 "), Ok(2000));
        assert!(parse_seed("-3").is_err());
        for bad in ["0", "101", "-2", "1.5", "x"] {
            let e = parse_repeat(bad).unwrap_err();
            assert!(
                e.contains("repeat must be a whole number from 1 to 100"),
                "{bad}: {e}"
            );
        }
        assert_eq!(parse_repeat("3"), Ok(3));
        for bad in ["", "   ", "a\tb", &"x".repeat(41)] {
            assert!(
                parse_name(bad).unwrap_err().contains("1 to 40 printable"),
                "{bad:?}"
            );
        }
        assert_eq!(parse_name(" Ada Lovelace ").as_deref(), Ok("Ada Lovelace"));
    }
}
