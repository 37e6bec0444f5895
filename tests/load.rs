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
    let mut v = vec![0.5f64; 12];
    v[0] = 1e300;
    let msg = err(&write(
        &dir,
        "big.npy",
        &npy("<f8", false, "(4, 3)", &f64s(&v, false)),
    ));
    assert!(msg.contains("float32"), "{msg}");
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
    assert!(msg.contains("No such file"), "{msg}");
    let msg = err(&write(&dir, "data.csv", b"1,2,3"));
    assert!(msg.contains(".npy") && msg.contains(".fvecs"), "{msg}");
}
