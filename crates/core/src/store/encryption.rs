//! The cache at rest: one SQLCipher file, keyed with a random 256-bit key that the OS keychain
//! keeps (see [`crate::credentials::cache_key`]). Opening it also upgrades what earlier versions
//! left behind: a plain SQLite cache is encrypted in place, and a cache this key cannot read is
//! set aside so a fresh sync can start, never a crash.

use std::fmt;
use std::path::{Path, PathBuf};

use rand::RngCore;
use rusqlite::Connection;

use crate::error::{CoreError, CoreResult};

/// A 256-bit SQLCipher key, used raw (no passphrase derivation: the key is already random).
#[derive(Clone, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Parses the 64 hex digits [`CacheKey::to_hex`] writes.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Keys `conn`, a connection opened on a cache file (tools, tests); must be its first
    /// statement.
    pub fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        // Only hex digits go into the statement, so building it as text is safe.
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", self.to_hex()))
    }

    /// The `KEY` clause of an `ATTACH` for a database encrypted with this key.
    fn attach_clause(&self) -> String {
        format!("KEY \"x'{}'\"", self.to_hex())
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKey(…)")
    }
}

impl Drop for CacheKey {
    fn drop(&mut self) {
        // Best effort: the key should not outlive its use in freed memory.
        for byte in self.0.iter_mut() {
            // SAFETY: a valid, aligned, exclusive reference to a byte of our own array.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// What opening the cache found, for the message a front end shows once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOpening {
    /// An encrypted cache this key reads, or a new one.
    Ready,
    /// A plain cache from an earlier version, now encrypted in place.
    Encrypted,
    /// A cache this key cannot read (the key was lost or replaced in the keychain, or the file
    /// is damaged); it was moved to `set_aside` and an empty cache took its place.
    StartedAfresh { set_aside: PathBuf },
}

impl CacheOpening {
    /// What the person at the keyboard should know, if anything.
    pub fn notice(&self) -> Option<String> {
        match self {
            Self::Ready => None,
            Self::Encrypted => Some("The local cache is now encrypted with a key kept in the OS keychain.".into()),
            Self::StartedAfresh { set_aside } => Some(format!(
                "The local cache could not be read with the key in the OS keychain (the key was removed or \
                 replaced, or the file is damaged). It was moved to {} and a fresh sync has started; unsent \
                 messages in it could not be recovered.",
                set_aside.display()
            )),
        }
    }
}

/// The state of the file at `path` under `key`.
enum FileState {
    Missing,
    Readable,
    Plain,
    Unreadable,
}

fn probe(path: &Path, key: &CacheKey) -> CoreResult<FileState> {
    if !path.exists() {
        return Ok(FileState::Missing);
    }
    let readable = |conn: &Connection| conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
    let keyed = Connection::open(path)?;
    // A wrong key is an expected answer here, not something SQLCipher should print on stderr.
    keyed.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    key.apply(&keyed)?;
    if readable(&keyed).is_ok() {
        return Ok(FileState::Readable);
    }
    drop(keyed);
    let plain = Connection::open(path)?;
    Ok(if readable(&plain).is_ok() { FileState::Plain } else { FileState::Unreadable })
}

/// Makes the file at `path` an encrypted cache `key` opens; reports what that took.
pub(crate) fn prepare(path: &Path, key: &CacheKey) -> CoreResult<CacheOpening> {
    let opening = match probe(path, key)? {
        FileState::Missing => {
            create_private_file(path)?;
            CacheOpening::Ready
        }
        FileState::Readable => CacheOpening::Ready,
        FileState::Plain => {
            encrypt_in_place(path, key)?;
            tracing::info!(path = ?path, "encrypted the plain cache of an earlier version");
            CacheOpening::Encrypted
        }
        FileState::Unreadable => {
            let set_aside = set_aside(path)?;
            create_private_file(path)?;
            tracing::warn!(set_aside = ?set_aside, "the cache key does not open the cache; starting a fresh one");
            CacheOpening::StartedAfresh { set_aside }
        }
    };
    restrict_permissions(path);
    Ok(opening)
}

/// The `-wal` and `-shm` companions SQLite keeps beside a database in WAL mode.
fn companions(path: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
}

fn io_error(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> CoreError {
    let path = path.display().to_string();
    let what = what.to_string();
    move |e| CoreError::DataDir { path, reason: format!("{what}: {e}") }
}

/// Copies the plain cache into an encrypted file beside it, then swaps the two and overwrites the
/// plain bytes before deleting them. A crash part-way leaves the plain cache, encrypted next start.
fn encrypt_in_place(path: &Path, key: &CacheKey) -> CoreResult<()> {
    let encrypted = path.with_extension("sqlite.encrypting");
    remove_with_companions(&encrypted)?;
    create_private_file(&encrypted)?;
    {
        let plain = Connection::open(path)?;
        plain.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let target = encrypted.to_string_lossy().replace('\'', "''");
        plain.execute_batch(&format!(
            "ATTACH DATABASE '{target}' AS encrypted {}; SELECT sqlcipher_export('encrypted'); \
             PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;",
            key.attach_clause()
        ))?;
        // Folds the WAL into the file, so the plain bytes left are all in one place.
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).ok();
    }
    let plain_copy = path.with_extension("sqlite.plain");
    std::fs::rename(path, &plain_copy).map_err(io_error(path, "cannot move the plain cache aside"))?;
    for companion in companions(path) {
        shred(&companion);
    }
    std::fs::rename(&encrypted, path).map_err(io_error(path, "cannot put the encrypted cache in place"))?;
    shred(&plain_copy);
    Ok(())
}

/// Overwrites a file with zeros, then deletes it. On SSDs and copy-on-write file systems the old
/// blocks may survive; full-disk encryption covers those (docs/security.md).
fn shred(path: &Path) {
    use std::io::Write;
    if let Ok(metadata) = std::fs::metadata(path) {
        if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(path) {
            let zeros = vec![0u8; 1 << 16];
            let mut left = metadata.len();
            while left > 0 {
                let n = left.min(zeros.len() as u64) as usize;
                if file.write_all(&zeros[..n]).is_err() {
                    break;
                }
                left -= n as u64;
            }
            let _ = file.sync_all();
        }
    }
    let _ = std::fs::remove_file(path);
}

fn remove_with_companions(path: &Path) -> CoreResult<()> {
    for file in std::iter::once(path.to_path_buf()).chain(companions(path)) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&file, "cannot remove a leftover file")(e)),
        }
    }
    Ok(())
}

