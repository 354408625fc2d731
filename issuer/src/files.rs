//! File modes of what the issuer keeps on disk (issue 11.7). The issuer directory holds the
//! database (sealed key, learner keys, audit), its `-wal`/`-shm`/`-journal` files, the config and
//! possibly a plain key file: the directory is made 0700 and every such file 0600, whatever the
//! umask, and [`secure`] checks them again at every start, tightening what another tool loosened
//! (and saying so) or refusing to start when it cannot.

use std::path::{Path, PathBuf};

use crate::config::IssuerConfig;

/// What [`secure`] could not do.
#[derive(Debug, thiserror::Error)]
#[error("{} is readable by other users (mode {mode:o}) and cannot be made private: {source}; \
         fix it with `chmod {wanted:o} {}`", .path.display(), .path.display())]
pub struct ModeError {
    pub path: PathBuf,
    pub mode: u32,
    pub wanted: u32,
    #[source]
    pub source: std::io::Error,
}

/// Mode of the issuer directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in it that holds or protects a secret.
pub const FILE_MODE: u32 = 0o600;

/// The files of `dir` that must be private under `config`: the config, the SQLite database and
/// its companions, a plain key file.
pub fn private_files(dir: &Path, config: &IssuerConfig) -> Vec<PathBuf> {
    let mut files = vec![dir.join(crate::config::CONFIG_FILE)];
    if let Some(db) = &config.database.sqlite_file {
        let db = dir.join(db);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = db.clone().into_os_string();
            companion.push(suffix);
            files.push(PathBuf::from(companion));
        }
        files.push(db);
    }
    if let Some(key) = &config.key.file {
        files.push(dir.join(key));
    }
    files
}

/// Makes `dir` 0700 and each existing file of [`private_files`] 0600 where other users could
/// read them. Returns one sentence per change made (for the start-up log).
pub fn secure(dir: &Path, config: &IssuerConfig) -> Result<Vec<String>, ModeError> {
    let mut notes = Vec::new();
    if let Some(note) = restrict(dir, DIR_MODE)? {
        notes.push(note);
    }
    for file in private_files(dir, config) {
        if let Some(note) = restrict(&file, FILE_MODE)? {
            notes.push(note);
        }
    }
    Ok(notes)
}

/// Creates the directory (and parents) with mode 0700 for the last component; an existing one is
/// tightened by [`secure`].
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)?;
    restrict(dir, DIR_MODE).map_err(|e| e.source)?;
    Ok(())
}

/// Creates an empty file with mode 0600 unless it exists (SQLite then opens it, and gives its
/// `-wal` and `-shm` files the same mode).
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options.open(path)?;
    restrict(path, FILE_MODE).map_err(|e| e.source)?;
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, wanted: u32) -> Result<Option<String>, ModeError> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None); // absent: nothing to protect
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(None);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted)).map_err(|source| {
        ModeError {
            path: path.to_path_buf(),
            mode,
            wanted,
            source,
        }
    })?;
    Ok(Some(format!(
        "{} was readable by other users (mode {mode:o}); now {wanted:o}",
        path.display()
    )))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _wanted: u32) -> Result<Option<String>, ModeError> {
    Ok(None)
}
