//! The `handoff` binary the suites run: the one cargo built for this system, or another command
//! line named by `HANDOFF_CLI_UNDER_TEST` — scripts/test.sh sets it to
//! `<wine64> <…>/handoff.exe`, so that the same suites run the Windows build under Wine against
//! the service running natively here, in this test process.
#![allow(dead_code)]

use std::process::Command;

pub const CLI_UNDER_TEST_ENV: &str = "HANDOFF_CLI_UNDER_TEST";

/// A command that runs the CLI under test.
pub fn handoff_command() -> Command {
    match std::env::var(CLI_UNDER_TEST_ENV).ok().filter(|v| !v.trim().is_empty()) {
        Some(line) => {
            let mut words = line.split_whitespace();
            let mut command = Command::new(words.next().expect("a program"));
            command.args(words);
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_handoff")),
    }
}

/// Whether the CLI under test is this system's own build (not, say, the Windows one under Wine).
pub fn is_native() -> bool {
    std::env::var(CLI_UNDER_TEST_ENV).map_or(true, |v| v.trim().is_empty())
}