/// Deletes a cache [`set_aside`] kept (sign out).
pub(crate) fn remove_set_aside(path: &Path) -> CoreResult<()> {
    remove_with_companions(&set_aside_path(path))
}

fn set_aside_path(path: &Path) -> PathBuf {
    path.with_extension("unreadable.sqlite")
}

/// Moves an unreadable cache (and its WAL) to `cache.unreadable.sqlite`, replacing an older one:
/// still encrypted, so keeping it costs no privacy, and the old key may yet turn up.
fn set_aside(path: &Path) -> CoreResult<PathBuf> {
    let target = set_aside_path(path);
    remove_with_companions(&target)?;
    for (from, to) in std::iter::once((path.to_path_buf(), target.clone()))
        .chain(companions(path).into_iter().zip(companions(&target)))
    {
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&from, "cannot move the unreadable cache aside")(e)),
        }
    }
    Ok(target)
}

/// Creates an empty file readable by this user only; SQLite gives its WAL the same mode.
fn create_private_file(path: &Path) -> CoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(io_error(path, "cannot create the cache file"))
}

/// Caches written by earlier versions were 0644; narrows them (and their WAL) to 0600.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    for file in std::iter::once(path.to_path_buf()).chain(companions(path)) {
        use std::os::unix::fs::PermissionsExt;
        if file.exists() {
            let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_hex_and_never_print() {
        let key = CacheKey::random();
        assert_eq!(CacheKey::from_hex(&key.to_hex()), Some(key.clone()));
        assert_eq!(key.to_hex().len(), 64);
        assert_ne!(CacheKey::random(), key);
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
        for bad in ["", "zz", &"a".repeat(63), &"a".repeat(66), "é".repeat(32).as_str()] {
            assert_eq!(CacheKey::from_hex(bad), None, "{bad:?}");
        }
    }
}
