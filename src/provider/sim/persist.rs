//! The simulated cloud on disk (`state/sim.json`), safe for several processes at once:
//! two `roster apply` of two accounts on one `--state`, `roster sim serve` beside
//! `roster sim accept`, the daemon beside the CLI. The state store's lock is per account;
//! this file holds every account, so its safety is its own.
//!
//! - Every read-modify-write holds an exclusive OS lock on the sibling `sim.json.lock`
//!   (a file that is never renamed, so every process locks the same inode) and re-reads
//!   `sim.json` inside the lock before it changes anything: no update is lost.
//! - A write goes to a temporary file of its own in the same folder, renamed over
//!   `sim.json`: a reader, locked or not, sees the old cloud or the new one, never a torn
//!   file, and no two writers share a temporary name.

use super::cloud::Cloud;
use crate::provider::ProviderError;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// File name of the simulated cloud under the state folder.
pub const STATE_FILE: &str = "sim.json";

/// File name of the lock every writer of [`STATE_FILE`] holds.
pub const LOCK_FILE: &str = "sim.json.lock";

/// Reads and writes the cloud file, one whole file at a time, under the file lock.
#[derive(Debug, Clone)]
pub struct CloudFile {
    path: PathBuf,
}

impl CloudFile {
    /// The cloud file under `state_dir`.
    pub fn new(state_dir: &Path) -> CloudFile {
        CloudFile {
            path: state_dir.join(STATE_FILE),
        }
    }

    /// Whether a cloud was saved already.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Loads the cloud (pending invitations past 30 days expire on load, U8). Needs no
    /// lock: the file is only ever replaced whole.
    pub fn load(&self) -> Result<Cloud, ProviderError> {
        let bytes = self.read()?.ok_or_else(|| self.missing())?;
        self.parse(&bytes)
    }

    /// Saves `cloud` in place of whatever the file holds (a seed, a fresh cloud).
    pub fn save(&self, cloud: &Cloud) -> Result<(), ProviderError> {
        self.exclusive(|| self.write(cloud).map(drop))
    }

    /// Changes the saved cloud: under the lock, reads it as it is now, runs `f` on it and
    /// writes the result when `f` succeeds (a refusal writes nothing).
    pub fn update<T, E: From<ProviderError>>(
        &self,
        f: impl FnOnce(&mut Cloud) -> Result<T, E>,
    ) -> Result<T, E> {
        self.exclusive(|| {
            let mut cloud = self.load()?;
            let out = f(&mut cloud)?;
            self.write(&cloud)?;
            Ok(out)
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> ProviderError {
        ProviderError::State(format!("{}: {e}", self.path.display()))
    }

    fn missing(&self) -> ProviderError {
        self.error("no simulated cloud saved yet")
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The file's bytes, `None` when no cloud was saved yet.
    fn read(&self) -> Result<Option<Vec<u8>>, ProviderError> {
        Ok(self.read_seen()?.map(|(bytes, _)| bytes))
    }

    /// The file's bytes and the [`Seen`] they were read from (one open file: a rename
    /// between the two cannot pair the bytes of one file with the identity of another).
    fn read_seen(&self) -> Result<Option<(Vec<u8>, Seen)>, ProviderError> {
        use std::io::Read as _;
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| self.error(e))?;
        let seen = Seen::of(file).map_err(|e| self.error(e))?;
        Ok(Some((bytes, seen)))
    }

    /// The file just written (call it holding the lock: nobody else can replace it).
    fn seen_now(&self) -> Result<Seen, ProviderError> {
        let file = std::fs::File::open(&self.path).map_err(|e| self.error(e))?;
        Seen::of(file).map_err(|e| self.error(e))
    }

    fn parse(&self, bytes: &[u8]) -> Result<Cloud, ProviderError> {
        let mut cloud: Cloud = serde_json::from_slice(bytes).map_err(|e| self.error(e))?;
        cloud.expire_invitations();
        Ok(cloud)
    }

    /// Runs `f` holding the exclusive lock on [`LOCK_FILE`]; the lock is released when
    /// `f` returns, fails or panics (the guard drops), and by the OS if the process dies.
    fn exclusive<T, E: From<ProviderError>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let dir = self.dir();
        std::fs::create_dir_all(dir).map_err(|e| self.error(e))?;
        let lock_path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| ProviderError::State(format!("{}: {e}", lock_path.display())))?;
        let mut lock = fd_lock::RwLock::new(file);
        let _held = lock
            .write()
            .map_err(|e| ProviderError::State(format!("{}: {e}", lock_path.display())))?;
        f()
    }

    /// Writes `cloud` to a fresh temporary file renamed over the cloud file (call it
    /// holding the lock); returns the bytes written.
    fn write(&self, cloud: &Cloud) -> Result<Vec<u8>, ProviderError> {
        let text = serde_json::to_vec_pretty(cloud).map_err(|e| self.error(e))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".sim.json.").suffix(".tmp");
        // The mode `std::fs::write` gives (0o666 less the umask), not tempfile's 0o600:
        // the cloud file keeps the permissions it always had.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let mut tmp = builder.tempfile_in(self.dir()).map_err(|e| self.error(e))?;
        tmp.write_all(&text).map_err(|e| self.error(e))?;
        tmp.persist(&self.path).map_err(|e| self.error(e.error))?;
        Ok(text)
    }
}

