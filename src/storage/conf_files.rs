//! The generated conf files on disk: `<conf dir>/<server_ip>/<file>`, replaced atomically and only
//! when their content changed. Blocking `std::fs` calls; callers run them off the async workers.
//!
//! The files hold every phone's registration password, so they are private to Dialtone's user: files
//! are created `0600` and directories `0700` (Unix). Asterisk must run as the same user to read them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory of one server's files.
pub fn server_dir(conf_dir: &Path, server_ip: &str) -> PathBuf {
    conf_dir.join(server_ip)
}

/// Creates `dir` and its missing parents, each new one readable only by its owner (`0700`).
pub fn private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates (or truncates) `path` for writing, readable only by its owner (`0600`).
fn private_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes an existing file readable only by its owner (`0600`).
fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A file being written in pieces next to the one it may replace: [`StagedFile::commit`] keeps the old
/// file when the new content is identical, else atomically replaces it. Memory stays flat however
/// large the file.
#[derive(Debug)]
pub struct StagedFile {
    tmp: PathBuf,
    path: PathBuf,
    out: Option<io::BufWriter<fs::File>>,
}

impl StagedFile {
    /// Starts `dir/name` (creating `dir` and its missing parents, private).
    pub fn create(dir: &Path, name: &str) -> io::Result<StagedFile> {
        private_dir_all(dir)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        // A temporary file left by a crash is replaced, not reused with whatever mode it had.
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let out = io::BufWriter::with_capacity(64 * 1024, private_file(&tmp)?);
        Ok(StagedFile { tmp, path: dir.join(name), out: Some(out) })
    }

    /// Appends text.
    pub fn write(&mut self, text: &str) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.write_all(text.as_bytes()),
            None => Err(io::Error::other("staged file already finished")),
        }
    }

    /// Finishes: returns whether the file changed (and was replaced).
    pub fn commit(mut self) -> io::Result<bool> {
        let out = self.out.take().ok_or_else(|| io::Error::other("staged file already finished"))?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        if same_content(&self.tmp, &self.path)? {
            fs::remove_file(&self.tmp)?;
            // A file written by an older version may be readable by others: make it private.
            make_private(&self.path)?;
            return Ok(false);
        }
        file.sync_all()?;
        fs::rename(&self.tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(true)
    }
}

impl Drop for StagedFile {
    /// A staged file that was not committed (an error, or a build abandoned part way) is removed.
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Whether two files hold the same bytes (false when `b` does not exist), compared in chunks.
fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    use std::io::Read;
    let (meta_a, meta_b) = match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    if meta_a.len() != meta_b.len() {
        return Ok(false);
    }
    let (mut fa, mut fb) = (io::BufReader::new(fs::File::open(a)?), io::BufReader::new(fs::File::open(b)?));
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// Reads one generated file, `None` when it does not exist (yet).
pub fn read(dir: &Path, name: &str) -> io::Result<Option<String>> {
    match fs::read_to_string(dir.join(name)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_replace_only_on_change() -> io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("10.0.0.2");
        let stage = |parts: &[&str]| -> io::Result<bool> {
            let mut f = StagedFile::create(&dir, "iax-vicidial.conf")?;
            for p in parts {
                f.write(p)?;
            }
            f.commit()
        };
        assert!(stage(&["ab", "cd"])?);
        assert!(!stage(&["a", "bcd"])?);
        assert!(stage(&["abce"])?, "same length, different bytes");
        assert!(stage(&["abcde"])?);
        assert_eq!(read(&dir, "iax-vicidial.conf")?.as_deref(), Some("abcde"));
        assert_eq!(fs::read_dir(&dir)?.count(), 1, "no temporary file left");
        let mut abandoned = StagedFile::create(&dir, "sip-vicidial.conf")?;
        abandoned.write("half")?;
        drop(abandoned);
        assert_eq!(fs::read_dir(&dir)?.count(), 1, "an abandoned staged file is removed");
        Ok(())
    }
}
