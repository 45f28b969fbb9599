//! The generated conf files on disk: `<conf dir>/<server_ip>/<file>`, replaced atomically and only
//! when their content changed. Blocking `std::fs` calls; callers run them off the async workers.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory of one server's files.
pub fn server_dir(conf_dir: &Path, server_ip: &str) -> PathBuf {
    conf_dir.join(server_ip)
}

/// Writes `content` to `dir/name` unless the file already holds exactly that: a temporary file in
/// the same directory is written, flushed to disk and renamed over the old one, so Asterisk never
/// reads a half-written file. Returns whether the file changed.
pub fn write_if_changed(dir: &Path, name: &str, content: &[u8]) -> io::Result<bool> {
    let path = dir.join(name);
    match fs::read(&path) {
        Ok(existing) if existing == content => return Ok(false),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(content)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(true)
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
    fn writes_only_when_changed() -> io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("10.0.0.1");
        assert!(write_if_changed(&dir, "sip-vicidial.conf", b"a")?);
        let first = fs::metadata(dir.join("sip-vicidial.conf"))?.modified()?;
        assert!(!write_if_changed(&dir, "sip-vicidial.conf", b"a")?);
        assert_eq!(fs::metadata(dir.join("sip-vicidial.conf"))?.modified()?, first);
        assert!(write_if_changed(&dir, "sip-vicidial.conf", b"b")?);
        assert_eq!(read(&dir, "sip-vicidial.conf")?.as_deref(), Some("b"));
        assert_eq!(read(&dir, "iax-vicidial.conf")?, None);
        assert!(!dir.join(".sip-vicidial.conf.tmp").exists());
        Ok(())
    }
}