/// One process's copy of the saved cloud, kept in step with the file. Reads catch up with
/// what other processes wrote (by comparing the file's bytes with the copy's, which no
/// clock granularity can fool); changes run under the file lock on the file's latest
/// state. Its mutex makes the tasks of one process take turns.
#[derive(Debug)]
pub struct SyncedCloud {
    file: CloudFile,
    copy: Mutex<Copy>,
}

#[derive(Debug)]
struct Copy {
    cloud: Cloud,
    /// The file the copy was read from or written as; `None` before either.
    seen: Option<Seen>,
}

/// A saved cloud file as one process saw it, held open. Every writer replaces the file by
/// a rename, so a changed file is a different inode; holding the old one open means its
/// number cannot be given to a new file meanwhile. Length and modification time are
/// compared too, for a file edited in place by hand. A read then costs two `stat`s
/// instead of reading and comparing the whole file (issue 15: 49 MB at 100k users).
#[derive(Debug)]
struct Seen {
    file: std::fs::File,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Seen {
    fn of(file: std::fs::File) -> std::io::Result<Seen> {
        let m = file.metadata()?;
        Ok(Seen {
            len: m.len(),
            modified: m.modified().ok(),
            file,
        })
    }

    /// Whether `path` is still the file this was read from, unchanged.
    fn is_current(&self, path: &Path) -> bool {
        let (Ok(now), Ok(held)) = (std::fs::metadata(path), self.file.metadata()) else {
            return false;
        };
        same_inode(&now, &held) && now.len() == self.len && now.modified().ok() == self.modified
    }
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Without inode numbers, never taken as current: every read re-reads the file.
#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

impl SyncedCloud {
    /// A copy of `cloud` not yet read from the file (`roster sim serve` in tests): the
    /// file, once it exists, wins.
    pub fn new(file: CloudFile, mut cloud: Cloud) -> SyncedCloud {
        cloud.expire_invitations();
        SyncedCloud {
            file,
            copy: Mutex::new(Copy { cloud, seen: None }),
        }
    }

    /// Opens the saved cloud, or the one `init` makes when none is saved, lets `prepare`
    /// complete it (an account added; it says whether it changed anything) and saves it
    /// when it is new or changed, all under the lock, so that two processes opening at
    /// once both keep what the other added. An unchanged cloud is not rewritten.
    pub fn open<T, E: From<ProviderError>>(
        file: CloudFile,
        init: impl FnOnce() -> Result<Cloud, E>,
        prepare: impl FnOnce(&mut Cloud) -> (T, bool),
    ) -> Result<(SyncedCloud, T), E> {
        let (copy, out) = file.exclusive(|| {
            let (mut cloud, seen) = match file.read_seen()? {
                Some((bytes, seen)) => (file.parse(&bytes)?, Some(seen)),
                None => (init()?, None),
            };
            let (out, changed) = prepare(&mut cloud);
            let seen = match seen {
                Some(seen) if !changed => seen,
                Some(_) | None => {
                    file.write(&cloud)?;
                    file.seen_now()?
                }
            };
            Ok::<_, E>((
                Copy {
                    cloud,
                    seen: Some(seen),
                },
                out,
            ))
        })?;
        let copy = Mutex::new(copy);
        Ok((SyncedCloud { file, copy }, out))
    }

    fn lock(&self) -> MutexGuard<'_, Copy> {
        self.copy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Brings `copy` up to date when the file changed since (another process wrote it).
    fn catch_up(&self, copy: &mut Copy) -> Result<(), ProviderError> {
        if copy
            .seen
            .as_ref()
            .is_some_and(|s| s.is_current(&self.file.path))
        {
            return Ok(());
        }
        let Some((bytes, seen)) = self.file.read_seen()? else {
            return Ok(());
        };
        copy.cloud = self.file.parse(&bytes)?;
        copy.seen = Some(seen);
        Ok(())
    }

    /// Drops this process's copy of the cloud (its memory is freed); the next read or
    /// change reads the file again.
    pub fn evict(&self) {
        let mut copy = self.lock();
        copy.cloud = Cloud::new(copy.cloud.clock);
        copy.seen = None;
    }

    /// Reads the cloud as the file holds it now.
    pub fn read<T>(&self, f: impl FnOnce(&Cloud) -> T) -> Result<T, ProviderError> {
        let mut copy = self.lock();
        self.catch_up(&mut copy)?;
        Ok(f(&copy.cloud))
    }

    /// Reads the cloud as the file holds it now or, when the file cannot be read, as this
    /// process last saw it (logged): for answers that have no way to fail.
    pub fn peek<T>(&self, f: impl FnOnce(&Cloud) -> T) -> T {
        let mut copy = self.lock();
        if let Err(e) = self.catch_up(&mut copy) {
            tracing::warn!(error = %e, "the simulated cloud could not be re-read; answering from the last copy");
        }
        f(&copy.cloud)
    }

    /// Changes the cloud: under the file lock, catches up with the file, runs `f` on a
    /// copy, and saves and keeps that copy only when `f` succeeds, so a refusal changes
    /// nothing.
    pub fn update<T, E: From<ProviderError>>(
        &self,
        f: impl FnOnce(&mut Cloud) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut copy = self.lock();
        self.file.exclusive(|| {
            self.catch_up(&mut copy)?;
            let mut next = copy.cloud.clone();
            let out = f(&mut next)?;
            self.file.write(&next)?;
            copy.seen = Some(self.file.seen_now()?);
            copy.cloud = next;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(dir: &Path) -> CloudFile {
        let file = CloudFile::new(dir);
        let clock = "2026-11-01T09:00:00Z".parse().expect("clock");
        file.save(&Cloud::new(clock)).expect("save");
        file
    }

    fn fresh_ids(cloud: &SyncedCloud, n: usize) {
        for _ in 0..n {
            cloud
                .update(|c| Ok::<_, ProviderError>(c.fresh_id("x")))
                .expect("update");
        }
    }

    #[test]
    fn two_copies_changing_at_once_lose_no_update() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = saved(dir.path());
        let open = || {
            SyncedCloud::open(file.clone(), || Err(file.missing()), |_| ((), false))
                .expect("open")
                .0
        };
        let (a, b) = (open(), open());
        std::thread::scope(|s| {
            s.spawn(|| fresh_ids(&a, 50));
            s.spawn(|| fresh_ids(&b, 50));
        });
        assert_eq!(file.load().expect("load").next_id, 101);
        assert_eq!(a.read(|c| c.next_id).expect("read"), 101, "a caught up");
    }

    #[test]
    fn a_copy_reads_what_another_writer_saved() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = saved(dir.path());
        let (copy, ()) =
            SyncedCloud::open(file.clone(), || Err(file.missing()), |_| ((), false)).expect("open");
        file.update(|c| {
            c.next_id = 42;
            Ok::<_, ProviderError>(())
        })
        .expect("update");
        assert_eq!(copy.read(|c| c.next_id).expect("read"), 42);
        copy.update(|c| {
            c.next_id += 1;
            Ok::<_, ProviderError>(())
        })
        .expect("update");
        assert_eq!(file.load().expect("load").next_id, 43);
    }

    #[test]
    fn a_copy_notices_a_rewrite_of_the_same_length_and_opening_rewrites_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = saved(dir.path());
        let ino = || {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata(dir.path().join(STATE_FILE))
                .expect("stat")
                .ino()
        };
        let before = ino();
        let (copy, ()) =
            SyncedCloud::open(file.clone(), || Err(file.missing()), |_| ((), false)).expect("open");
        assert_eq!(ino(), before, "an unchanged cloud is not rewritten on open");
        for n in [42, 43] {
            file.update(|c| {
                c.next_id = n;
                Ok::<_, ProviderError>(())
            })
            .expect("update");
            assert_eq!(copy.read(|c| c.next_id).expect("read"), n);
        }
    }

    #[test]
    fn a_refused_change_saves_nothing_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = saved(dir.path());
        let before = std::fs::read(dir.path().join(STATE_FILE)).expect("read");
        let refused = file.update(|c| {
            c.next_id = 7;
            Err::<(), _>(ProviderError::Config("no".into()))
        });
        assert!(refused.is_err());
        let after = std::fs::read(dir.path().join(STATE_FILE)).expect("read");
        assert_eq!(before, after);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "sim.json and its lock only: {names:?}");
    }
}
