//! A small command line around the library, for trying things by hand:
//! `cargo run -p wb-asm --example wbasm -- FILE [--exe] [-o OUT] [--listing]`.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first().map(PathBuf::from) else {
        eprintln!("usage: wbasm FILE [--exe] [-o OUT] [--listing]");
        std::process::exit(2);
    };
    let Some(isa) = wb_asm::Isa::from_extension(&file) else {
        eprintln!("wbasm: cannot tell the ISA of {}", file.display());
        std::process::exit(2);
    };
    let kind = if args.iter().any(|a| a == "--exe") { wb_asm::OutputKind::Executable } else { wb_asm::OutputKind::Default };
    match wb_asm::assemble_file(&file, isa, kind) {
        Ok(out) => {
            if args.iter().any(|a| a == "--listing") {
                print!("{}", out.listing);
            }
            if let Some(i) = args.iter().position(|a| a == "-o")
                && let Some(path) = args.get(i + 1)
                    && let Err(e) = std::fs::write(path, &out.bytes) {
                        eprintln!("wbasm: {path}: {e}");
                        std::process::exit(2);
                    }
        }
        Err(diags) => {
            for d in diags {
                eprintln!("{d}");
            }
            std::process::exit(1);
        }
    }
}
