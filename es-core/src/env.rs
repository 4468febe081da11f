//! Environment variables (12-factor), read one way by every service.
//!
//! Each variable is declared once, as a [`Variable`]: its name, its default and what it
//! means, in a list per concern (`command::config::VARIABLES`,
//! `identity::config::VARIABLES`, …). The reader, [`Env`], takes the declaration, and
//! each service's `--help` prints the same lists ([`help`]), so what a service reads and
//! what it says it reads cannot drift. A malformed value is a [`ConfigError`] naming the
//! variable once; a blank value is the same as an unset one.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

/// One environment variable a service reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    /// The value used when the variable is unset or blank; empty when there is none or
    /// when it is computed (the meaning then says how).
    pub default: &'static str,
    /// What it sets, for `--help`.
    pub meaning: &'static str,
}

impl Variable {
    pub const fn new(name: &'static str, default: &'static str, meaning: &'static str) -> Self {
        Variable {
            name,
            default,
            meaning,
        }
    }
}

/// A variable that is missing or malformed, named so an operator can fix it. The
/// message never repeats a value that could be a secret: the readers that take secrets
/// (URLs with passwords, tokens) say what is wrong without echoing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            variable,
            message: message.into(),
        }
    }
}

/// Reads variables through a lookup: the process environment in production
/// ([`Env::process`]), a table in tests.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

fn process_variable(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Env { lookup }
    }

    pub fn process() -> Env<'static> {
        Env {
            lookup: &process_variable,
        }
    }

    /// The value, trimmed, when set and not blank (the default is not applied).
    pub fn value(&self, variable: &Variable) -> Option<String> {
        (self.lookup)(variable.name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// The value, or the variable's default.
    pub fn value_or_default(&self, variable: &Variable) -> String {
        self.value(variable)
            .unwrap_or_else(|| variable.default.to_owned())
    }

    /// The value (or the default) through `parse`, whose error names the variable.
    pub fn read<T>(
        &self,
        variable: &Variable,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        parse(&self.value_or_default(variable)).map_err(|message| ConfigError {
            variable: variable.name,
            message,
        })
    }

    /// `None` when unset, else the value through `parse`.
    pub fn read_optional<T>(
        &self,
        variable: &Variable,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.value(variable)
            .map(|value| {
                parse(&value).map_err(|message| ConfigError {
                    variable: variable.name,
                    message,
                })
            })
            .transpose()
    }

    /// A whole number in `range`.
    pub fn number(
        &self,
        variable: &Variable,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        self.read(variable, |raw| {
            raw.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "`{raw}` is not a number from {} to {}",
                        range.start(),
                        range.end()
                    )
                })
        })
    }

    /// Milliseconds in `range`.
    pub fn millis(
        &self,
        variable: &Variable,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.read(variable, |raw| {
            raw.parse::<u64>()
                .ok()
                .filter(|ms| range.contains(ms))
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    format!(
                        "`{raw}` is not a number of milliseconds from {} to {}",
                        range.start(),
                        range.end()
                    )
                })
        })
    }

    /// Seconds, `None` when unset.
    pub fn seconds(&self, variable: &Variable) -> Result<Option<Duration>, ConfigError> {
        self.read_optional(variable, |raw| {
            raw.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("`{raw}` is not a number of seconds"))
        })
    }

    pub fn socket_address(&self, variable: &Variable) -> Result<SocketAddr, ConfigError> {
        self.read(variable, |raw| {
            raw.parse()
                .map_err(|_| format!("`{raw}` is not a socket address like {}", variable.default))
        })
    }

    /// An `http://` or `https://` URL.
    pub fn http_url(&self, variable: &Variable) -> Result<String, ConfigError> {
        self.read(variable, |raw| {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                Ok(raw.to_owned())
            } else {
                Err(format!("`{raw}` is not an http(s) URL"))
            }
        })
    }

    /// `true`/`1` (or `also_true`), `false`/`0`; unset is `false`.
    pub fn flag(&self, variable: &Variable, also_true: &str) -> Result<bool, ConfigError> {
        Ok(self
            .read_optional(variable, |raw| match raw {
                "false" | "0" => Ok(false),
                "true" | "1" => Ok(true),
                other if other == also_true => Ok(true),
                other => Err(format!("`{other}` is neither true nor false")),
            })?
            .unwrap_or(false))
    }

    /// Comma-separated items, blanks skipped; empty when unset.
    pub fn list<T>(
        &self,
        variable: &Variable,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        self.value_or_default(variable)
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                parse(item).map_err(|message| ConfigError {
                    variable: variable.name,
                    message,
                })
            })
            .collect()
    }
}

