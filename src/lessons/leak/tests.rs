use super::*;

/// What `leak_reader.py` printed for `leak_service.py` (3 requests of 2000 × 768), read by
/// memray and by tracemalloc.
const MEMRAY: &str = include_str!("../../../tests/fixtures/leak/memray.txt");
const TRACEMALLOC: &str = include_str!("../../../tests/fixtures/leak/tracemalloc.txt");

fn run_of(text: &str, rss: Vec<u64>) -> LeakRun {
    let (tool, one_off, folded) = parse_reader(text).unwrap();
    LeakRun {
        program: "leaky".into(),
        file: "leak_service.py".into(),
        tool,
        requests: 3,
        rss_after: rss,
        folded,
        one_off,
        html: None,
        note: None,
    }
}

#[test]
fn memray_s_reading_names_the_cache_and_two_requests_worth_of_bytes() {
    let r = run_of(MEMRAY, vec![]);
    assert_eq!(r.tool, Tool::Memray);
    assert_eq!(r.one_off, 45_574_951);
    assert_eq!(r.holder().as_deref(), Some("normalise_rows"));
    // Two requests after the first, 2000 × 768 float32 each.
    assert_eq!(r.traced_per_request(), 2000 * 768 * 4 + 32);
    let p = r.profile().unwrap();
    assert!(p.stacks.iter().all(|(s, _)| s[0] == "leak_service.py"));
    // Without outside measurements the traced bytes stand in.
    assert!((r.mb_per_request() - 6.144).abs() < 0.01);
}

#[test]
fn tracemalloc_s_reading_names_the_same_function() {
    let r = run_of(TRACEMALLOC, vec![]);
    assert_eq!(r.tool, Tool::Tracemalloc);
    assert_eq!(r.holder().as_deref(), Some("normalise_rows"));
    let top = r.profile().unwrap().top_functions(1);
    // By self bytes, the top function is the one that allocated them.
    assert!(top[0].name.starts_with("normalise_rows "), "{top:?}");
}

#[test]
fn the_growth_per_request_is_the_median_step_after_the_first() {
    let r = run_of(MEMRAY, vec![100_000_000, 106_000_000, 112_500_000]);
    assert_eq!(r.rss_per_request(), Some(6_250_000));
    assert!((r.mb_per_request() - 6.25).abs() < 1e-9);
    let flat = run_of(
        MEMRAY,
        vec![100_000_000, 99_000_000, 99_100_000, 99_000_000],
    );
    assert_eq!(flat.rss_per_request(), Some(-100_000));
}

#[test]
fn the_holder_is_the_program_s_deepest_frame_by_bytes() {
    let folded = "p.py;main (p.py:1);a (p.py:2);f (np.py:3) 10\n\
                  p.py;main (p.py:1);b (p.py:5) 7\n\
                  p.py;main (p.py:1);b (p.py:6) 7\n";
    assert_eq!(holder(folded, "p.py").as_deref(), Some("b"));
    assert_eq!(holder("", "p.py"), None);
}

#[test]
fn bad_reader_output_is_an_error_that_says_what() {
    assert!(parse_reader("nothing here").unwrap_err().contains("# tool"));
    let e = parse_reader("# tool memray\n# one-off x\n").unwrap_err();
    assert!(e.contains("not a number"), "{e}");
    let e = parse_reader("# tool perf\n").unwrap_err();
    assert!(e.contains("unknown tool"), "{e}");
    let e = parse_reader("# tool memray\n# one-off 1\na;b notanumber\n").unwrap_err();
    assert!(e.contains("line"), "{e}");
}

#[test]
fn request_lines_are_read_and_others_ignored() {
    assert_eq!(
        request_done("request 2 done at 1796331067.512"),
        Some((2, 1_796_331_067.512))
    );
    assert_eq!(request_done("request two done"), None);
    assert_eq!(request_done("Warning: something"), None);
}
