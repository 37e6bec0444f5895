//! Loaders for `.npy` (NumPy) and `.fvecs` (the ANN-benchmark format).
//!
//! Both check the claimed shape against the file's length *before* allocating, so a corrupt
//! header can never ask for more memory than the file holds, and both reject NaN and infinity
//! with the row that holds them.

use std::fs;
use std::path::Path;

use super::{Matrix, WorkloadError};

/// Loads a file by its extension: `.npy` or `.fvecs`.
pub fn load_file(path: &Path) -> Result<Matrix, WorkloadError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if path.is_dir() {
        return Err(WorkloadError::malformed(
            path,
            "is a folder: give a .npy file (NumPy, float32 or float64, 2-D) or a .fvecs file in it",
        ));
    }
    match ext.as_deref() {
        Some("npy") => load_npy(path),
        Some("fvecs") => load_fvecs(path),
        _ => Err(WorkloadError::malformed(
            path,
            "unknown file type: give a .npy file (NumPy, float32 or float64, 2-D) or a .fvecs file",
        )),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, WorkloadError> {
    fs::read(path).map_err(|io| {
        if io.kind() == std::io::ErrorKind::NotFound {
            WorkloadError::malformed(
                path,
                "there is no such file: check the name (a typo, or the folder it is in)",
            )
        } else {
            WorkloadError::Io {
                path: path.to_path_buf(),
                io,
            }
        }
    })
}

fn check_finite(path: &Path, m: Matrix) -> Result<Matrix, WorkloadError> {
    match m.first_non_finite() {
        None => Ok(m),
        Some((row, col)) => Err(WorkloadError::NonFinite {
            path: path.to_path_buf(),
            row,
            col,
            value: format!("{}", m.row(row)[col]),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// .npy

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Float {
    F32,
    F64,
}

#[derive(Debug)]
struct NpyHeader {
    float: Float,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Writes `x` as a float32 C-order `.npy` (format 1.0) that NumPy reads with `np.load`.
pub fn save_npy(path: &Path, x: &Matrix) -> std::io::Result<()> {
    use std::io::Write;
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        x.n(),
        x.d()
    );
    // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
    let total = (10 + header.len() + 1).next_multiple_of(64);
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for i in 0..x.n() {
        for v in x.row(i) {
            f.write_all(&v.to_le_bytes())?;
        }
    }
    f.flush()
}

/// Loads a 2-D float32 or float64 `.npy` file (C or Fortran order, either byte order).
pub fn load_npy(path: &Path) -> Result<Matrix, WorkloadError> {
    let bytes = read(path)?;
    let bad = |reason: String| WorkloadError::malformed(path, reason);
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad(
            "not a NumPy .npy file (the magic string \\x93NUMPY is missing); save it with numpy.save"
                .into(),
        ));
    }
    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated .npy header".into()));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => {
            return Err(bad(format!(
                "unsupported .npy format version {v}; save it with a current numpy.save"
            )));
        }
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        return Err(bad(format!(
            "truncated: the header says it is {header_len} bytes long but the file ends first"
        )));
    }
    let header_text = std::str::from_utf8(&bytes[header_start..data_start])
        .map_err(|_| bad("the .npy header is not text".into()))?;
    let header = parse_npy_header(header_text).map_err(bad)?;

    if header.shape.len() != 2 {
        let shape = format_shape(&header.shape);
        return Err(bad(format!(
            "array has shape {shape} ({}-D); ladder needs a 2-D array of n vectors × d dimensions \
             (reshape it, e.g. X.reshape(1, -1) for a single vector)",
            header.shape.len()
        )));
    }
    let (n, d) = (header.shape[0], header.shape[1]);
    if n == 0 || d == 0 {
        return Err(WorkloadError::Empty {
            path: path.to_path_buf(),
            shape: format_shape(&header.shape),
        });
    }
    let item = match header.float {
        Float::F32 => 4,
        Float::F64 => 8,
    };
    let have = (bytes.len() - data_start) as u128;
    let need = n as u128 * d as u128 * item as u128;
    if need > have {
        return Err(bad(format!(
            "truncated: the header claims shape ({n}, {d}), which needs {need} bytes of data, \
             but the file holds only {have}; re-save or re-download it"
        )));
    }
    if need < have {
        return Err(bad(format!(
            "the header claims shape ({n}, {d}) ({need} bytes of data) but the file holds {have} bytes; \
             the header and the data disagree"
        )));
    }
    let raw = &bytes[data_start..];
    let word = |idx: usize, width: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(&raw[idx * width..(idx + 1) * width]);
        if header.big_endian {
            b[..width].reverse();
        }
        b
    };
    let src = |i: usize, j: usize| {
        if header.fortran_order {
            j * n + i
        } else {
            i * d + j
        }
    };
    let mut data = vec![0f32; n * d];
    let mut wide = vec![0f64; d];
    for i in 0..n {
        let dst = &mut data[i * d..(i + 1) * d];
        match header.float {
            Float::F32 => {
                for (j, v) in dst.iter_mut().enumerate() {
                    let b = word(src(i, j), item);
                    *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
            }
            Float::F64 => {
                for (j, v) in wide.iter_mut().enumerate() {
                    *v = f64::from_le_bytes(word(src(i, j), item));
                }
                narrow_row(&wide, dst);
            }
        }
    }
    check_finite(path, Matrix::from_vec(n, d, data)?)
}

/// A float64 row as float32. A row whose values lie outside float32's range (any above
/// `f32::MAX`, or any non-zero one below the smallest normal float32) is first scaled by a
/// power of two that brings its largest value into [0.5, 1): exact, and a cosine does not
/// depend on a row's scale, so valid vectors neither overflow to infinity nor underflow to
/// zero. Values still too small next to their row's largest come out 0
/// (see [`Matrix::vanishing_rows`]). Non-finite values pass through for `check_finite`.
///
/// [`Matrix::vanishing_rows`]: super::Matrix::vanishing_rows
fn narrow_row(wide: &[f64], dst: &mut [f32]) {
    let finite = || wide.iter().filter(|v| v.is_finite());
    let max = finite().fold(0.0_f64, |m, v| m.max(v.abs()));
    let out_of_range = max > f64::from(f32::MAX)
        || finite().any(|&v| v != 0.0 && v.abs() < f64::from(f32::MIN_POSITIVE));
    // 2^-e with e the exponent of the largest value, as two factors so that neither
    // overflows for the most extreme float64s (e up to 1024, down to -1074).
    let (f1, f2) = if out_of_range && max > 0.0 {
        let e = max.log2().floor() as i32 + 1;
        (2f64.powi(-(e / 2)), 2f64.powi(-(e - e / 2)))
    } else {
        (1.0, 1.0)
    };
    for (o, &v) in dst.iter_mut().zip(wide) {
        *o = (v * f1 * f2) as f32;
    }
}

fn format_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Parses the Python dict literal of a `.npy` header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (10000, 768), }`.
fn parse_npy_header(text: &str) -> Result<NpyHeader, String> {
    let value_of = |key: &str| -> Result<&str, String> {
        let pat_single = format!("'{key}'");
        let pat_double = format!("\"{key}\"");
        let at = text
            .find(&pat_single)
            .or_else(|| text.find(&pat_double))
            .ok_or_else(|| format!("the .npy header has no '{key}' entry"))?;
        let rest = &text[at + key.len() + 2..];
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("the .npy header's '{key}' entry has no value"))?;
        Ok(rest[colon + 1..].trim_start())
    };

    let descr_v = value_of("descr")?;
    if descr_v.starts_with('[') {
        return Err(
            "the array has a structured dtype (named fields); ladder needs plain float32 or float64 numbers"
                .into(),
        );
    }
    let quote = descr_v
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or("the .npy header's 'descr' is not a string")?;
    let descr_end = descr_v[1..]
        .find(quote)
        .ok_or("the .npy header's 'descr' string is not closed")?;
    let descr = &descr_v[1..=descr_end];
    let (order, kind) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr),
    };
    let float = match kind {
        "f4" => Float::F32,
        "f8" => Float::F64,
        k => {
            let what = match k.chars().next() {
                Some('i' | 'u') => "integers",
                Some('c') => "complex numbers",
                Some('O') => "Python objects",
                Some('b' | '?') => "booleans",
                Some('f') => "floats of an unsupported width",
                Some('U' | 'S') => "strings",
                _ => "an unsupported type",
            };
            return Err(format!(
                "dtype '{descr}' holds {what}; ladder reads float32 or float64 (convert with X.astype(np.float32))"
            ));
        }
    };
    let big_endian = order == '>';

    let fo = value_of("fortran_order")?;
    let fortran_order = if fo.starts_with("True") {
        true
    } else if fo.starts_with("False") {
        false
    } else {
        return Err("the .npy header's 'fortran_order' is neither True nor False".into());
    };

    let shape_v = value_of("shape")?;
    let open = shape_v
        .strip_prefix('(')
        .ok_or("the .npy header's 'shape' is not a tuple")?;
    let close = open
        .find(')')
        .ok_or("the .npy header's 'shape' tuple is not closed")?;
    let shape = open[..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("the .npy header's shape has a bad dimension '{s}'"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NpyHeader {
        float,
        big_endian,
        fortran_order,
        shape,
    })
}

// ---------------------------------------------------------------------------------------------
// .fvecs

/// Loads an `.fvecs` file: records of a little-endian int32 dimension followed by that many
/// float32 values. Every record must have the same dimension.
pub fn load_fvecs(path: &Path) -> Result<Matrix, WorkloadError> {
    let bytes = read(path)?;
    let bad = |reason: String| WorkloadError::malformed(path, reason);
    if bytes.is_empty() {
        return Err(WorkloadError::Empty {
            path: path.to_path_buf(),
            shape: "(0, ?)".into(),
        });
    }
    if bytes.len() < 4 {
        return Err(bad(format!(
            "truncated: {} bytes is too short for an .fvecs record",
            bytes.len()
        )));
    }
    let dim_at = |off: usize| i32::from_le_bytes(bytes[off..off + 4].try_into().expect("4 bytes"));
    let d0 = dim_at(0);
    if d0 <= 0 {
        return Err(bad(format!(
            "the first record declares dimension {d0}; an .fvecs record starts with a positive int32 dimension"
        )));
    }
    let d = d0 as usize;
    let record = 4 * (d + 1);
    if bytes.len() % record != 0 {
        // Find the first record that disagrees, for a precise message.
        let mut off = 0;
        let mut idx = 0;
        while off + 4 <= bytes.len() {
            let di = dim_at(off);
            if di != d0 {
                return Err(bad(format!(
                    "record {idx} (byte offset {off}) declares dimension {di}, but the first declares {d}; \
                     all vectors must have the same dimension"
                )));
            }
            off += record;
            idx += 1;
        }
        return Err(bad(format!(
            "truncated: the last record (record {}) is incomplete ({} bytes, each record of dimension {d} needs {record})",
            idx - 1,
            bytes.len() - (idx - 1) * record
        )));
    }
    let n = bytes.len() / record;
    let mut data = Vec::with_capacity(n * d);
    for i in 0..n {
        let off = i * record;
        let di = dim_at(off);
        if di != d0 {
            return Err(bad(format!(
                "record {i} (byte offset {off}) declares dimension {di}, but the first declares {d}; \
                 all vectors must have the same dimension"
            )));
        }
        data.extend(
            bytes[off + 4..off + record]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))),
        );
    }
    check_finite(path, Matrix::from_vec(n, d, data)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typical_headers() {
        let h =
            parse_npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (10000, 768), }")
                .unwrap();
        assert_eq!(h.float, Float::F32);
        assert!(!h.big_endian && !h.fortran_order);
        assert_eq!(h.shape, vec![10000, 768]);
        let h =
            parse_npy_header("{'descr': '>f8', 'fortran_order': True, 'shape': (3,), }").unwrap();
        assert_eq!(h.float, Float::F64);
        assert!(h.big_endian && h.fortran_order);
        assert_eq!(h.shape, vec![3]);
    }

    #[test]
    fn names_the_wrong_dtype() {
        let e = parse_npy_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }")
            .unwrap_err();
        assert!(e.contains("integers"), "{e}");
        let e = parse_npy_header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }")
            .unwrap_err();
        assert!(e.contains("complex"), "{e}");
        let e = parse_npy_header("{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }")
            .unwrap_err();
        assert!(e.contains("objects"), "{e}");
    }
}
