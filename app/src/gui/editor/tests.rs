use super::buffer::{Buffer, find_all};
use super::highlight::{Kind, Lang, tokens};

fn type_chars(buf: &mut Buffer, s: &str) {
    for c in s.chars() {
        let before = buf.text.clone();
        buf.text.push(c);
        buf.edited(before);
    }
}

#[test]
fn typing_a_word_is_one_undo_step_and_redo_restores_it() {
    let mut b = Buffer::new("");
    type_chars(&mut b, "let x");
    assert_eq!(b.text, "let x");
    assert!(b.undo());
    assert_eq!(b.text, "let ", "the word `x` went as one step");
    assert!(b.undo());
    assert_eq!(b.text, "let", "the space was its own step");
    assert!(b.undo());
    assert_eq!(b.text, "");
    assert!(!b.undo(), "nothing left to undo");
    assert!(b.redo());
    assert!(b.redo());
    assert_eq!(b.text, "let ");
    type_chars(&mut b, "y");
    assert!(!b.can_redo(), "a new edit drops the redo stack");
}

#[test]
fn saving_writes_the_file_and_clears_the_modified_flag() {
    let dir = std::env::temp_dir().join(format!("wb-editor-buffer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("a.kite");
    let mut b = Buffer::new("print(1);\n");
    assert!(b.is_modified(), "a new buffer with text is unsaved");
    b.save_as(&path).expect("saves");
    assert!(!b.is_modified());
    assert_eq!(
        std::fs::read_to_string(&path).expect("reads"),
        "print(1);\n"
    );
    let again = Buffer::open(&path).expect("opens");
    assert_eq!(again.text, b.text);
    assert_eq!(again.name(), "a.kite");
    std::fs::write(dir.join("bin"), [0xFF, 0xFE, 0x00]).expect("writes");
    assert!(
        Buffer::open(&dir.join("bin")).is_err(),
        "binary files are refused"
    );
    assert!(Buffer::open(&dir.join("missing")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn find_is_case_insensitive_and_returns_byte_ranges() {
    assert_eq!(
        find_all("Print print é print", "PRINT"),
        vec![0..5, 6..11, 15..20]
    );
    assert!(find_all("abc", "").is_empty());
}

fn kinds(lang: Lang, text: &str) -> Vec<(&str, Kind)> {
    tokens(lang, text)
        .into_iter()
        .map(|(r, k)| (&text[r], k))
        .filter(|(s, _)| !s.trim().is_empty())
        .collect()
}

#[test]
fn highlighting_knows_each_language() {
    let kite = kinds(Lang::Kite, "let x = \"hi\"; // note\n");
    assert!(kite.contains(&("let", Kind::Keyword)));
    assert!(kite.contains(&("\"hi\"", Kind::String)));
    assert!(kite.contains(&("// note", Kind::Comment)));
    let octo = kinds(Lang::Octo, ": main\n  v0 := 0x12 # c\n");
    assert!(octo.contains(&(": main", Kind::Directive)) || octo.contains(&(":", Kind::Directive)));
    assert!(octo.contains(&("0x12", Kind::Number)));
    assert!(octo.contains(&("# c", Kind::Comment)));
    let sm83 = kinds(Lang::Sm83, "Start:\n  ld a, $FF ; c\n");
    assert!(sm83.contains(&("Start", Kind::Label)));
    assert!(sm83.contains(&("$FF", Kind::Number)));
    assert!(sm83.contains(&("; c", Kind::Comment)));
    let rv = kinds(Lang::RiscV, ".text\n_start: addi a0, x0, 1 # c\n");
    assert!(rv.contains(&(".text", Kind::Directive)));
    assert!(rv.contains(&("_start", Kind::Label)));
    assert!(rv.contains(&("a0", Kind::Register)));
    assert!(rv.contains(&("x0", Kind::Register)));
    // Tokens cover the text exactly, on character boundaries, for any input.
    for text in ["é\"unterminated", "$", "%", "0x", "::é", ""] {
        for lang in Lang::ALL {
            let toks = tokens(lang, text);
            let covered: usize = toks.iter().map(|(r, _)| r.len()).sum();
            assert_eq!(covered, text.len(), "{lang:?} {text:?}");
        }
    }
}

#[test]
fn languages_follow_file_extensions() {
    use std::path::Path;
    assert_eq!(Lang::from_path(Path::new("a.kite")), Lang::Kite);
    assert_eq!(Lang::from_path(Path::new("a.8o")), Lang::Octo);
    assert_eq!(Lang::from_path(Path::new("a.asm")), Lang::Sm83);
    assert_eq!(Lang::from_path(Path::new("a.s")), Lang::RiscV);
    assert_eq!(Lang::from_path(Path::new("a.txt")), Lang::Plain);
}
