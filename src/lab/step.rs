//! A lab step as a rung: the student's file run through the shipped harness by the peers'
//! machinery (one process per block of rows, the budget and its extrapolation, the float64
//! check, its cost measured from outside, py-spy), so it is measured exactly like ours.

use std::path::PathBuf;
use std::sync::Mutex;

use super::spec::{Input, LabStep};
use crate::peers::shipped::unpack;
use crate::peers::{Peer, PeerError, PeerSpec};

/// The harness that imports a step's file and calls its function, what watches the call, and
/// what reads the file's text.
const HARNESS: &[(&str, &str)] = &[
    (
        "_lab_harness.py",
        include_str!("../../assets/lab/_lab_harness.py"),
    ),
    (
        "_lab_native.py",
        include_str!("../../assets/lab/_lab_native.py"),
    ),
    (
        "_lab_load.py",
        include_str!("../../assets/lab/_lab_load.py"),
    ),
    (
        "_lab_watch.py",
        include_str!("../../assets/lab/_lab_watch.py"),
    ),
    (
        "_lab_text.py",
        include_str!("../../assets/lab/_lab_text.py"),
    ),
];

/// The harness's folder, written once per process.
fn harness_dir() -> Result<PathBuf, PeerError> {
    static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut dir = DIR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if dir.is_none() {
        *dir = Some(unpack("lab", HARNESS)?);
    }
    Ok(dir.clone().expect("set above"))
}

/// The peer that runs `step`.
pub fn peer(step: &LabStep) -> Result<Peer, PeerError> {
    spec(step).map(Peer::new)
}

/// The peer file `step` would be, had a student written one: the app lists it as a row.
pub fn spec(step: &LabStep) -> Result<PeerSpec, PeerError> {
    let dir = harness_dir()?;
    let harness = dir.join("_lab_harness.py").display().to_string();
    let mut needs = step.needs.clone();
    // The harness reads and writes the data with NumPy, for a pure-Python step too: said so.
    let harness_only = !needs.iter().any(|m| m == "numpy");
    if harness_only {
        needs.insert(0, "numpy".into());
    }
    let mut command = vec![
        "{python}".to_string(),
        harness,
        "--step".into(),
        step.file.display().to_string(),
        "--function".into(),
        step.function().into(),
        "--as".into(),
        match step.input {
            Input::Lists => "lists",
            Input::Numpy => "numpy",
        }
        .into(),
        "--input".into(),
        "{input}".into(),
        "--rows".into(),
        "{row_start}:{row_end}".into(),
        "--output".into(),
        "{output}".into(),
    ];
    if step.function() == "topk" {
        command.extend(["--k".into(), "{k}".into(), "--sims".into(), "{sims}".into()]);
    }
    if !step.uses_one_of.is_empty() {
        command.extend(["--uses".into(), step.uses_one_of.join(",")]);
    }
    if step.own_loops {
        command.push("--own-loops".into());
        // Where its time goes, seen from outside, when py-spy is here to see it.
        if let Some(spy) = crate::peers::which("py-spy") {
            command.extend(["--native-spy".into(), spy.display().to_string()]);
        }
    }
    let install = if step.install.is_empty() && harness_only {
        "pip install numpy; the lab's harness hands X to every step with it".to_string()
    } else if step.install.is_empty() {
        "pip install numpy".to_string()
    } else {
        step.install.clone()
    };
    Ok(PeerSpec {
        id: row_id(step),
        title: step.title.clone(),
        step: step.step,
        output: step.output,
        // Any right answer counts: an index is judged by recall, like the library peers.
        approximate: step.output == crate::rungs::OutputKind::TopK,
        command,
        what_changed: format!("{}: {}", step.file_name(), step.title),
        why: step.floor.as_ref().map_or_else(
            || "the baseline the others are measured against".into(),
            |f| f.why.clone(),
        ),
        modules: needs,
        programs: step.programs.clone(),
        install,
        // The harness ends with the student's error in one line.
        stderr_lines: 1,
        // Importing a .py step and a JIT's first compile take seconds; a Cython build, more;
        // a Rust step's first build fetches and compiles PyO3 (minutes on two cores).
        setup_limit: if step.is_rust() {
            std::time::Duration::from_mins(10)
        } else if step.file.extension().is_some_and(|e| e == "pyx") {
            crate::peers::process::SETUP_LIMIT
        } else {
            std::time::Duration::from_secs(30)
        },
        file: step.file.clone(),
        dir,
    })
}

