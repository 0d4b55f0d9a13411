use std::process::ExitCode;

fn main() -> ExitCode {
    supportdesk::cli::run()
}
