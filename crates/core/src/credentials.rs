//! The secrets of a profile and where they live: the OS keychain (Secret Service, Keychain,
//! Credential Manager) — never a plain file. Two per profile: the bearer token of its service
//! (`HANDOFF_SERVER` / `HANDOFF_TOKEN` override for scripts) and the key of its encrypted cache
//! (`HANDOFF_CACHE_KEY` overrides, for machines without a keychain).

use std::path::Path;

use crate::error::{CoreError, CoreResult};
use crate::profile::{env_value, CACHE_KEY_ENV, SERVER_ENV, TOKEN_ENV};
use crate::store::CacheKey;

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
    keychain_entry(&format!("{server} ({})", data_dir.display()))
}

fn keychain_entry(account: &str) -> CoreResult<keyring::Entry> {
    ensure_persistent_keychain()?;
    keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(keychain_error)
}

/// The key of the profile's encrypted cache: `HANDOFF_CACHE_KEY`, else the keychain's, made
/// there on first use. A key that went missing from the keychain is replaced by a new one; the
/// cache it no longer opens is set aside by [`crate::LocalStore::open`]. Blocks.
pub fn cache_key(data_dir: &Path) -> CoreResult<CacheKey> {
    if let Some(text) = env_value(CACHE_KEY_ENV) {
        return CacheKey::from_hex(&text).ok_or_else(|| {
            CoreError::Invalid(format!("{CACHE_KEY_ENV} must be 64 hexadecimal digits (a 256-bit key)"))
        });
    }
    let entry = keychain_entry(&format!("cache key ({})", data_dir.display()))?;
    match entry.get_password() {
        Ok(text) => match CacheKey::from_hex(&text) {
            Some(key) => return Ok(key),
            None => tracing::warn!("the cache key in the keychain is malformed; making a new one"),
        },
        Err(keyring::Error::NoEntry) => {}
        Err(e) => return Err(keychain_error(e)),
    }
    let key = CacheKey::random();
    entry.set_password(&key.to_hex()).map_err(keychain_error)?;
    Ok(key)
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
            "{KEYCHAIN_NAME} cannot be reached ({e}). {KEYCHAIN_ADVICE}, or set {SERVER_ENV}, \
             {TOKEN_ENV} and {CACHE_KEY_ENV} in the environment instead"
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
