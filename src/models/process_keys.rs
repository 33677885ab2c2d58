//! The scenario keys every `[[actor]]` of a file-lock protocol takes (the restart lock, the
//! prewarm lock): its name, its arrival, and the process keys (host, pid, uid, crash and pause
//! points and instants, pid reuse), declared once with [`process_actor_file!`] beside the
//! protocol's own keys, and validated once by [`process_name`] and [`process_env`].

use std::ops::Range;

use toml::Spanned;

use super::env::{self, ActorEnv, ActorEnvFile, HostSpec};
use crate::scenario::{at, ScenarioError, Source};

/// An `[[actor]]` table declared by [`process_actor_file!`].
pub trait ProcessFile {
    fn name_key(&self) -> &Spanned<String>;
    fn env_file(&self) -> ActorEnvFile<'_>;
    /// Where a clash of pids is shown: its `pid` key, or its name when it has none.
    fn pid_span(&self) -> Range<usize>;
}

/// Declares a file-lock protocol's `[[actor]]` table: `name` and `arrive_ms`, the fields given
/// (the protocol's own keys), then the process keys; it implements [`ProcessFile`].
macro_rules! process_actor_file {
    ($(#[$doc:meta])* pub struct $file:ident { $($(#[$fdoc:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        pub struct $file {
            pub name: toml::Spanned<String>,
            pub arrive_ms: toml::Spanned<$crate::scenario::Choice<u64>>,
            $($(#[$fdoc])* pub $field: $ty,)*
            pub host: Option<toml::Spanned<String>>,
            pub pid: Option<toml::Spanned<i64>>,
            pub uid: Option<toml::Spanned<i64>>,
            /// kill -9 at this instant.
            pub crash_at_ms: Option<toml::Spanned<i64>>,
            /// kill -9 right after the step that reaches this point (see `lockstep list`).
            pub crash_at: Option<toml::Spanned<String>>,
            pub pause_at_ms: Option<toml::Spanned<i64>>,
            pub pause_at: Option<toml::Spanned<String>>,
            pub pause_ms: Option<toml::Spanned<i64>>,
            pub pid_reused_at_ms: Option<toml::Spanned<i64>>,
            pub pid_reused_uid: Option<toml::Spanned<i64>>,
        }

        impl $crate::models::process_keys::ProcessFile for $file {
            fn name_key(&self) -> &toml::Spanned<String> {
                &self.name
            }
            fn env_file(&self) -> $crate::models::env::ActorEnvFile<'_> {
                $crate::models::env::ActorEnvFile {
                    host: &self.host,
                    pid: &self.pid,
                    uid: &self.uid,
                    crash_at_ms: &self.crash_at_ms,
                    crash_at: &self.crash_at,
                    pause_at_ms: &self.pause_at_ms,
                    pause_at: &self.pause_at,
                    pause_ms: &self.pause_ms,
                    pid_reused_at_ms: &self.pid_reused_at_ms,
                    pid_reused_uid: &self.pid_reused_uid,
                }
            }
            fn pid_span(&self) -> std::ops::Range<usize> {
                self.pid.as_ref().map_or(self.name.span(), |p| p.span())
            }
        }
    };
}
pub(crate) use process_actor_file;

/// `name`: a word unlike every `earlier` actor's, since it also names the actor's paths.
pub fn process_name<'a>(
    src: &Source,
    a: &impl ProcessFile,
    mut earlier: impl Iterator<Item = &'a str>,
) -> Result<String, ScenarioError> {
    let key = a.name_key();
    let name = key.get_ref().trim().to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(at(
            src,
            key,
            "an actor's name is a non-empty word of letters, digits and `_`",
        ));
    }
    if earlier.any(|x| x == name) {
        return Err(at(src, key, format!("two actors are named `{name}`"))
            .help("give every actor its own name"));
    }
    Ok(name)
}

/// Where a process stands in its scenario: the hosts, the protocol's named points, and its
/// position (its default pid is `101 + index`).
pub struct Place<'a> {
    pub hosts: &'a [HostSpec],
    pub points: &'a [(&'a str, &'a str)],
    pub index: usize,
}

/// The process actor `a` (named `name`, arriving at one of `arrive`) is: its environment keys
/// validated, and a pid no `earlier` actor has on its host.
pub fn process_env<'a>(
    src: &Source,
    a: &impl ProcessFile,
    (name, arrive): (&str, &[u64]),
    place: &Place<'_>,
    earlier: impl Iterator<Item = (&'a str, &'a ActorEnv)>,
) -> Result<ActorEnv, ScenarioError> {
    let min_arrive = *arrive.iter().min().unwrap_or(&0);
    let pid_default = 101 + place.index as u32;
    let env = env::actor_env(
        src,
        a.env_file(),
        place.hosts,
        place.points,
        min_arrive,
        pid_default,
    )?;
    env::distinct_process(src, a.pid_span(), name, &env, earlier)?;
    Ok(env)
}
