//! `pyro-nsc`: the name server control tool, with the options, commands and output of Pyro5's
//! `pyro5-nsc` (`python -m Pyro5.nsc`). Works against pyro's `pyro-ns` and Pyro5's name server.
//!
//! ```sh
//! pyro-nsc ping                                   # find the name server (NS_HOST, else broadcast)
//! pyro-nsc -n 127.0.0.1 -p 9090 list example.     # at a known host and port
//! pyro-nsc register example.thing PYRO:thing@localhost:4444
//! pyro-nsc setmeta example.thing red round        # no tags: clear the metadata
//! pyro-nsc yplookup_all red round
//! pyro-nsc removematching 'example\..*' --yes     # without --yes it asks (y/n) on stdin
//! ```
//!
//! As in Pyro5, `-p` is the name server's port with `-n`, and the broadcast port without it.
//! A failed command prints `Error: <exception class> - <message>` on stderr and exits with 1.

mod output;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyro::naming::{NameServerProxy, locate_ns};
use pyro::{Error, Uri};

/// Pyro name server control utility.
#[derive(Debug, Parser)]
#[command(name = "pyro-nsc", version, about = "Pyro name server control utility (Pyro5-compatible).")]
struct Args {
    /// Hostname of the NS (default: locate it as Pyro5 does: NS_HOST, then broadcast).
    #[arg(short = 'n', long, global = true)]
    host: Option<String>,
    /// Port of the NS (or the broadcast port if no host is given).
    #[arg(short, long, global = true)]
    port: Option<u16>,
    /// Unix domain socket name of the NS.
    #[arg(short, long = "unixsocket", value_name = "UNIXSOCKET", global = true)]
    unixsocket: Option<String>,
    /// Verbose output.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The commands of `pyro5-nsc`.
#[derive(Debug, Subcommand)]
enum Command {
    /// List the registrations, optionally only those whose name starts with PREFIX.
    List {
        /// Name prefix.
        prefix: Option<String>,
    },
    /// List the registrations whose name matches PATTERN (a regex anchored at the start).
    #[command(name = "listmatching")]
    ListMatching {
        /// Regular expression.
        pattern: String,
    },
    /// List the registrations that have all of these metadata tags.
    #[command(name = "yplookup_all")]
    YplookupAll {
        /// Metadata tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// List the registrations that have any of these metadata tags.
    #[command(name = "yplookup_any")]
    YplookupAny {
        /// Metadata tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Show the URI and metadata registered under NAME.
    Lookup {
        /// The registered name.
        name: String,
    },
    /// Register URI under NAME (refused if NAME is taken).
    Register {
        /// The name.
        name: String,
        /// The object's URI, e.g. PYRO:obj@host:port.
        uri: String,
    },
    /// Remove the registration NAME.
    Remove {
        /// The registered name.
        name: String,
    },
    /// Remove every registration whose name matches PATTERN, after confirmation.
    #[command(name = "removematching")]
    RemoveMatching {
        /// Regular expression (anchored at the start).
        pattern: String,
        /// Don't ask for confirmation.
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Replace the metadata tags of NAME (no tags: clear them).
    #[command(name = "setmeta")]
    SetMeta {
        /// The registered name.
        name: String,
        /// The new metadata tags.
        tags: Vec<String>,
    },
    /// Check that the name server answers.
    Ping,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.verbose {
        say("Locating name server...");
    }
    let host = match &args.unixsocket {
        Some(path) => Some(format!("./u:{path}")),
        None => args.host.clone(),
    };
    let ns = match locate_ns(host.as_deref(), args.port) {
        Ok(ns) => ns,
        Err(Error::Naming { message }) => return fail(&message),
        Err(e) => return fail(&e.to_string()),
    };
    if args.verbose {
        say(&format!("Name server found: {}", ns.uri()));
    }
    let mut out = std::io::stdout().lock();
    let result = run(&ns, args.command, &mut out);
    drop(out);
    match result {
        Ok(()) => {}
        Err(Failure::Pyro(e)) => {
            if let Some(remote) = e.remote().filter(|remote| args.verbose && !remote.traceback.is_empty()) {
                eprint!("Remote traceback:\n{}", remote.traceback.concat());
            }
            return fail(&output::error(&e));
        }
        Err(Failure::Confirmation(e)) => return fail(&format!("cannot ask for confirmation: {e}")),
        // The reader went away (`pyro-nsc list | head`): nothing more to say to anyone.
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::FAILURE,
        Err(Failure::Output(e)) => return fail(&format!("cannot write the output: {e}")),
    }
    if args.verbose {
        say("Done.");
    }
    ExitCode::SUCCESS
}

/// A line on stdout; a reader that went away is no reason to stop.
fn say(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn fail(message: &str) -> ExitCode {
    let _ = std::io::stdout().flush();
    eprintln!("Error: {message}");
    ExitCode::FAILURE
}

/// Why a command failed.
enum Failure {
    /// The name server call failed.
    Pyro(Error),
    /// The confirmation could not be read.
    Confirmation(std::io::Error),
    /// Standard output could not be written.
    Output(std::io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Pyro(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Output(e)
    }
}

fn run(ns: &NameServerProxy, command: Command, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        Command::Ping => {
            ns.ping()?;
            writeln!(out, "Name server ping ok.")?;
        }
        Command::List { prefix: None } => write!(out, "{}", output::list(&list(ns, None, None)?, ""))?,
        Command::List { prefix: Some(prefix) } => {
            write!(out, "{}", output::list(&list(ns, Some(&prefix), None)?, &format!("- prefix '{prefix}'")))?;
        }
        Command::ListMatching { pattern } => {
            write!(out, "{}", output::list(&list(ns, None, Some(&pattern))?, &format!("- regex '{pattern}'")))?;
        }
        Command::YplookupAll { tags } => {
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            write!(out, "{}", output::list(&ns.yplookup_with_metadata(&tags, &[])?, " - searched by metadata"))?;
        }
        Command::YplookupAny { tags } => {
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            write!(out, "{}", output::list(&ns.yplookup_with_metadata(&[], &tags)?, " - searched by metadata"))?;
        }
        Command::Lookup { name } => {
            let (uri, metadata) = ns.lookup_with_metadata(&name)?;
            writeln!(out, "{uri}")?;
            if !metadata.is_empty() {
                writeln!(out, "metadata: {}", output::set(&metadata))?;
            }
        }
        Command::Register { name, uri } => {
            let uri: Uri = uri.parse().map_err(Error::from)?;
            ns.register(&name, &uri, true, None)?;
            writeln!(out, "Registered {name}")?;
        }
        Command::Remove { name } => {
            if ns.remove(Some(&name), None, None)? > 0 {
                writeln!(out, "Removed {name}")?;
            } else {
                writeln!(out, "Nothing removed")?;
            }
        }
        Command::RemoveMatching { pattern, yes } => {
            let question = "Potentially removing lots of items from the Name server. Are you sure (y/n)?";
            if yes || confirm(question, out)? {
                let count = ns.remove(None, None, Some(&pattern))?;
                writeln!(out, "{count} items removed.")?;
            }
        }
        Command::SetMeta { name, tags } => {
            let metadata: BTreeSet<String> = tags.into_iter().collect();
            ns.set_metadata(&name, Some(&metadata))?;
            if metadata.is_empty() {
                writeln!(out, "Metadata cleared")?;
            } else {
                writeln!(out, "Metadata updated")?;
            }
        }
    }
    Ok(())
}

/// A listing with metadata.
///
/// Pyro5's own name server cannot send `list(return_metadata=True)` over json or msgpack once
/// a registration without metadata exists (it keeps an empty `frozenset`): it
/// answers with a `SerializeError` and closes the connection. Then the listing is fetched again,
/// on a new connection, without metadata, and each entry's metadata looked up on its own.
fn list(
    ns: &NameServerProxy,
    prefix: Option<&str>,
    regex: Option<&str>,
) -> Result<BTreeMap<String, (Uri, BTreeSet<String>)>, Error> {
    match ns.list_with_metadata(prefix, regex) {
        Err(e) if is_unserializable_metadata(&e) => {
            ns.proxy().release();
            let mut entries = BTreeMap::new();
            for (name, uri) in ns.list(prefix, regex)? {
                let metadata = match ns.lookup_with_metadata(&name) {
                    Ok((_, metadata)) => metadata,
                    // Removed in the meantime: listed without metadata.
                    Err(Error::Naming { .. }) => BTreeSet::new(),
                    Err(e) => return Err(e),
                };
                entries.insert(name, (uri, metadata));
            }
            Ok(entries)
        }
        other => other,
    }
}

/// Whether `error` is how Pyro5's name server fails to send a listing with empty metadata.
fn is_unserializable_metadata(error: &Error) -> bool {
    match error {
        Error::ConnectionClosed { .. } => true,
        Error::Remote(remote) => remote.class == "Pyro5.errors.SerializeError",
        _ => false,
    }
}

/// Asks `question` on stdout and reads the answer from stdin: `y` or `Y` confirms; anything
/// else, or no answer at all, does not.
fn confirm(question: &str, out: &mut impl Write) -> Result<bool, Failure> {
    write!(out, "{question}")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(Failure::Confirmation)?;
    if !std::io::stdin().is_terminal() {
        // The answer was not echoed: end the prompt's line.
        writeln!(out)?;
    }
    Ok(matches!(answer.trim(), "y" | "Y"))
}
