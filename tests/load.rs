//! The loaders: every supported layout loads, every bad input gets a clear error naming the
//! file and the problem (never a panic, never a huge allocation).

use std::path::{Path, PathBuf};

use ladder::workload::{WorkloadError, load_file};
use tempfile::TempDir;

/// Builds a .npy file: version 1 header padded to 64 bytes, then `data`.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header);
    out.extend(data);
    out
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn f32s(v: &[f32], big: bool) -> Vec<u8> {
    v.iter()
        .flat_map(|x| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        })
        .collect()
}

fn f64s(v: &[f64], big: bool) -> Vec<u8> {
    v.iter()
        .flat_map(|x| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        })
        .collect()
}

fn err(path: &Path) -> String {
    let e: WorkloadError = load_file(path).expect_err("should fail");
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "names the file: {msg}"
    );
    msg
}

const ROWS: [[f32; 3]; 2] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];

#[test]
fn loads_every_supported_npy_layout() {
    let dir = TempDir::new().unwrap();
    let c: Vec<f32> = ROWS.concat();
    let fortran: Vec<f32> = vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    let cases = [
        (
            "c_le_f32.npy",
            npy("<f4", false, "(2, 3)", &f32s(&c, false)),
        ),
        ("c_be_f32.npy", npy(">f4", false, "(2, 3)", &f32s(&c, true))),
        (
            "f_le_f32.npy",
            npy("<f4", true, "(2, 3)", &f32s(&fortran, false)),
        ),
        (
            "c_le_f64.npy",
            npy(
                "<f8",
                false,
                "(2, 3)",
                &f64s(&c.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), false),
            ),
        ),
        (
            "f_be_f64.npy",
            npy(
                ">f8",
                true,
                "(2, 3)",
                &f64s(
                    &fortran.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                    true,
                ),
            ),
        ),
    ];
    for (name, bytes) in cases {
        let m = load_file(&write(&dir, name, &bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((m.n(), m.d()), (2, 3), "{name}");
        assert_eq!(m.row(0), &ROWS[0], "{name}");
        assert_eq!(m.row(1), &ROWS[1], "{name}");
    }
}

#[test]
fn rejects_bad_npy_files_with_clear_messages() {
    let dir = TempDir::new().unwrap();
    let good = f32s(&ROWS.concat(), false);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.npy",
            npy("<f4", false, "(2, 3)", &good[..20]),
            "truncated",
        ),
        (
            "huge.npy",
            npy("<f4", false, "(4000000000, 1000000)", &good),
            "truncated",
        ),
        ("ints.npy", npy("<i4", false, "(2, 3)", &good), "integers"),
        ("complex.npy", npy("<c8", false, "(2, 3)", &good), "complex"),
        ("objects.npy", npy("|O", false, "(2, 3)", &good), "objects"),
        ("one_d.npy", npy("<f4", false, "(6,)", &good), "2-D"),
        ("three_d.npy", npy("<f4", false, "(1, 2, 3)", &good), "2-D"),
        (
            "empty.npy",
            npy("<f4", false, "(0, 768)", &[]),
            "no vectors",
        ),
        (
            "not_npy.npy",
            b"hello, world, this is text".to_vec(),
            "not a NumPy",
        ),
        ("short.npy", b"\x93NU".to_vec(), "not a NumPy"),
        ("extra.npy", npy("<f4", false, "(1, 3)", &good), "disagree"),
    ];
    for (name, bytes, expect) in cases {
        let msg = err(&write(&dir, name, &bytes));
        assert!(
            msg.contains(expect),
            "{name}: expected '{expect}' in: {msg}"
        );
    }
}

#[test]
fn names_the_row_holding_nan_or_infinity() {
    let dir = TempDir::new().unwrap();
    let mut v = vec![0.5f32; 12];
    v[7] = f32::NAN; // row 2 of (4, 3), column 1
    let msg = err(&write(
        &dir,
        "nan.npy",
        &npy("<f4", false, "(4, 3)", &f32s(&v, false)),
    ));
    assert!(msg.contains("row 2") && msg.contains("NaN"), "{msg}");
    let mut v = vec![0.5f64; 12];
    v[10] = f64::INFINITY;
    let msg = err(&write(
        &dir,
        "inf.npy",
        &npy("<f8", false, "(4, 3)", &f64s(&v, false)),
    ));
    assert!(msg.contains("row 3") && msg.contains("inf"), "{msg}");
}

