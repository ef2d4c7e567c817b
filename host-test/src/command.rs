//! The `s3-connector` command line: parses the arguments and runs one
//! operation ([`crate::cli`]), a batch of them ([`crate::batch`]), or
//! prints shell completions. Both modes share [`crate::cli`]'s
//! resolution of inputs and connections; neither depends on this module.

use std::io::Write;

use clap::Parser;

use crate::cli::{run_with_server, Args, BATCH};
use crate::local_server::LocalServer;
use crate::redact::Secrets;

/// Parses the command line and runs it; returns the exit code.
pub fn main() -> i32 {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut secrets = Secrets::from_env(&env);
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(error) => return usage_error(&error, &secrets),
    };
    if let Some(shell) = args.completions {
        use clap::CommandFactory as _;
        use clap_complete::Generator as _;
        let mut command = Args::command();
        command.set_bin_name("s3-connector");
        command.build();
        // Into memory first: a closed pipe is then a failed write, not a panic.
        let mut script = Vec::new();
        let written = shell
            .try_generate(&command, &mut script)
            .and_then(|()| std::io::stdout().lock().write_all(&script));
        return if written.is_ok() { 0 } else { 1 };
    }
    let mut server = None;
    if args.operation() == crate::serve::SERVE {
        return crate::serve::main(&args, &env);
    }
    let code = if args.operation() == BATCH {
        crate::batch::main(&args, &env, &mut server, &mut secrets)
    } else {
        main_single(&args, &env, &mut server, &mut secrets)
    };
    if let (Some(seconds), Some(server)) = (args.keep_serving, &server) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "serving {} at {} for {seconds} s",
            server.root().display(),
            server.endpoint()
        );
        std::thread::sleep(std::time::Duration::from_secs(seconds));
    }
    code
}

/// Prints a usage error of the argument parser (help and `--version` as
/// they are) with any argument that may hold a secret hidden; returns the
/// exit code (2 for an error).
fn usage_error(error: &clap::Error, secrets: &Secrets) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return error.exit_code();
    }
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let text = crate::redact::usage_error(&error.render().to_string(), &args, secrets);
    let _ = write!(std::io::stderr().lock(), "{text}");
    error.exit_code()
}

/// Runs one operation: its result on stdout, or its error on stderr, with
/// every secret known masked.
fn main_single(
    args: &Args,
    env: &[(String, String)],
    server: &mut Option<LocalServer>,
    secrets: &mut Secrets,
) -> i32 {
    match run_with_server(args, env, server, secrets) {
        Ok(Some(result)) => {
            use std::io::IsTerminal as _;
            // Fields in the order the operation declares them; indented for
            // a person, one line for a program.
            let text = if args.pretty || std::io::stdout().is_terminal() {
                serde_json::to_string_pretty(&result)
            } else {
                serde_json::to_string(&result)
            }
            .unwrap_or_default();
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", secrets.mask(&text)).and_then(|()| out.flush());
            0
        }
        Ok(None) => 0,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}",
                secrets.mask(&error.to_json_line())
            );
            1
        }
    }
}
