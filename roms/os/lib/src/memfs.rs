//! An in-memory file system (mounted on /tmp).
use crate::fs::{DirEntry, FileSystem, FsError};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

enum Node {
    File(Vec<u8>),
    Dir(BTreeMap<String, Node>),
}

/// A tree of nodes in the heap.
pub struct MemFs {
    root: Node,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    pub fn new() -> Self {
        MemFs { root: Node::Dir(BTreeMap::new()) }
    }

    fn node(&mut self, path: &[&str]) -> Result<&mut Node, FsError> {
        let mut n = &mut self.root;
        for c in path {
            n = match n {
                Node::Dir(map) => map.get_mut(*c).ok_or(FsError::NotFound)?,
                Node::File(_) => return Err(FsError::NotADirectory),
            };
        }
        Ok(n)
    }

    fn parent(&mut self, path: &[&str]) -> Result<(&mut BTreeMap<String, Node>, String), FsError> {
        let (name, dir) = path.split_last().ok_or(FsError::InvalidName)?;
        match self.node(dir)? {
            Node::Dir(map) => Ok((map, name.to_string())),
            Node::File(_) => Err(FsError::NotADirectory),
        }
    }
}

impl FileSystem for MemFs {
    fn kind(&self) -> &'static str {
        "memfs"
    }

    fn list(&mut self, path: &[&str]) -> Result<Vec<DirEntry>, FsError> {
        match self.node(path)? {
            Node::Dir(map) => Ok(map
                .iter()
                .map(|(name, n)| match n {
                    Node::File(d) => DirEntry { name: name.clone(), is_dir: false, size: d.len() as u64 },
                    Node::Dir(_) => DirEntry { name: name.clone(), is_dir: true, size: 0 },
                })
                .collect()),
            Node::File(_) => Err(FsError::NotADirectory),
        }
    }

    fn read(&mut self, path: &[&str]) -> Result<Vec<u8>, FsError> {
        match self.node(path)? {
            Node::File(d) => Ok(d.clone()),
            Node::Dir(_) => Err(FsError::IsADirectory),
        }
    }

    fn write(&mut self, path: &[&str], data: &[u8], append: bool) -> Result<(), FsError> {
        let (map, name) = self.parent(path)?;
        match map.entry(name).or_insert_with(|| Node::File(Vec::new())) {
            Node::File(d) => {
                if !append {
                    d.clear();
                }
                d.extend_from_slice(data);
                Ok(())
            }
            Node::Dir(_) => Err(FsError::IsADirectory),
        }
    }

    fn remove(&mut self, path: &[&str]) -> Result<(), FsError> {
        let (map, name) = self.parent(path)?;
        match map.get(&name) {
            None => Err(FsError::NotFound),
            Some(Node::Dir(m)) if !m.is_empty() => Err(FsError::NotEmpty),
            Some(_) => {
                map.remove(&name);
                Ok(())
            }
        }
    }

    fn mkdir(&mut self, path: &[&str]) -> Result<(), FsError> {
        let (map, name) = self.parent(path)?;
        if map.contains_key(&name) {
            return Err(FsError::AlreadyExists);
        }
        map.insert(name, Node::Dir(BTreeMap::new()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_directories() {
        let mut fs = MemFs::new();
        fs.write(&["a"], b"one", false).unwrap();
        fs.write(&["a"], b"+two", true).unwrap();
        assert_eq!(fs.read(&["a"]).unwrap(), b"one+two");
        fs.mkdir(&["d"]).unwrap();
        assert_eq!(fs.mkdir(&["d"]), Err(FsError::AlreadyExists));
        fs.write(&["d", "x"], b"x", false).unwrap();
        assert_eq!(fs.remove(&["d"]), Err(FsError::NotEmpty));
        assert_eq!(fs.read(&["d"]), Err(FsError::IsADirectory));
        assert_eq!(fs.read(&["a", "b"]), Err(FsError::NotADirectory));
        let names: Vec<_> = fs.list(&[]).unwrap().into_iter().map(|e| (e.name, e.is_dir, e.size)).collect();
        assert_eq!(names, vec![("a".into(), false, 7), ("d".into(), true, 0)]);
        fs.remove(&["d", "x"]).unwrap();
        fs.remove(&["d"]).unwrap();
        assert_eq!(fs.read(&["zz"]), Err(FsError::NotFound));
    }
}
