//! Watching the manifest folder with `notify`.
//!
//! What must be noticed: a file saved in place, a file replaced by an editor's
//! write-then-rename, files added or removed in sub-folders, and the whole folder
//! replaced at once: git-sync publishes each revision by swapping a symlink
//! (`repo -> .worktrees/<sha>`), which leaves a watch on the old target looking at a
//! deleted folder. So the watcher watches the resolved folder recursively *and* the parent
//! of the folder and of every symlink on the way to it, and after each burst of events
//! it resolves the path again and moves its watches ([`ManifestWatch::rearm`]).
//!
//! Events only say "look again": the daemon reloads the whole folder, so a filter that
//! lets a little too much through costs a reload, never a wrong state.

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Which events matter, given where the folder is now.
#[derive(Debug, Clone, Default)]
struct Filter {
    /// The folder as given (absolute, symlinks not resolved).
    dir: PathBuf,
    /// The folder it resolves to now.
    target: Option<PathBuf>,
    /// Never relevant (the state folder, when it sits inside the manifests).
    exclude: Vec<PathBuf>,
}

impl Filter {
    fn relevant(&self, event: &Event) -> bool {
        if event.need_rescan() {
            return true;
        }
        match event.kind {
            // Reads (ours included: loading opens every file) change nothing.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
            EventKind::Access(_) => return false,
            // Permissions and access times: the content is the same.
            EventKind::Modify(ModifyKind::Metadata(_)) => return false,
            _ => {}
        }
        event.paths.iter().any(|p| self.relevant_path(p))
    }

    fn relevant_path(&self, path: &Path) -> bool {
        if self.exclude.iter().any(|x| path.starts_with(x)) {
            return false;
        }
        // The folder itself, or a link or folder on the way to it, was replaced.
        if self.dir.starts_with(path) {
            return true;
        }
        let Some(rel) = self
            .target
            .as_ref()
            .and_then(|t| path.strip_prefix(t).ok())
            .or_else(|| path.strip_prefix(&self.dir).ok())
        else {
            return false;
        };
        // The loader skips dot-files and dot-folders (editor swap files, `.git`).
        let hidden = rel.components().any(|c| match c {
            Component::Normal(n) => n.to_string_lossy().starts_with('.'),
            _ => false,
        });
        if hidden {
            return false;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) => matches!(ext, "yaml" | "yml" | "csv"),
            // A folder (created, removed, renamed) or an extension-less file.
            None => true,
        }
    }
}

/// The watches that follow the manifest folder.
pub struct ManifestWatch {
    watcher: RecommendedWatcher,
    filter: Arc<Mutex<Filter>>,
    armed: BTreeMap<PathBuf, RecursiveMode>,
    /// The resolved folder's identity when the watches were set.
    identity: Option<(PathBuf, u64, u64)>,
}

impl ManifestWatch {
    /// Starts watching `dir`; each relevant event sends `()` on `tx` (dropped when the
    /// channel is full: a signal is already waiting). Paths under `exclude` are ignored.
    pub fn new(
        dir: &Path,
        exclude: &[PathBuf],
        tx: mpsc::Sender<()>,
    ) -> Result<ManifestWatch, notify::Error> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let filter = Arc::new(Mutex::new(Filter {
            dir,
            target: None,
            exclude: exclude
                .iter()
                .filter_map(|x| x.canonicalize().ok())
                .collect(),
        }));
        let f = filter.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
            let relevant = match res {
                Ok(ev) => f.lock().map(|f| f.relevant(&ev)).unwrap_or(true),
                // A lost watch or an overflowed queue: look again.
                Err(_) => true,
            };
            if relevant {
                let _ = tx.try_send(());
            }
        })?;
        let mut w = ManifestWatch {
            watcher,
            filter,
            armed: BTreeMap::new(),
            identity: None,
        };
        w.rearm();
        Ok(w)
    }

    /// Resolves the folder again and moves the watches to where it is now. Returns whether
    /// the resolved folder changed (a git-sync swap, the folder created or replaced).
    pub fn rearm(&mut self) -> bool {
        let dir = match self.filter.lock() {
            Ok(f) => f.dir.clone(),
            Err(_) => return false,
        };
        let (target, wanted) = wanted_watches(&dir);
        // inotify watches inodes: a folder replaced under the same path (or a link on the
        // way swapped) needs every watch set again, not only the ones whose path changed.
        let identity = target.as_ref().and_then(|t| identity(t));
        let moved = identity != self.identity;
        self.identity = identity;
        for (path, mode) in self.armed.clone() {
            let keep = !moved && wanted.get(&path) == Some(&mode);
            if !keep {
                let _ = self.watcher.unwatch(&path);
                self.armed.remove(&path);
            }
        }
        for (path, mode) in wanted {
            if self.armed.contains_key(&path) {
                continue;
            }
            match self.watcher.watch(&path, mode) {
                Ok(()) => {
                    self.armed.insert(path, mode);
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot watch; changes there are seen at the next resync");
                }
            }
        }
        if let Ok(mut f) = self.filter.lock() {
            f.target = target.clone();
        }
        if moved {
            tracing::info!(dir = %dir.display(), target = ?target, "watching the manifest folder");
        }
        moved
    }

    /// The folder the manifests resolve to now.
    pub fn target(&self) -> Option<PathBuf> {
        self.filter.lock().ok().and_then(|f| f.target.clone())
    }
}

