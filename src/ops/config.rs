//! A configuration file (TOML) of command-line flags: each key is a flag's long name
//! (`max-calls = 50000`, `listen = ["127.0.0.1:5060", "[::1]:5060"]`), and becomes that flag
//! unless the command line gives it too, so a flag always overrides the file. The values go
//! through the same parsers as typed flags, so they are checked and explained the same way,
//! and a flag added to the command later is a key of the file at once.

use std::fmt::Write as _;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};
use toml::Value;

/// Keys a file cannot hold: they are about the run of the command, not its settings.
const NOT_IN_A_FILE: &[&str] = &["config", "help", "version"];

/// The flags (`--name=value`, one per value) that `text` adds to the command line of `cmd`,
/// given what `given` (the command line, parsed) already set. `Err`: one line naming the key.
pub fn args_from_toml(text: &str, cmd: &Command, given: &ArgMatches) -> Result<Vec<String>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| where_in(text, &e))?;
    let mut args = Vec::new();
    for (key, value) in &table {
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && !NOT_IN_A_FILE.contains(&key.as_str()))
            .ok_or_else(|| format!("unknown key `{key}` (keys are the flags' names, as `max-calls`)"))?;
        if given.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue;
        }
        let switch = matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
        let values = match value {
            Value::Array(items) if matches!(arg.get_action(), ArgAction::Append) => items.iter().collect(),
            Value::Array(_) => return Err(format!("`{key}` takes one value, not a list")),
            one => vec![one],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Integer(n) => n.to_string(),
                Value::Float(x) => x.to_string(),
                Value::Boolean(on) if switch => {
                    if *on {
                        args.push(format!("--{key}"));
                    }
                    continue;
                }
                Value::Boolean(b) => b.to_string(),
                _ => return Err(format!("`{key}`: a string, number, boolean or list of them was expected")),
            };
            if switch {
                return Err(format!("`{key}` is true or false"));
            }
            args.push(format!("--{key}={text}"));
        }
    }
    Ok(args)
}

/// A TOML error in one line: where (line number) and what.
fn where_in(text: &str, e: &toml::de::Error) -> String {
    let mut out = String::new();
    if let Some(span) = e.span() {
        let line = text.get(..span.start).map_or(1, |t| t.matches('\n').count() + 1);
        let _ = write!(out, "line {line}: ");
    }
    out.push_str(e.message().trim());
    out.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Command {
        Command::new("t")
            .arg(clap::Arg::new("max").long("max-calls").default_value("5"))
            .arg(clap::Arg::new("listen").long("listen").action(ArgAction::Append))
            .arg(clap::Arg::new("quiet").long("quiet").action(ArgAction::SetTrue))
    }

    fn args(file: &str, line: &[&str]) -> Result<Vec<String>, String> {
        let given = cmd().try_get_matches_from(std::iter::once("t").chain(line.iter().copied())).unwrap();
        args_from_toml(file, &cmd(), &given)
    }

    #[test]
    fn keys_become_flags_the_command_line_does_not_give() {
        let file = "max-calls = 7\nlisten = [\"a\", \"b\"]\nquiet = true\n";
        assert_eq!(args(file, &[]).unwrap(), ["--listen=a", "--listen=b", "--max-calls=7", "--quiet"]);
        assert_eq!(args(file, &["--listen", "c", "--max-calls", "9"]).unwrap(), ["--quiet"]);
    }

    #[test]
    fn a_bad_file_is_one_line_naming_the_key_or_the_line() {
        assert!(args("max-call = 7", &[]).unwrap_err().contains("unknown key `max-call`"));
        assert!(args("max-calls = [1, 2]", &[]).unwrap_err().contains("one value"));
        assert!(args("quiet = 1", &[]).unwrap_err().contains("true or false"));
        let e = args("listen = [\"a\"]\nmax-calls = = 3", &[]).unwrap_err();
        assert!(e.starts_with("line 2: ") && !e.contains('\n'), "{e}");
    }
}
