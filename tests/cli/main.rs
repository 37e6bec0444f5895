//! The command line as a user meets it: exit codes, the JSON schema, error messages.

mod bench;
mod errors;
mod flame;
mod machine;
mod run;
mod scale;

use assert_cmd::Command;

fn ladder() -> Command {
    Command::cargo_bin("ladder").unwrap()
}
