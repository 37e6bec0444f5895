//! What a peer hands back: its JSON line of times, and its result as `.npy` files of exactly
//! the dtype and shape asked for, read into the rung's output.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

use crate::rungs::Output;

/// The peer's JSON line: its own set-up and kernel times (the names are the protocol's).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[allow(clippy::struct_field_names)]
pub struct Times {
    pub setup_s: f64,
    pub kernel_s: f64,
    #[serde(default)]
    pub compile_s: Option<f64>,
}

/// Parses the peer's last line of output (`last`) as its [`Times`]; Err says, for people,
/// what it printed instead.
pub fn parse_times(id: &str, last: Option<&str>) -> Result<Times, String> {
    last.and_then(|l| serde_json::from_str(l.trim()).ok())
        .ok_or_else(|| {
            let shown: String = last.unwrap_or("").chars().take(120).collect();
            if shown.trim().is_empty() {
                // Exited with status 0 before writing its result: os._exit or sys.exit(0)
                // in the middle, most often.
                return format!(
                    "{id}: it exited (status 0) without printing its result: does it call \
                     os._exit or sys.exit before it is done?"
                );
            }
            format!(
                "{id}: its last line of output must be a JSON object like \
                 {{\"setup_s\": 0.1, \"kernel_s\": 2.5}}; it printed {shown:?}"
            )
        })
}

/// Reads rows `rows` of the result from `dir` (`output.npy`, and `sims.npy` for top-k) into
/// `out`; `n` is the number of vectors.
pub fn read_result(
    dir: &Path,
    n: usize,
    rows: &Range<usize>,
    out: &mut Output,
) -> Result<(), String> {
    let m = rows.len();
    let out_path = dir.join("output.npy");
    match out {
        Output::Full(s) => {
            let data = read_npy_exact(&out_path, "<f4", &[m, n])?;
            for (r, i) in rows.clone().enumerate() {
                let row = s.row_mut(i);
                for (j, v) in row.iter_mut().enumerate() {
                    let at = (r * n + j) * 4;
                    *v = f32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
                }
            }
        }
        Output::TopK(t) => {
            let k = t.k();
            let idx = read_npy_exact(&out_path, "<i8", &[m, k])?;
            let sims = read_npy_exact(&dir.join("sims.npy"), "<f4", &[m, k])?;
            let (ix, sx) = t.rows_mut(rows.clone());
            for e in 0..m * k {
                let j = i64::from_le_bytes(idx[e * 8..e * 8 + 8].try_into().expect("8 bytes"));
                // Out of range (e.g. faiss's -1 for "none found") is kept as an impossible
                // index, which verification reports.
                ix[e] = u32::try_from(j).unwrap_or(u32::MAX);
                sx[e] = f32::from_le_bytes(sims[e * 4..e * 4 + 4].try_into().expect("4 bytes"));
            }
        }
    }
    Ok(())
}

/// The data of a `.npy` that must have exactly this dtype and shape (C order).
fn read_npy_exact(path: &Path, descr: &str, shape: &[usize]) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("the peer wrote no result at {}: {e}", path.display()))?;
    let bad = |why: String| format!("{}: {why}", path.display());
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file".into()));
    }
    let (len, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else if bytes.len() >= 12 {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    } else {
        return Err(bad("truncated header".into()));
    };
    let header = bytes
        .get(start..start + len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header".into()))?;
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let want_shape = format!(
        "({})",
        shape
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    if !compact.contains(&format!("'descr':'{descr}'")) {
        return Err(bad(format!(
            "dtype must be '{descr}' (header: {})",
            header.trim()
        )));
    }
    if !compact.contains("'fortran_order':False") {
        return Err(bad("must be in C order".into()));
    }
    if !compact.contains(&format!("'shape':{want_shape}")) {
        return Err(bad(format!(
            "shape must be {want_shape} (header: {})",
            header.trim()
        )));
    }
    let data = &bytes[start + len..];
    let need = shape.iter().product::<usize>() * if descr.ends_with('8') { 8 } else { 4 };
    if data.len() != need {
        return Err(bad(format!(
            "holds {} bytes of data, not the {need} its shape needs",
            data.len()
        )));
    }
    Ok(data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn a_result_of_the_wrong_shape_or_dtype_is_refused_with_what_was_wanted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.npy");
        std::fs::write(&p, npy("<f4", "(1, 2)", &[0; 8])).unwrap();
        assert_eq!(read_npy_exact(&p, "<f4", &[1, 2]).unwrap().len(), 8);
        let e = read_npy_exact(&p, "<f4", &[2, 2]).unwrap_err();
        assert!(e.contains("shape must be (2,2)"), "{e}");
        let e = read_npy_exact(&p, "<i8", &[1, 2]).unwrap_err();
        assert!(e.contains("dtype must be '<i8'"), "{e}");
        std::fs::write(&p, npy("<f4", "(1, 2)", &[0; 7])).unwrap();
        let e = read_npy_exact(&p, "<f4", &[1, 2]).unwrap_err();
        assert!(e.contains("not the 8 its shape needs"), "{e}");
    }

    #[test]
    fn times_come_from_the_last_line_or_the_error_shows_it() {
        let t = parse_times("p", Some(r#"{"setup_s": 0.5, "kernel_s": 2}"#)).unwrap();
        assert_eq!((t.setup_s, t.kernel_s, t.compile_s), (0.5, 2.0, None));
        let e = parse_times("p", Some("done")).unwrap_err();
        assert!(
            e.starts_with("p: its last line") && e.ends_with("\"done\""),
            "{e}"
        );
    }
}
