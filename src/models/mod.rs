//! The protocol models, one folder each, and the registry the command line looks them up in.

pub mod init_lock;
pub mod isolate;
pub mod prewarm_lock;
pub mod restart_lock;

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
    let proto = scenario::protocol_of(src)?;
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
