//! Symbol names made fit for folded stacks and for people: no hashes, no generic arguments, no
//! crate disambiguators. Shared by the CPU and the allocation profiles.

/// Drops generic arguments (`call_once<…>` → `call_once`) but keeps qualified paths
/// (`<Box as FnOnce>::call_once`): monomorphised names run to hundreds of characters and
/// say little a learner needs.
fn simplify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut skip_depth = 0usize;
    let mut prev = ' ';
    for c in name.chars() {
        if skip_depth > 0 {
            match c {
                '<' => skip_depth += 1,
                '>' => skip_depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '<' && (prev.is_alphanumeric() || matches!(prev, '_' | '}' | '>')) {
            skip_depth = 1;
            continue;
        }
        // A turbofish, `f::<T>`: drop it with its `::`.
        if c == '<' && out.ends_with("::") {
            out.truncate(out.len() - 2);
            skip_depth = 1;
            continue;
        }

        out.push(c);
        prev = c;
    }
    strip_disambiguators(&out)
}

/// Drops v0-mangling crate disambiguators: `std[e28293b1aa0f68bd]::rt` → `std::rt`.
fn strip_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('[') {
        let close = rest[at..].find(']').map(|c| at + c);
        match close {
            Some(end)
                if end > at + 1
                    && rest[at + 1..end].chars().all(|c| c.is_ascii_hexdigit())
                    && rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
            {
                out.push_str(&rest[..at]);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A frame name fit for folded stacks: no `;` (the separator), no trailing symbol hash, no
/// generic arguments.
pub fn clean(name: &str) -> String {
    let name = match name.rfind("::h") {
        Some(at)
            if name.len() - at == 19 && name[at + 3..].chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            &name[..at]
        }
        _ => name,
    };
    simplify(name).replace(';', ":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_hashes_and_separators() {
        assert_eq!(
            clean("ladder::run::Runner::run_one::h0123456789abcdef"),
            "ladder::run::Runner::run_one"
        );
        assert_eq!(clean("a;b"), "a:b");
        assert_eq!(clean("std::rt::lang_start"), "std::rt::lang_start");
        assert_eq!(
            clean(
                "<alloc::boxed::Box<dyn core::ops::FnOnce<()>> as core::ops::FnOnce<()>>::call_once"
            ),
            "<alloc::boxed::Box as core::ops::FnOnce>::call_once"
        );
        assert_eq!(
            clean("{closure#1}<ladder::x::{closure_env#1}, ()>"),
            "{closure#1}"
        );
        assert_eq!(clean("call_once<F, ()>"), "call_once");
        assert_eq!(
            clean("std[e28293b1aa0f68bd]::panicking::catch_unwind::<isize, std[e2]::x>"),
            "std::panicking::catch_unwind"
        );
        assert_eq!(clean("<[T]>::to_vec"), "<[T]>::to_vec");
    }
}
