//! The platform's files are its user's alone: the folders it creates are 0700 and the
//! SQLite files it creates 0600 (on Unix), because they hold personal data (the read
//! models), the keys that open it (`keys.db`) and signing keys. SQLite gives a file's
//! `-wal` and `-shm` the file's own mode. Folders and files that already exist keep
//! the mode their owner gave them.

use std::path::Path;

/// Creates `dir` and any missing parent, each private to this user.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the folder `path` goes in, if it names one, private to this user.
pub fn create_private_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => create_private_dir_all(dir),
        None => Ok(()),
    }
}

/// Creates the empty file `path` (and its folder) private to this user, unless it
/// exists: call it before a library such as SQLite creates the file with the umask's
/// mode. SQLite's special names (`:memory:`, `file:` URIs) are left alone.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let name = path.to_string_lossy();
    if name.is_empty() || name.starts_with(':') || name.starts_with("file:") {
        return Ok(());
    }
    create_private_parent(path)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_the_platform_creates_are_private_to_its_user() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_private_dir_all(&dir).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_file_created_for_sqlite_is_private_and_an_existing_one_keeps_its_mode() {
        let root = tempfile::tempdir().unwrap();
        let new = root.path().join("data/keys.db");
        create_private_file(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        assert_eq!(mode(&root.path().join("data")), 0o700);

        let existing = root.path().join("shared.db");
        std::fs::write(&existing, b"x").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_private_file(&existing).unwrap();
        assert_eq!(mode(&existing), 0o640);
        assert_eq!(
            std::fs::read(&existing).unwrap(),
            b"x",
            "an existing file is not truncated"
        );
    }

    #[test]
    fn sqlite_special_names_are_not_files() {
        create_private_file(Path::new(":memory:")).unwrap();
        assert!(!Path::new(":memory:").exists());
    }
}
