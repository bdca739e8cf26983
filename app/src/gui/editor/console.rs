//! The editor's output console as bounded text: an endless program printing forever keeps
//! only the newest output, so neither memory nor the cost of drawing it grows without end.

/// Most bytes the console keeps.
pub const CONSOLE_CAP: usize = 64 * 1024;

/// The line put in place of output trimmed from the front.
pub const TRIMMED: &str = "[... older output trimmed ...]\n";

/// Append `new` to `console`, then drop the oldest whole lines when it is over
/// [`CONSOLE_CAP`], down to about three quarters of it (so trimming is not done at every
/// append), marked with [`TRIMMED`].
pub fn push_bounded(console: &mut String, new: &str) {
    console.push_str(new);
    if console.len() <= CONSOLE_CAP {
        return;
    }
    let keep = CONSOLE_CAP * 3 / 4;
    let mut cut = console.len() - keep;
    // Cut after a line end when there is one in the part to drop's last quarter, so the
    // first kept line is whole; else at a character boundary.
    if let Some(nl) = console[..cut].rfind('\n').filter(|&nl| cut - nl < keep / 4) {
        cut = nl + 1;
    }
    while !console.is_char_boundary(cut) {
        cut += 1;
    }
    console.replace_range(..cut, TRIMMED);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_keeps_the_newest_whole_lines_within_its_cap() {
        let mut c = String::new();
        let mut n = 0u64;
        // Far more than the cap, in small pieces as a printing program makes them.
        while n < 50_000 {
            push_bounded(&mut c, &format!("line {n} é\n"));
            n += 1;
            assert!(c.len() <= CONSOLE_CAP, "{} bytes after line {n}", c.len());
        }
        assert!(c.starts_with(TRIMMED), "the trim is marked");
        assert!(c.ends_with("line 49999 é\n"), "the newest line is kept");
        let first = c[TRIMMED.len()..].lines().next().expect("a kept line");
        assert!(
            first.starts_with("line ") && first.ends_with(" é"),
            "the first kept line is whole: {first:?}"
        );
        assert!(c.len() > CONSOLE_CAP / 2, "trimming keeps most of the cap");
        // One line longer than the cap is cut on a character boundary.
        let mut long = String::new();
        push_bounded(&mut long, &"é".repeat(CONSOLE_CAP));
        assert!(long.len() <= CONSOLE_CAP && long.starts_with(TRIMMED));
    }
}
