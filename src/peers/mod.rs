//! Peers: programs outside the process (the course's Python ladder, or a student's own
//! program), described by small TOML files and run through one harness.
//!
//! The protocol, for a peer's author:
//! - `ladder` writes the vectors once, as a float32 C-order `.npy` of shape (n, d), and runs
//!   the peer's `command` with its placeholders filled in: `{python}` (the Python interpreter
//!   found), `{dir}` (the folder of the peer's file), `{input}` (the `.npy`), `{row_start}` and
//!   `{row_end}` (compute rows `row_start..row_end`, end excluded), `{k}`, `{threads}`,
//!   `{output}` and `{sims}` (where to write the result).
//! - A `full` peer writes rows `row_start..row_end` of S as a float32 C-order `.npy` of shape
//!   (rows, n) to `{output}`. A `topk` peer writes each row's k best other rows, best first, as
//!   int64 indices of shape (rows, k) to `{output}` and their cosines as float32 to `{sims}`.
//! - Its last line on standard output is one JSON object: `{"setup_s": …, "kernel_s": …}`,
//!   and optionally `"compile_s"` (a JIT's first-call compile time, part of `setup_s`).
//! - Exit status 0 means success; anything else is a failure, shown with the end of its
//!   standard error.
//!
//! Each call is one process. The runner times a first small block, then sizes the next to the
//! time budget, so slow peers run a prefix of rows and are extrapolated like slow rungs.
//!
//! The rooms: [`spec`] (the file format), [`shipped`] (the peers in the binary and their
//! cache folder), [`probe`] (interpreter, modules and programs found here), [`process`] (one
//! program run in its own process group, with limits, cancellation and its cost measured),
//! [`spy`] (py-spy around a call), [`readback`] (the results and times a peer hands back), and
//! [`rung`], the thin adapter that makes a peer a [`crate::rungs::Rung`]. This part uses only
//! `workload`, `rungs` and `fsio`.

pub mod probe;
pub mod process;
pub mod readback;
pub mod rung;
pub mod shipped;
pub mod spec;
pub mod spy;

pub use probe::{Availability, python, which};
pub use process::running_pid;
pub use rung::Peer;
pub use shipped::shipped;
pub use spec::{FORMAT_VERSION, PeerError, PeerSpec, load_dir, parse_peer};
pub use spy::{Spy, spy_folded};
