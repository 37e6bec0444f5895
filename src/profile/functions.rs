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

/// A frame's name as a person reads it in a narrow place (a bar, a table's column, a
/// subtitle): `<a::b::Type as c::Trait>::method` → `Type::method`; generic parameters go
/// (`hashbrown::raw::RawTableInner<A>::find_inner` → `RawTableInner::find_inner`); a Python
/// frame `similarity.<locals>.norm (lab/01_naive.py:20)` → `norm (01_naive.py:20)`, so the
/// part that tells frames apart comes first; otherwise the last two path segments.
#[must_use]
pub fn short_name(name: &str) -> std::borrow::Cow<'_, str> {
    if let Some((function, place)) = name.split_once(" (")
        && place.ends_with(')')
        && !function.contains("::")
    {
        let function = function.rsplit('.').next().unwrap_or(function);
        let place = place.rsplit('/').next().unwrap_or(place);
        return format!("{function} ({place}").into();
    }
    if let Some(rest) = name.strip_prefix('<')
        && let Some(close) = closing(rest)
        && let Some(as_at) = rest[..close].find(" as ")
    {
        let ty = without_generics(&rest[..as_at]);
        let ty = ty.rsplit("::").next().unwrap_or(&ty).to_string();
        let method = rest[close + 1..].trim_start_matches("::");
        return format!("{ty}::{}", last_segments(&without_generics(method), 1)).into();
    }
    // `<usize>::unchecked_add`: a type's own method, named by its type.
    if let Some(rest) = name.strip_prefix('<')
        && !rest.starts_with("impl ")
        && let Some(close) = closing(rest)
        && rest[close + 1..].starts_with("::")
    {
        let ty = last_of_paths(&without_generics(&rest[..close]));
        let method = without_generics(&rest[close + 3..]);
        return format!("{ty}::{}", last_segments(&method, 1)).into();
    }
    if name.contains('<') {
        return last_segments(&without_generics(&impl_types(name)), 2)
            .to_string()
            .into();
    }
    last_segments(name, 2).into()
}

