//! Ed25519 keys kept in a file of their own (PKCS#8, base64 between PEM-style lines,
//! mode 0600): the signing key of log heads (`heads`) and the development token
//! issuer's key (`identity`). Created on first use, never overwritten.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The PKCS#8 document of the Ed25519 key at `path`, creating the file (0600) with a
/// fresh key when it does not exist. `label` names the key in the file's first line;
/// `what` names it in errors.
pub fn load_or_create(path: &Path, label: &str, what: &str) -> std::io::Result<Vec<u8>> {
    match open(path, what) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        opened => return opened,
    }
    crate::files::create_private_parent(path)?;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| std::io::Error::other("cannot generate an Ed25519 key"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let body = STANDARD.encode(pkcs8.as_ref());
            writeln!(file, "-----BEGIN {label}-----")?;
            for line in body.as_bytes().chunks(64) {
                file.write_all(line)?;
                file.write_all(b"\n")?;
            }
            writeln!(file, "-----END {label}-----")?;
            file.sync_all()?;
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    open(path, what)
}

/// The PKCS#8 document of an existing key file, checked to be an Ed25519 key.
pub fn open(path: &Path, what: &str) -> std::io::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)?;
    warn_if_others_may_read(path, what);
    let invalid = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not {what}: {why}", path.display()),
        )
    };
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let pkcs8 = STANDARD
        .decode(body.trim())
        .map_err(|_| invalid("bad base64"))?;
    Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| invalid("not Ed25519"))?;
    Ok(pkcs8)
}

/// Warns when a key file is readable or writable by others than its owner: the key is
/// used (refusing it would stop a platform over a mode), but whoever can read it can
/// sign as the platform.
fn warn_if_others_may_read(path: &Path, what: &str) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{mode:o}"),
                "{what} is readable by others than its owner: chmod 600 it"
            );
        }
    }
}