/// The variables of a service, for `--help`: a heading per section, one line per
/// variable with its default.
pub fn help(sections: &[(&str, &[Variable])]) -> String {
    let width = sections
        .iter()
        .flat_map(|(_, variables)| variables.iter())
        .map(|variable| variable.name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from("Environment variables (unset or blank: the default):\n");
    for (heading, variables) in sections {
        let _ = writeln!(text, "\n{heading}:");
        for variable in *variables {
            let _ = write!(text, "  {:width$}  {}", variable.name, variable.meaning);
            if !variable.default.is_empty() {
                let _ = write!(text, " [default: {}]", variable.default);
            }
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: Variable = Variable::new("PORT", "127.0.0.1:8080", "where to listen");
    const SIZE: Variable = Variable::new("SIZE", "10", "how many");
    const NAMES: Variable = Variable::new("NAMES", "", "who");

    fn with<T>(vars: &[(&str, &str)], read: impl FnOnce(Env) -> T) -> T {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        read(Env::new(&lookup))
    }

    #[test]
    fn an_unset_or_blank_variable_takes_its_default() {
        for vars in [&[][..], &[("SIZE", "  ")][..]] {
            assert_eq!(with(vars, |env| env.number(&SIZE, 1..=100)), Ok(10));
        }
        assert_eq!(
            with(&[("SIZE", " 7 ")], |env| env.number(&SIZE, 1..=100)),
            Ok(7)
        );
    }

    #[test]
    fn a_malformed_value_is_an_error_naming_the_variable_once() {
        type Read = fn(Env) -> Result<(), ConfigError>;
        let cases: [(&str, &str, Read); 3] = [
            ("SIZE", "many", |env| env.number(&SIZE, 1..=100).map(drop)),
            ("SIZE", "101", |env| env.number(&SIZE, 1..=100).map(drop)),
            ("PORT", "nonsense", |env| {
                env.socket_address(&PORT).map(drop)
            }),
        ];
        for (name, value, read) in cases {
            let error = with(&[(name, value)], read).expect_err(value);
            assert_eq!(error.variable, name);
            let text = error.to_string();
            assert_eq!(text.matches(name).count(), 1, "{text}");
            assert!(text.contains(value), "{text}");
        }
    }

    #[test]
    fn lists_are_comma_separated_and_skip_blanks() {
        let names = with(&[("NAMES", "a, b,,c ")], |env| {
            env.list(&NAMES, |item| Ok(item.to_owned()))
        });
        assert_eq!(names, Ok(vec!["a".to_owned(), "b".into(), "c".into()]));
        assert_eq!(
            with(&[], |env| env.list(&NAMES, |item| Ok(item.to_owned()))),
            Ok(vec![])
        );
    }

    #[test]
    fn help_lists_every_variable_with_its_default() {
        let text = help(&[("Listener", &[PORT, NAMES]), ("Sizes", &[SIZE])]);
        assert!(
            text.contains("PORT   where to listen [default: 127.0.0.1:8080]"),
            "{text}"
        );
        assert!(text.contains("NAMES  who\n"), "{text}");
        assert!(
            text.contains("Sizes:\n  SIZE   how many [default: 10]"),
            "{text}"
        );
    }
}
