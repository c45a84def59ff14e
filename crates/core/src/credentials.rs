//! Where the bearer token lives: the OS keychain (Secret Service, Keychain, Credential
//! Manager) — never a plain file. `HANDOFF_SERVER` / `HANDOFF_TOKEN` override for scripts.

use std::path::Path;

use crate::error::{CoreError, CoreResult};
use crate::profile::{env_value, SERVER_ENV, TOKEN_ENV};

const KEYCHAIN_SERVICE: &str = "handoff-desk";

/// Which keychain keeps tokens on this system, for people (status lines, docs).
pub const KEYCHAIN_NAME: &str = if cfg!(target_os = "macos") {
    "the macOS Keychain"
} else if cfg!(windows) {
    "the Windows Credential Manager"
} else {
    "the Secret Service keychain"
};

/// What usually makes the keychain reachable again.
const KEYCHAIN_ADVICE: &str = if cfg!(target_os = "macos") {
    "Unlock the login keychain in Keychain Access and allow Handoff Desk to use it"
} else if cfg!(windows) {
    "Sign in to Windows with your own account (the Credential Manager belongs to it)"
} else {
    "Start a Secret Service such as gnome-keyring or KWallet and unlock it"
};

/// Server and token to talk to, and where they came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub server: String,
    pub token: String,
    pub from_environment: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("server", &self.server).field("token", &"…").finish()
    }
}

/// The keychain entry of one profile and server.
fn entry(data_dir: &Path, server: &str) -> CoreResult<keyring::Entry> {
    ensure_persistent_keychain()?;
    let account = format!("{server} ({})", data_dir.display());
    keyring::Entry::new(KEYCHAIN_SERVICE, &account).map_err(keychain_error)
}

/// Refuses keyring's in-memory fallback: a build for a system without its platform store would
/// otherwise "keep" the token only until the process ends, and sign the agent out on every start.
fn ensure_persistent_keychain() -> CoreResult<()> {
    use keyring::credential::CredentialPersistence;
    match keyring::default::default_credential_builder().persistence() {
        CredentialPersistence::UntilDelete => Ok(()),
        _ => Err(CoreError::Keychain(format!(
            "this build of Handoff Desk has no OS keychain for this system, so a token could not be \
             kept. Set {SERVER_ENV} and {TOKEN_ENV} in the environment instead"
        ))),
    }
}

fn keychain_error(error: keyring::Error) -> CoreError {
    match error {
        keyring::Error::NoEntry => CoreError::NotSignedIn,
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => CoreError::Keychain(format!(
            "{KEYCHAIN_NAME} cannot be reached ({e}). {KEYCHAIN_ADVICE}, or set {SERVER_ENV} and \
             {TOKEN_ENV} in the environment instead"
        )),
        other => CoreError::Keychain(format!("{KEYCHAIN_NAME} failed: {other}")),
    }
}

/// Saves the token in the keychain. Blocks: call off the async runtime.
pub fn store_token(data_dir: &Path, server: &str, token: &str) -> CoreResult<()> {
    entry(data_dir, server)?.set_password(token).map_err(keychain_error)
}

/// Reads the token from the keychain. Blocks.
pub fn load_token(data_dir: &Path, server: &str) -> CoreResult<String> {
    entry(data_dir, server)?.get_password().map_err(keychain_error)
}

/// Removes the token from the keychain; a missing one is fine. Blocks.
pub fn delete_token(data_dir: &Path, server: &str) -> CoreResult<()> {
    match entry(data_dir, server)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keychain_error(e)),
    }
}

/// The credentials to use: the environment first, then the stored server and keychain token.
pub fn resolve(data_dir: &Path, stored_server: Option<String>) -> CoreResult<Credentials> {
    let env_server = env_value(SERVER_ENV);
    let env_token = env_value(TOKEN_ENV);
    let server = env_server.clone().or(stored_server).ok_or(CoreError::NotSignedIn)?;
    match env_token {
        Some(token) => Ok(Credentials { server, token, from_environment: true }),
        None => {
            let token = load_token(data_dir, &server)?;
            Ok(Credentials { server, token, from_environment: env_server.is_some() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_keeps_tokens_in_a_keychain_that_outlives_the_process() {
        // keyring without this system's platform feature falls back to a mock that forgets.
        assert!(ensure_persistent_keychain().is_ok(), "no persistent keychain in this build for this system");
    }
}
