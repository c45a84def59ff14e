//! File names built from data (exports today, attachments later) that every system accepts:
//! Windows refuses `<>:"/\|?*`, control characters, names ending in a dot or a space, and device
//! names such as `CON` or `com1.txt`; every system refuses path separators and over-long names.

/// The longest name kept, in bytes (most file systems allow 255).
const MAX_BYTES: usize = 200;

/// `name` with everything no system accepts replaced by `_`; never empty, never a path.
pub fn safe_file_name(name: &str) -> String {
    let mut safe: String =
        name.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
    while safe.len() > MAX_BYTES {
        safe.pop();
    }
    let trimmed = safe.trim_end_matches(['.', ' ']).trim_start();
    let mut safe =
        if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') { "_".to_string() } else { trimmed.to_string() };
    if is_windows_device_name(&safe) {
        safe.insert(0, '_');
    }
    safe
}

/// `CON`, `prn.txt`, `COM1`, `lpt9.log`…: names Windows reserves for devices, with any extension.
fn is_windows_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem[3..].chars().all(|c| c.is_ascii_digit() || matches!(c, '¹' | '²' | '³')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_stay_as_they_are() {
        assert_eq!(
            safe_file_name("handoff-review-2026-11-01-to-2026-11-30"),
            "handoff-review-2026-11-01-to-2026-11-30"
        );
        assert_eq!(safe_file_name("Reçu n°42 (copie).pdf"), "Reçu n°42 (copie).pdf");
    }

    #[test]
    fn separators_and_windows_reserved_characters_become_underscores() {
        assert_eq!(safe_file_name("../../x.exe"), ".._.._x.exe");
        assert_eq!(safe_file_name("a<b>c:d\"e|f?g*h\\i"), "a_b_c_d_e_f_g_h_i");
        assert_eq!(safe_file_name("line\nbreak\u{1b}[31m"), "line_break_[31m");
    }

    #[test]
    fn device_names_and_trailing_dots_are_not_left_for_windows_to_refuse() {
        assert_eq!(safe_file_name("CON"), "_CON");
        assert_eq!(safe_file_name("com1.txt"), "_com1.txt");
        assert_eq!(safe_file_name("lpt9"), "_lpt9");
        assert_eq!(safe_file_name("console.log"), "console.log");
        assert_eq!(safe_file_name("report. . "), "report");
        assert_eq!(safe_file_name(".."), "_");
        assert_eq!(safe_file_name(""), "_");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let cut = safe_file_name(&"é".repeat(300));
        assert!(cut.len() <= 200 && cut.chars().all(|c| c == 'é'));
    }
}
