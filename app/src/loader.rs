//! From a file to a running core: format detection and the one registry of cores.
//!
//! Adding a core is one row in [`CORES`] (plus the crate and its dependency line).

use std::path::{Path, PathBuf};

use wb_machine::Machine;

/// The largest file any core accepts; bigger files are refused before they are read.
pub const MAX_FILE_SIZE: u64 = 1 << 30;

/// Choices the user made about how to load a file (CLI options or app settings).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--core`: a name from [`core_names`]; detected from the file when `None`.
    pub core: Option<String>,
    /// `--quirks`: CHIP-8 platform preset (`chip8`, `schip-modern`, `schip-legacy`, `xochip`).
    pub quirks: Option<String>,
    /// `--quirk NAME=on|off`: single CHIP-8 quirks over the preset.
    pub quirk_overrides: Vec<(String, bool)>,
    /// `--ipf`: CHIP-8 instructions per frame.
    pub instructions_per_frame: Option<u32>,
    /// Arguments after the program (RISC-V Linux programs).
    pub args: Vec<String>,
    /// RISC-V Linux file sandbox (default: the program's folder), and whether it is writable.
    pub sandbox: Option<PathBuf>,
    pub sandbox_writable: bool,
    /// The guest's stdin/stdout are the process's own (the CLI), not drained by the app.
    pub host_stdio: bool,
    /// A Game Boy boot ROM of the user's; without one the core starts in the post-boot state.
    pub boot_rom: Option<PathBuf>,
}

/// A file that cannot be loaded; the message is one line, naming the file and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LoadError {
    pub file: String,
    pub message: String,
}

impl LoadError {
    fn new(file: &str, message: impl std::fmt::Display) -> Self {
        LoadError { file: file.to_string(), message: message.to_string() }
    }
}

/// What an entry of the registry is asked to open.
struct LoadRequest<'a> {
    /// The `--core` name that selected the entry (one of its `names`).
    core: &'a str,
    bytes: &'a [u8],
    path: Option<&'a Path>,
    opts: &'a LoadOptions,
}

/// One core in the registry.
struct CoreEntry {
    /// `--core` names this entry answers to; the first is the default.
    names: &'static [&'static str],
    /// File extensions (lower case, no dot) that select this core.
    extensions: &'static [&'static str],
    /// A content check for files whose extension says nothing.
    sniff: fn(&[u8]) -> bool,
    open: fn(&LoadRequest) -> Result<Box<dyn Machine>, String>,
}

/// Every core the app knows, in detection order.
const CORES: &[CoreEntry] = &[
    CoreEntry {
        names: &["chip8", "schip", "xochip"],
        extensions: &["ch8", "c8", "sc8", "xo8"],
        // Raw CHIP-8 programs carry no signature: only the extension (or --core) selects them.
        sniff: |_| false,
        open: open_chip8,
    },
    CoreEntry { names: &["gb"], extensions: &["gb", "dmg"], sniff: wb_gb::looks_like_gb_rom, open: open_gb },
    CoreEntry { names: &["riscv"], extensions: &["elf", "riscv"], sniff: wb_riscv::is_riscv_elf, open: open_riscv },
    CoreEntry { names: &["x86"], extensions: &["img"], sniff: wb_x86::looks_like_disk_image, open: open_x86 },
];

/// Every `--core` name, for help texts and errors.
pub fn core_names() -> Vec<&'static str> {
    CORES.iter().flat_map(|c| c.names.iter().copied()).collect()
}

/// Read and open a file.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Box<dyn Machine>, LoadError> {
    let name = path.display().to_string();
    let bytes = read_input(path).map_err(|message| LoadError::new(&name, message))?;
    open(&name, &bytes, Some(path), opts)
}

/// Open bytes that came from a file called `file_name` (drag-and-drop, tests).
pub fn load_bytes(file_name: &str, bytes: &[u8], opts: &LoadOptions) -> Result<Box<dyn Machine>, LoadError> {
    open(file_name, bytes, None, opts)
}

/// Read a user file with the size limit, as a one-line error message.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    if meta.is_dir() {
        return Err("is a folder, not a file".into());
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!("file too large ({} bytes, at most {MAX_FILE_SIZE})", meta.len()));
    }
    std::fs::read(path).map_err(|e| io_message(&e))
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn open(name: &str, bytes: &[u8], path: Option<&Path>, opts: &LoadOptions) -> Result<Box<dyn Machine>, LoadError> {
    if bytes.is_empty() {
        return Err(LoadError::new(name, "empty file"));
    }
    let (entry, core) = select(name, bytes, opts).map_err(|m| LoadError::new(name, m))?;
    let request = LoadRequest { core, bytes, path, opts };
    (entry.open)(&request).map_err(|m| LoadError::new(name, m))
}