/// cos(a, b) in float64 from the file's values, each row first divided by its largest
/// magnitude so that no square under- or overflows even in float64.
fn cosine64(a: &[f64], b: &[f64]) -> f64 {
    let unit = |r: &[f64]| {
        let m = r.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        r.iter().map(|v| v / m).collect::<Vec<_>>()
    };
    let (a, b) = (unit(a), unit(b));
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn float64_rows_outside_float32_range_keep_their_direction() {
    // Rows a float32 cast would turn into infinities or zeros: too large, too small for even a
    // subnormal float32, straddling both, and one ordinary row.
    let rows: [[f64; 3]; 5] = [
        [1e300, -2e300, 3e299],
        [1e-50, 2e-50, -3e-50],
        [4e-320, 1e-310, 5e-324],
        [1e39, 1.0, -2.0],
        [1.0, 2.0, 3.0],
    ];
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let dir = TempDir::new().unwrap();
    let x = load_file(&write(
        &dir,
        "wide.npy",
        &npy("<f8", false, "(5, 3)", &f64s(&flat, false)),
    ))
    .expect("finite float64 data loads whatever its scale");
    assert!(x.first_non_finite().is_none());
    assert!(x.zero_rows().is_empty(), "no valid vector became zero");
    let r = ladder::workload::reference::Reference::new(&x);
    for i in 0..5 {
        for j in 0..5 {
            let want = cosine64(&rows[i], &rows[j]);
            let got = r.cosine(&x, i, j);
            assert!(
                (got - want).abs() < 1e-6,
                "cos({i}, {j}) = {got}, want {want}"
            );
        }
    }
    // An ordinary row is loaded as it is.
    assert_eq!(x.row(4), &[1.0, 2.0, 3.0]);
}

#[test]
fn values_too_small_to_survive_normalising_are_named() {
    let rows = vec![
        vec![1.0f32, 2.0, 3.0],
        vec![1e38, 1e-10, 0.0],
        vec![1e-40, 2e-40, 0.0],
    ];
    let x = ladder::workload::Matrix::from_rows(&rows).unwrap();
    // Row 1's 1e-10 is 1e-48 of its length; row 2, subnormal as it is, normalises fine.
    assert_eq!(x.vanishing_rows(), vec![1]);
}

fn fvecs(records: &[(i32, Vec<f32>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (d, v) in records {
        out.extend(d.to_le_bytes());
        out.extend(f32s(v, false));
    }
    out
}

#[test]
fn loads_fvecs_and_rejects_bad_ones() {
    let dir = TempDir::new().unwrap();
    let good = fvecs(&[(3, ROWS[0].to_vec()), (3, ROWS[1].to_vec())]);
    let m = load_file(&write(&dir, "ok.fvecs", &good)).unwrap();
    assert_eq!((m.n(), m.d()), (2, 3));
    assert_eq!(m.row(1), &ROWS[1]);

    let mixed = fvecs(&[(3, vec![1.0; 3]), (2, vec![1.0; 2]), (3, vec![1.0; 3])]);
    let msg = err(&write(&dir, "mixed.fvecs", &mixed));
    assert!(
        msg.contains("record 1") && msg.contains("dimension 2"),
        "{msg}"
    );

    let msg = err(&write(&dir, "trunc.fvecs", &good[..good.len() - 2]));
    assert!(msg.contains("truncated"), "{msg}");

    let msg = err(&write(&dir, "empty.fvecs", &[]));
    assert!(msg.contains("no vectors"), "{msg}");

    let msg = err(&write(&dir, "negative.fvecs", &fvecs(&[(-4, vec![])])));
    assert!(msg.contains("positive"), "{msg}");

    let nan = fvecs(&[(2, vec![1.0, 2.0]), (2, vec![f32::NAN, 1.0])]);
    let msg = err(&write(&dir, "nan.fvecs", &nan));
    assert!(msg.contains("row 1"), "{msg}");
}

#[test]
fn missing_files_and_unknown_extensions_are_explained() {
    let dir = TempDir::new().unwrap();
    let msg = err(&dir.path().join("absent.npy"));
    assert!(msg.contains("there is no such file"), "{msg}");
    let msg = err(&write(&dir, "data.csv", b"1,2,3"));
    assert!(msg.contains(".npy") && msg.contains(".fvecs"), "{msg}");
}
