//! What people write and attach: subjects, message bodies, files.
//! Errors are catalog keys, translated by the web layer.

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest message body, in characters.
pub const BODY_MAX: usize = 20_000;
/// Every file must be smaller than this (10 MB).
pub const FILE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// At most this many files per message.
pub const FILES_MAX: usize = 5;

/// A ticket's subject: 1–200 characters after trimming, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        // Control characters (line breaks, NUL…) only come from a tampered form: fold them into spaces, then trim.
        let folded: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let s = folded.trim().to_string();
        match s.chars().count() {
            0 => Err("invalid-subject-empty"),
            n if n > SUBJECT_MAX => Err("invalid-subject-long"),
            _ => Ok(Subject(s)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message: 1–20,000 characters, line breaks kept, trailing whitespace trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.replace("\r\n", "\n").replace('\r', "\n");
        // Line breaks and tabs are text; other control characters (NUL…) cannot be typed or stored.
        if s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err("invalid-body-control");
        }
        let s = s.trim_end().trim_start_matches(['\n', ' ', '\t']);
        match s.chars().count() {
            0 => Err("invalid-body-empty"),
            n if n > BODY_MAX => Err("invalid-body-long"),
            _ => Ok(MessageBody(s.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The kinds of file we accept, decided by content (magic bytes), never by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Png,
    Jpeg,
    Pdf,
    Text,
}

impl FileKind {
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if !bytes.is_empty()
            && !bytes.contains(&0)
            && std::str::from_utf8(bytes).is_ok()
            && !looks_like_markup(bytes)
        {
            Some(FileKind::Text)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Pdf => "application/pdf",
            FileKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// Images and PDFs open in the browser; text downloads (it could be mistaken for a page).
    pub fn inline(self) -> bool {
        !matches!(self, FileKind::Text)
    }

    pub fn from_content_type(ct: &str) -> Option<FileKind> {
        [FileKind::Png, FileKind::Jpeg, FileKind::Pdf, FileKind::Text]
            .into_iter()
            .find(|k| k.content_type() == ct)
    }
}

/// HTML, SVG or XML passed off as text: refused, so a "text file" can never be a page
/// however it starts (byte-order mark, comment, any tag).
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let tag_start = head.starts_with('<')
        && head[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '!' || c == '?');
    tag_start
        || [
            "<script",
            "<html",
            "<body",
            "<svg",
            "<iframe",
            "<object",
            "<embed",
            "javascript:",
        ]
        .iter()
        .any(|m| head.contains(m))
}

/// A file name safe to store and to send back in `Content-Disposition`: no path,
/// no control or quote characters, at most 100 characters; never empty.
///
/// ```
/// use supportdesk::domain::content::clean_filename;
/// assert_eq!(clean_filename("../../etc/passwd"), "passwd");
/// assert_eq!(clean_filename("report \"final\".pdf"), "report final.pdf");
/// assert_eq!(clean_filename(".."), "file");
/// ```
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let short: String = cleaned.chars().take(100).collect();
    if short.is_empty() {
        "file".to_string()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(
            Subject::parse("  Disk full  ").unwrap().as_str(),
            "Disk full"
        );
        assert_eq!(Subject::parse("   "), Err("invalid-subject-empty"));
        assert!(Subject::parse(&"s".repeat(200)).is_ok());
        assert_eq!(
            Subject::parse(&"s".repeat(201)),
            Err("invalid-subject-long")
        );
        assert_eq!(Subject::parse("a\nb").unwrap().as_str(), "a b");
        assert_eq!(Subject::parse("\u{7}\u{1b}"), Err("invalid-subject-empty"));
        assert_eq!(Subject::parse("a\0b").unwrap().as_str(), "a b");
        // Characters, not bytes.
        assert!(Subject::parse(&"س".repeat(200)).is_ok());
    }

    #[test]
    fn bodies_keep_line_breaks() {
        assert_eq!(
            MessageBody::parse("\n hello\r\nworld  \n")
                .unwrap()
                .as_str(),
            "hello\nworld"
        );
        assert_eq!(MessageBody::parse(" \n\t"), Err("invalid-body-empty"));
        assert_eq!(MessageBody::parse("a\tb").unwrap().as_str(), "a\tb");
        assert_eq!(MessageBody::parse("a\0b"), Err("invalid-body-control"));
        assert!(MessageBody::parse(&"x".repeat(20_000)).is_ok());
        assert_eq!(
            MessageBody::parse(&"x".repeat(20_001)),
            Err("invalid-body-long")
        );
    }

    #[test]
    fn files_are_known_by_content() {
        assert_eq!(
            FileKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(FileKind::Png)
        );
        assert_eq!(
            FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(FileKind::Jpeg)
        );
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            FileKind::sniff("log line\nسلام\n".as_bytes()),
            Some(FileKind::Text)
        );
        assert_eq!(FileKind::sniff(b"MZ\x90\x00\x03"), None, "an executable");
        assert_eq!(FileKind::sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(FileKind::sniff(b"  <svg onload=alert(1)>"), None);
        assert_eq!(FileKind::sniff("\u{feff}<body onload=x>".as_bytes()), None);
        assert_eq!(FileKind::sniff(b"<!-- hi --><p>x"), None);
        assert_eq!(FileKind::sniff(b"log: see <script>x</script>"), None);
        assert_eq!(FileKind::sniff(b"a < b and c > d"), Some(FileKind::Text));
        assert_eq!(
            FileKind::sniff(b"GIF89a"),
            Some(FileKind::Text),
            "plain ASCII is text"
        );
        assert_eq!(FileKind::sniff(b"GIF89a\x00\x01"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }

    #[test]
    fn filenames_are_cleaned() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_filename("a\"b;c\r\n.txt"), "abc.txt");
        assert_eq!(clean_filename("evil\u{202e}gnp.exe"), "evilgnp.exe");
        assert_eq!(clean_filename(".."), "file");
        assert_eq!(clean_filename(".hidden"), "hidden");
        assert_eq!(clean_filename("فاکتور.pdf"), "فاکتور.pdf");
        assert_eq!(clean_filename(&"n".repeat(300)).chars().count(), 100);
    }
}