/// The registry entry and `--core` name for a file: the user's choice, else the extension,
/// else the content.
fn select<'a>(name: &str, bytes: &[u8], opts: &'a LoadOptions) -> Result<(&'static CoreEntry, &'a str), String> {
    if let Some(core) = &opts.core {
        let entry = CORES
            .iter()
            .find(|c| c.names.contains(&core.as_str()))
            .ok_or_else(|| format!("unknown core '{core}' (known: {})", core_names().join(", ")))?;
        return Ok((entry, core.as_str()));
    }
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let entry = CORES
        .iter()
        .find(|c| c.extensions.contains(&ext.as_str()))
        .or_else(|| CORES.iter().find(|c| (c.sniff)(bytes)))
        .ok_or_else(|| {
            format!("unknown format (no core recognises this file; pick one with --core {})", core_names().join("|"))
        })?;
    let core = match (entry.names[0], ext.as_str()) {
        // A CHIP-8 quirk preset also picks its platform.
        ("chip8", _) if opts.quirks.is_some() => opts.quirks.as_deref().unwrap_or("chip8"),
        ("chip8", "sc8") => "schip",
        ("chip8", "xo8") => "xochip",
        (default, _) => default,
    };
    Ok((entry, core))
}

fn open_chip8(req: &LoadRequest) -> Result<Box<dyn Machine>, String> {
    use wb_chip8::{Chip8, Config, Platform, Quirks};
    let platform_of = |name: &str| Platform::from_name(name).ok_or_else(|| format!("unknown CHIP-8 platform '{name}'"));
    // --core picks the platform; --quirks picks the quirk preset (and the platform, when
    // --core did not).
    let platform = match (&req.opts.core, &req.opts.quirks) {
        (None, Some(quirks)) => platform_of(quirks)?,
        _ => platform_of(req.core)?,
    };
    let mut config = Config::for_platform(platform);
    if let Some(quirks) = &req.opts.quirks {
        config.quirks = Quirks::for_platform(platform_of(quirks)?);
    }
    for (name, on) in &req.opts.quirk_overrides {
        if !config.quirks.set(name, *on) {
            let known = Quirks::NAMES.map(|n| n.replace('_', "-")).join(", ");
            return Err(format!("unknown quirk '{name}' (known: {known})"));
        }
    }
    if let Some(ipf) = req.opts.instructions_per_frame {
        config.instructions_per_frame = ipf;
    }
    Chip8::new(req.bytes, config).map(|m| Box::new(m) as Box<dyn Machine>).map_err(|e| e.to_string())
}

fn open_gb(req: &LoadRequest) -> Result<Box<dyn Machine>, String> {
    let boot = match &req.opts.boot_rom {
        Some(path) => Some(read_input(path).map_err(|e| format!("boot ROM {}: {e}", path.display()))?),
        None => None,
    };
    wb_gb::GameBoy::new(req.bytes, boot.as_deref()).map(|m| Box::new(m) as Box<dyn Machine>).map_err(|e| e.to_string())
}

fn open_riscv(req: &LoadRequest) -> Result<Box<dyn Machine>, String> {
    let opts = wb_riscv::LinuxOptions {
        args: req.opts.args.clone(),
        env: Vec::new(),
        // Default sandbox: the program's own folder, read-only.
        sandbox: req.opts.sandbox.clone().or_else(|| req.path.and_then(|p| p.parent()).map(Path::to_path_buf)),
        sandbox_writable: req.opts.sandbox_writable,
        host_stdio: req.opts.host_stdio,
    };
    wb_riscv::RiscV::load_elf(req.bytes, opts).map(|m| Box::new(m) as Box<dyn Machine>).map_err(|e| e.to_string())
}

fn open_x86(req: &LoadRequest) -> Result<Box<dyn Machine>, String> {
    wb_x86::Pc::new(req.bytes.to_vec()).map(|m| Box::new(m) as Box<dyn Machine>).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_content_is_refused_with_the_file_name() {
        let err = load_bytes("noise.xyz", &[1, 2, 3], &LoadOptions::default()).err().unwrap();
        assert!(err.to_string().starts_with("noise.xyz: unknown format"), "{err}");
    }

    #[test]
    fn empty_files_are_refused() {
        let err = load_bytes("a.ch8", &[], &LoadOptions::default()).err().unwrap();
        assert_eq!(err.to_string(), "a.ch8: empty file");
    }

    #[test]
    fn unknown_core_names_are_refused() {
        let opts = LoadOptions { core: Some("nes".into()), ..LoadOptions::default() };
        let err = load_bytes("a.ch8", &[0x00, 0xE0], &opts).err().unwrap();
        assert!(err.to_string().contains("unknown core 'nes'"), "{err}");
    }
}