/// The row id a step's runs carry (apart from our rungs' ids, which a step's may repeat).
#[must_use]
pub fn row_id(step: &LabStep) -> String {
    format!("lab-{}", step.id)
}

/// What a frame outside the student's function stands for in a step's profile.
pub const OUTSIDE: &str =
    "outside your function (Python start-up, imports, reading X, writing the answer)";

/// What compiling a step stands for in its profile: timed apart, never in its time.
pub const COMPILING: &str = "compiling (Numba's JIT, Cython's build: timed apart, not in its time)";

/// Frames of a compiler at work (Numba and LLVM, Cython and the C build it drives); a
/// module's top level (`<module> (numba/core/compiler.py:…)`, an import) is not one.
const COMPILER_FRAMES: [&str; 8] = [
    "_compile_for_args",
    "numba/core/compiler",
    "llvmlite/binding/",
    "Cython/Compiler",
    "Cython/Build",
    "pyximport",
    "setuptools/",
    "distutils/",
];

/// The harness's frame that makes the timed call (`timed_call` in `_lab_harness.py`): what
/// runs under it is the step's work, whatever file it is in.
const TIMED_CALL: &str = "timed_call (";

/// A step's profile (py-spy's folded stacks) cut to the student's own code. Each stack starts
/// at the first frame in `file_name`, or else at the timed call, named for the step's
/// function (`similarity (FILE, compiled)` where nothing under it has Python frames: a
/// compiled step's loops). The watch's wrapper of a compiled function (`_lab_watch.py`'s
/// `__call__`) is named so too. Outside the timed call, compiling is one frame,
/// [`COMPILING`], and anything else another, [`OUTSIDE`], so the shares stay true; ladder's
/// own check in the step's process (`_lab_native.py`'s probe) is left out, as the float64
/// check is out of a rung's.
#[must_use]
pub fn focus_folded(folded: &str, file_name: &str) -> String {
    let inside = [format!("({file_name}:"), format!("/{file_name}:")];
    let compiled = format!("similarity ({file_name}, compiled)");
    let mut out = String::with_capacity(folded.len());
    for line in folded.lines() {
        let Some((stack, count)) = line.rsplit_once(' ') else {
            continue;
        };
        let frames: Vec<&str> = stack.split(';').collect();
        if frames.iter().any(|f| f.contains("_lab_native.py:")) {
            continue;
        }
        // The watch's wrappers (an index's searches counted) are the harness's, not the
        // student's: left out of the stack, what they called kept.
        let named = |from: &[&str]| -> String {
            from.iter()
                .filter_map(|f| {
                    if !f.contains("_lab_watch.py:") {
                        Some((*f).to_string())
                    } else if f.contains("__call__ (") {
                        Some(compiled.clone())
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>()
                .join(";")
        };
        let timed = frames.iter().position(|f| f.starts_with(TIMED_CALL));
        let own = frames.iter().position(|f| {
            // The file's top level (`<module>`) is its imports, run once: outside the function.
            !f.starts_with("<module> ") && inside.iter().any(|i| f.contains(i.as_str()))
        });
        let compiling = || {
            frames.iter().any(|f| {
                !f.starts_with("<module> ") && COMPILER_FRAMES.iter().any(|c| f.contains(c))
            })
        };
        match (own, timed) {
            // Before the timed call: the warm-up call that compiles, or the import that builds.
            (_, None) if compiling() => out.push_str(COMPILING),
            (Some(at), _) => out.push_str(&named(&frames[at..])),
            (None, Some(t)) if t + 1 == frames.len() => out.push_str(&compiled),
            (None, Some(t)) => {
                out.push_str("similarity (");
                out.push_str(file_name);
                out.push_str(");");
                out.push_str(&named(&frames[t + 1..]));
            }
            (None, None) => out.push_str(OUTSIDE),
        }
        out.push(' ');
        out.push_str(count);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_starts_at_the_student_s_function_and_keeps_the_rest_as_one_frame() {
        let folded = "<module> (_lab_harness.py:262);main (_lab_harness.py:209);similarity \
                      (01_naive.py:31);dot (01_naive.py:12) 40\n\
                      <module> (_lab_harness.py:262);_find_and_load (<frozen>:1) 7\n\
                      <module> (/lab/_lab_harness.py:262);norm (/tmp/lab/01_naive.py:20) 3\n";
        let got = focus_folded(folded, "01_naive.py");
        assert_eq!(
            got,
            format!(
                "similarity (01_naive.py:31);dot (01_naive.py:12) 40\n{OUTSIDE} 7\n\
                 norm (/tmp/lab/01_naive.py:20) 3\n"
            )
        );
        // The file's imports (its top level) are outside the function too.
        let imports = "<module> (_lab_harness.py:262);<module> (03_numpy.py:13);_find_and_load \
                       (<frozen>:1) 30\n<module> (_lab_harness.py:262);similarity \
                       (03_numpy.py:20) 10\n";
        assert_eq!(
            focus_folded(imports, "03_numpy.py"),
            format!("{OUTSIDE} 30\nsimilarity (03_numpy.py:20) 10\n")
        );
        // Another step's file of a similar name is not the student's.
        let other = "f (x01_naive.py:1) 2\n";
        assert_eq!(focus_folded(other, "01_naive.py"), format!("{OUTSIDE} 2\n"));
    }

    #[test]
    fn a_compiled_step_s_profile_shows_its_code_its_compiling_and_not_ladder_s_probe() {
        let cython = "<module> (_lab_harness.py:401);main (_lab_harness.py:253);timed_call \
                      (_lab_harness.py:60) 75\n\
                      <module> (_lab_harness.py:401);main (_lab_harness.py:234);probe \
                      (_lab_native.py:264);wrong_answer (_lab_native.py:122) 48\n\
                      <module> (_lab_harness.py:401);main (_lab_harness.py:165);load \
                      (_lab_load.py:247);<module> (Cython/Compiler/Builtin.py:1023);init_builtins \
                      (Cython/Compiler/Builtin.py:973) 21\n\
                      <module> (_lab_harness.py:401);main (_lab_harness.py:165);load \
                      (_lab_load.py:247);<module> (numpy/__init__.py:1) 9\n";
        assert_eq!(
            focus_folded(cython, "04_cython.pyx"),
            format!("similarity (04_cython.pyx, compiled) 75\n{COMPILING} 21\n{OUTSIDE} 9\n")
        );
        let numba = "<module> (_lab_harness.py:401);main (_lab_harness.py:227);similarity \
                     (05_numba.py:25);_DispatcherBase._compile_for_args \
                     (numba/core/dispatcher.py:1);NewPassManager.run \
                     (llvmlite/binding/newpassmanagers.py:122) 42\n\
                     <module> (_lab_harness.py:401);main (_lab_harness.py:253);timed_call \
                     (_lab_harness.py:60);similarity (05_numba.py:25);Timed.__call__ \
                     (_lab_watch.py:325) 9\n";
        assert_eq!(
            focus_folded(numba, "05_numba.py"),
            format!(
                "{COMPILING} 42\nsimilarity (05_numba.py:25);similarity (05_numba.py, compiled) 9\n"
            )
        );
        // The watch's wrapper of an index's search is left out; what it called is kept.
        let search = "timed_call (_lab_harness.py:60);topk (07_library.py:9);\
                      Searches._index_search.<locals>.searched (_lab_watch.py:180);\
                      replacement_search (faiss/class_wrappers.py:3) 6\n";
        assert_eq!(
            focus_folded(search, "07_library.py"),
            "topk (07_library.py:9);replacement_search (faiss/class_wrappers.py:3) 6\n"
        );
        // Under the timed call, everything is the step's: NumPy called from compiled code, a
        // function imported from a helper module. Importing Numba is no compiling.
        let under = "main (_lab_harness.py:253);timed_call (_lab_harness.py:60);norm \
                     (numpy/linalg/linalg.py:2) 5\n\
                     main (_lab_harness.py:253);timed_call (_lab_harness.py:60);similarity \
                     (helpers.py:3) 7\n\
                     main (_lab_harness.py:165);<module> (numba/core/compiler.py:1) 4\n";
        assert_eq!(
            focus_folded(under, "04_cython.pyx"),
            format!(
                "similarity (04_cython.pyx);norm (numpy/linalg/linalg.py:2) 5\n\
                 similarity (04_cython.pyx);similarity (helpers.py:3) 7\n{OUTSIDE} 4\n"
            )
        );
    }
}