/// A folder's path with its device and inode.
fn identity(path: &Path) -> Option<(PathBuf, u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((path.to_path_buf(), m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        Some((path.to_path_buf(), 0, 0))
    }
}

/// The folder's resolved target, and the watches that follow it: the target
/// (recursive), the folder's parent, and the parent of every symlink on the way (not
/// recursive). A folder that does not exist yet is waited for from its nearest existing
/// ancestor.
fn wanted_watches(dir: &Path) -> (Option<PathBuf>, BTreeMap<PathBuf, RecursiveMode>) {
    let mut out = BTreeMap::new();
    let target = dir.canonicalize().ok().filter(|t| t.is_dir());
    if let Some(t) = &target {
        out.insert(t.clone(), RecursiveMode::Recursive);
    }
    for prefix in dir.ancestors() {
        let is_link = prefix
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        if (is_link || prefix == dir)
            && let Some(parent) = prefix.parent()
            && parent.is_dir()
        {
            out.entry(parent.to_path_buf())
                .or_insert(RecursiveMode::NonRecursive);
        }
    }
    if target.is_none()
        && let Some(existing) = dir.ancestors().find(|a| a.is_dir())
    {
        out.entry(existing.to_path_buf())
            .or_insert(RecursiveMode::NonRecursive);
    }
    (target, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, MetadataKind, RenameMode};

    fn filter() -> Filter {
        Filter {
            dir: "/git/root/repo/manifests".into(),
            target: Some("/git/root/.worktrees/abc/manifests".into()),
            exclude: vec!["/git/root/.worktrees/abc/manifests/state".into()],
        }
    }

    fn ev(kind: EventKind, paths: &[&str]) -> Event {
        let mut e = Event::new(kind);
        for p in paths {
            e = e.add_path(p.into());
        }
        e
    }

    #[test]
    fn manifest_writes_and_renames_are_relevant() {
        let f = filter();
        let t = "/git/root/.worktrees/abc/manifests";
        assert!(f.relevant(&ev(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &[&format!("{t}/users/eng.yaml")]
        )));
        assert!(f.relevant(&ev(
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &[
                &format!("{t}/.eng.yaml.swp"),
                &format!("{t}/users/eng.yaml")
            ]
        )));
        assert!(f.relevant(&ev(
            EventKind::Create(CreateKind::Folder),
            &[&format!("{t}/people")]
        )));
        assert!(f.relevant(&ev(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            &[&format!("{t}/people/support.csv")]
        )));
    }

    #[test]
    fn the_symlink_swap_of_git_sync_is_relevant() {
        let f = filter();
        assert!(f.relevant(&ev(
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            &["/git/root/repo"]
        )));
        assert!(
            !f.relevant(&ev(
                EventKind::Create(CreateKind::Any),
                &["/git/root/tmp-link-1234"]
            )),
            "git-sync's temporary link is not the folder"
        );
    }

    #[test]
    fn reads_metadata_hidden_files_and_the_state_folder_are_not() {
        let f = filter();
        let t = "/git/root/.worktrees/abc/manifests";
        for e in [
            ev(
                EventKind::Access(AccessKind::Open(AccessMode::Any)),
                &[&format!("{t}/account.yaml")],
            ),
            ev(
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                &[&format!("{t}/account.yaml")],
            ),
            ev(
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
                &[&format!("{t}/account.yaml")],
            ),
            ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &[&format!("{t}/.git/index")],
            ),
            ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &[&format!("{t}/state/roster.db-wal")],
            ),
            ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &[&format!("{t}/notes.txt")],
            ),
            ev(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &["/somewhere/else.yaml"],
            ),
        ] {
            assert!(!f.relevant(&e), "{e:?}");
        }
    }

    #[test]
    fn watches_follow_every_symlink_on_the_way() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().canonicalize().expect("canon");
        let wt = root.join(".worktrees/abc/manifests");
        std::fs::create_dir_all(&wt).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join(".worktrees/abc"), root.join("repo")).expect("link");
        let dir = root.join("repo/manifests");
        let (target, w) = wanted_watches(&dir);
        assert_eq!(target.as_ref(), Some(&wt));
        assert_eq!(w.get(&wt), Some(&RecursiveMode::Recursive));
        assert_eq!(
            w.get(&root),
            Some(&RecursiveMode::NonRecursive),
            "the parent of the link sees the swap"
        );
        assert_eq!(
            w.get(&root.join("repo")),
            Some(&RecursiveMode::NonRecursive),
            "the folder's parent sees it replaced"
        );
        let (none, w) = wanted_watches(&root.join("later/manifests"));
        assert_eq!(none, None);
        assert_eq!(
            w.keys().collect::<Vec<_>>(),
            vec![&root],
            "waits from the nearest ancestor"
        );
    }
}