/// The name with each inherent `<impl T>` (or `<impl Trait for T>`) segment written as its
/// type `T`: `core::f32::<impl f32>::max` is `f32::max`, where taking generics out would
/// leave an empty segment and the name would read `::max`.
fn impl_types(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("<impl ") {
        out.push_str(&rest[..at]);
        let inner = &rest[at + "<impl ".len()..];
        let Some(close) = closing(inner) else {
            out.push_str(&rest[at..]);
            return out;
        };
        let ty = inner[..close]
            .rsplit_once(" for ")
            .map_or(&inner[..close], |(_, ty)| ty);
        out.push_str(&last_of_paths(&without_generics(ty)));
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Each name's [`short_name`], told apart where two would read alike: std's and hashbrown's
/// `HashMap::remove` become `HashMap::remove (std)` and `HashMap::remove (hashbrown)`, and
/// names alike even so keep their whole path, generics left out.
#[must_use]
pub fn distinct_short_names(names: &[&str]) -> Vec<String> {
    let shorts: Vec<String> = names.iter().map(|n| short_name(n).into_owned()).collect();
    let count = |v: &[String], s: &str| v.iter().filter(|x| x.as_str() == s).count();
    let with_crate: Vec<String> = names
        .iter()
        .zip(&shorts)
        .map(|(name, short)| {
            if count(&shorts, short) < 2 {
                return short.clone();
            }
            // A crate is a path's first segment (not a Python frame's, nor `[T] as …`'s).
            let krate = name.trim_start_matches('<').split("::").next().filter(|k| {
                name.contains("::")
                    && !k.is_empty()
                    && k.chars().all(|c| c.is_alphanumeric() || c == '_')
            });
            krate.map_or_else(|| (*name).to_string(), |k| format!("{short} ({k})"))
        })
        .collect();
    names
        .iter()
        .zip(with_crate.iter())
        .map(|(name, s)| {
            if count(&with_crate, s) < 2 {
                s.clone()
            } else if name.starts_with('<') {
                // `<T as Trait>::method`: its generics are its meaning.
                (*name).to_string()
            } else {
                without_generics(&impl_types(name))
            }
        })
        .collect()
}

/// A type with each path in it written as its last segment: `dyn core::any::Any +
/// core::marker::Send` is `dyn Any + Send`, `&alloc::vec::Vec` is `&Vec`.
fn last_of_paths(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut path = String::new();
    let is_path = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for c in ty.chars().chain(std::iter::once(' ')) {
        if is_path(c) {
            path.push(c);
            continue;
        }
        out.push_str(path.rsplit("::").next().unwrap_or(&path));
        path.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Where the `<` that `s` follows is closed (`s` starts just after it); an arrow (`->`) is
/// no bracket.
fn closing(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        let after_dash = std::mem::replace(&mut prev, c) == '-';
        match c {
            '<' => depth += 1,
            '>' if !after_dash => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The name with every `<...>` group taken out (`Vec<f32>::push` → `Vec::push`); an arrow
/// (`->`) is no bracket.
fn without_generics(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    let mut prev = ' ';
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' if prev != '-' && depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

/// The last `keep` `::`-separated segments of a name, and the closures after them: a closure
/// is named by the function it is in (`rows::{{closure}}::{{closure}}`, not two closures).
fn last_segments(name: &str, keep: usize) -> &str {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(name.match_indices("::").map(|(i, _)| i + 2))
        .collect();
    let mut kept = 0;
    for (k, &at) in starts.iter().enumerate().rev() {
        let end = starts.get(k + 1).map_or(name.len(), |&next| next - 2);
        if !name[at..end].starts_with("{{closure") && !name[at..end].starts_with("{closure") {
            kept += 1;
        }
        if kept == keep {
            return &name[at..];
        }
    }
    name
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
            // As the flamegraph beside it shows them: scaffolding and inlined loop code folded.
            for f in p.without_scaffolding().top_functions(usize::MAX) {
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
        // Gone from the picture, not only from its own time: a function whose time moved into
        // what it calls is still drawn, so "gone" would contradict the picture.
        let drawn = after.without_scaffolding();
        let still_drawn = |name: &str| {
            drawn.stacks.iter().any(|(s, _)| {
                s.iter()
                    .any(|f| f == name || f.starts_with(&format!("{name} (")))
            })
        };
        let mut gone: Vec<(String, f64)> = Self::diff_functions(before, after, usize::MAX)
            .into_iter()
            .filter(|(name, b, a)| *a == 0.0 && *b >= min_share && !still_drawn(name))
            .map(|(name, b, _)| (name, b))
            .collect();
        gone.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        gone
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_functions_of_one_short_name_are_told_apart_by_their_crate() {
        let names = [
            "std::collections::hash::map::HashMap<K,V,S>::remove",
            "hashbrown::map::HashMap<K,V,S,A>::remove",
            "ladder::rungs::naive::dot",
        ];
        assert_eq!(
            super::distinct_short_names(&names),
            [
                "HashMap::remove (std)",
                "HashMap::remove (hashbrown)",
                "naive::dot"
            ]
        );
        // A closure is named by its function, nested ones told apart.
        let names = [
            "<ladder::rungs::threads::ThreadsKernel as ladder::rungs::Kernel>::rows::{{closure}}",
            "<ladder::rungs::threads::ThreadsKernel as ladder::rungs::Kernel>::rows::{{closure}}::{{closure}}",
            "ladder::workload::reference::verify_rows::{{closure}}::{{closure}}",
        ];
        assert_eq!(
            super::distinct_short_names(&names),
            [
                "ThreadsKernel::rows::{{closure}}",
                "ThreadsKernel::rows::{{closure}}::{{closure}}",
                "reference::verify_rows::{{closure}}::{{closure}}"
            ]
        );
        // One crate's two alike: the whole paths.
        let names = ["a::x::T<u8>::f", "a::y::T<u8>::f"];
        assert_eq!(
            super::distinct_short_names(&names),
            ["a::x::T::f", "a::y::T::f"]
        );
    }

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

#[cfg(test)]
mod short_name_tests {
    use super::short_name;

    #[test]
    fn short_names_keep_what_tells_frames_apart() {
        for (name, short) in [
            (
                "similarity.<locals>.norm (/tmp/lab/01_naive.py:20)",
                "norm (01_naive.py:20)",
            ),
            ("similarity (01_naive.py:31)", "similarity (01_naive.py:31)"),
            (
                "<ladder::rungs::Naive as ladder::rungs::Rung>::run",
                "Naive::run",
            ),
            (
                "<ladder::rungs::algorithmic::AlgorithmicKernel as ladder::rungs::Kernel>::rows",
                "AlgorithmicKernel::rows",
            ),
            ("ladder::rungs::naive::dot", "naive::dot"),
            // Generic parameters are no segments: never "Kernel>::rows" or "A>::find_inner".
            (
                "hashbrown::raw::RawTableInner<A>::find_inner",
                "RawTableInner::find_inner",
            ),
            (
                "<alloc::vec::Vec<T,A> as core::ops::Drop>::drop",
                "Vec::drop",
            ),
            (
                "core::ptr::drop_in_place<alloc::vec::Vec<f32>>",
                "ptr::drop_in_place",
            ),
            // An inherent impl's segment is its type, never an empty one ("::max").
            ("core::f32::<impl f32>::max", "f32::max"),
            ("core::slice::<impl [T]>::iter", "[T]::iter"),
            (
                "alloc::vec::<impl core::ops::Drop for alloc::vec::Vec<T>>::drop",
                "Vec::drop",
            ),
            // A type that is no plain path keeps its shape, its paths shortened.
            (
                "core::any::<impl dyn core::any::Any + core::marker::Send>::downcast_ref",
                "dyn Any + Send::downcast_ref",
            ),
            (
                "core::mem::maybe_uninit::<impl [core::mem::maybe_uninit::MaybeUninit<T>]>::assume_init_ref",
                "[MaybeUninit]::assume_init_ref",
            ),
            ("<impl Trait for &alloc::vec::Vec<T>>::f", "&Vec::f"),
            ("<usize>::unchecked_add", "usize::unchecked_add"),
            (
                "<std::sys::thread::unix::Thread>::new::thread_start",
                "Thread::thread_start",
            ),
            // An arrow closes no bracket.
            (
                "core::ops::function::<impl core::ops::function::FnOnce<()> for fn() -> u32>::call_once",
                "fn() -> u32::call_once",
            ),
            (
                "<fn() -> u32 as core::ops::function::FnOnce<()>>::call_once",
                "fn() -> u32::call_once",
            ),
            // A Rust frame with a parenthesis is not taken for Python's.
            (
                "core::ops::function::FnOnce::call_once (x)",
                "FnOnce::call_once (x)",
            ),
        ] {
            assert_eq!(short_name(name), short, "{name}");
        }
    }
}
