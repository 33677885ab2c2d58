//! The protocol models, one folder each, and the registry the command line looks them up in.

pub(crate) mod env;
pub mod init_lock;
pub(crate) mod invariant_table;
pub mod isolate;
pub(crate) mod loaded;
pub mod prewarm_lock;
pub(crate) mod process;
pub(crate) mod process_keys;
pub mod restart_lock;
pub(crate) mod symmetry;

use crate::protocol::{LoadedScenario, ProtocolInfo};
use crate::scenario::{self, ScenarioError, Source};

/// Every protocol lockstep knows, in the order `lockstep list` shows them.
pub fn protocols() -> Vec<&'static dyn ProtocolInfo> {
    vec![
        &init_lock::PROTOCOL,
        &isolate::PROTOCOL,
        &restart_lock::PROTOCOL,
        &prewarm_lock::PROTOCOL,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn ProtocolInfo> {
    protocols().into_iter().find(|p| p.id() == id)
}

/// Reads the protocol a file names and loads the file with it.
pub fn load(src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
    load_as(src, false)
}

/// Whether a scenario's `protocol` names a protocol file rather than a built-in id.
pub fn names_file(protocol: &str) -> bool {
    protocol.ends_with(&format!(".{}", crate::lang::EXTENSION)) || protocol.contains('/')
}

/// Loads a scenario; `interpreted`: a built-in protocol runs against its shipped protocol file
/// instead of its Rust model.
pub fn load_as(src: &Source, interpreted: bool) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
    let proto = scenario::protocol_of(src)?;
    let wanted = scenario::wants_protocol_file(src);
    if let Some(w) = wanted
        .as_ref()
        .filter(|w| *w.get_ref() && names_file(proto.get_ref()))
    {
        return Err(src
            .error(
                Some(w.span()),
                "`protocol_file` is for a built-in protocol's scenario",
            )
            .help("this scenario names its protocol file already: remove the key"));
    }
    let interpreted = interpreted || wanted.is_some_and(|w| *w.get_ref());
    if names_file(proto.get_ref()) {
        let fp = crate::lang::registry::resolve(src, &proto)?;
        let mut l = fp.load(src)?;
        l.set_protocol_hash(
            crate::scenario::Source::new(fp.protocol.path.clone(), fp.protocol.text.clone()).hash(),
        );
        return Ok(l);
    }
    if interpreted {
        return match crate::lang::registry::embedded(proto.get_ref()) {
            Some(fp) => {
                let fp = fp?;
                let mut l = fp.load(src)?;
                l.set_interpreted();
                Ok(l)
            }
            None => Err(src
                .error(
                    Some(proto.span()),
                    format!(
                        "protocol `{}` has no shipped protocol file yet",
                        proto.get_ref()
                    ),
                )
                .help(format!(
                    "--interpreted runs: {}",
                    crate::lang::registry::EMBEDDED
                        .iter()
                        .map(|(id, _, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
        };
    }
    let Some(p) = find(proto.get_ref()) else {
        let known: Vec<&str> = protocols().iter().map(|p| p.id()).collect();
        return Err(src
            .error(
                Some(proto.span()),
                format!("unknown protocol `{}`", proto.get_ref()),
            )
            .help(format!("the protocols are: {}", known.join(", "))));
    };
    p.load(src)
}
