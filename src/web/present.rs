//! Turning stored values into what pages show: times, message bodies, timeline lines.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::db::tickets::EventRow;
use crate::domain::ticket::{Category, CloseReason, Priority, Status};
use crate::i18n::{FluentArg, Lang};

/// `28 Nov 2026, 14:05 UTC`: exact, for `title` attributes and details.
pub fn exact(t: &DateTime<Utc>) -> String {
    let mut out = date(t);
    out.push_str(", ");
    push_two_digits(&mut out, t.hour());
    out.push(':');
    push_two_digits(&mut out, t.minute());
    out.push_str(" UTC");
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `28 Nov 2026`. Written out by hand: chrono's `format` parses its pattern on every call,
/// and a queue page formats about a hundred times.
pub fn date(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(32);
    if !push_date(&mut out, t, false) {
        return t.format("%d %b %Y").to_string();
    }
    out
}

/// `28 Nov 2026` (or `28 November 2026`) onto `out`; false for years of more or less than four digits.
fn push_date(out: &mut String, t: &DateTime<Utc>, full_month: bool) -> bool {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return false;
    }
    push_two_digits(out, t.day());
    out.push(' ');
    let month = MONTHS[t.month0() as usize];
    out.push_str(if full_month { month } else { &month[..3] });
    out.push(' ');
    push_two_digits(out, year as u32 / 100);
    push_two_digits(out, year as u32 % 100);
    true
}

fn push_two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// `2026-11-28T14:05:00Z` for `<time datetime>` and `data-due`.
pub fn machine(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `3 min ago`, `5 h ago`, `2 d ago`, or the date for older times.
pub fn relative(lang: Lang, t: &DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - *t).num_seconds().max(0);
    match secs {
        0..60 => lang.t("time-just-now"),
        60..3600 => lang.t_args("time-minutes-ago", &[("n", FluentArg::Num(secs / 60))]),
        3600..86_400 => lang.t_args("time-hours-ago", &[("n", FluentArg::Num(secs / 3600))]),
        86_400..604_800 => lang.t_args("time-days-ago", &[("n", FluentArg::Num(secs / 86_400))]),
        _ => date(t),
    }
}

/// The day heading of the thread: `Saturday, 28 November 2026`.
pub fn day(t: &DateTime<Utc>) -> String {
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let mut out = String::with_capacity(32);
    out.push_str(WEEKDAYS[t.weekday().num_days_from_monday() as usize]);
    out.push_str(", ");
    if !push_date(&mut out, t, true) {
        return t.format("%A, %d %B %Y").to_string();
    }
    out
}

/// `14:05`.
pub fn clock(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(5);
    push_two_digits(&mut out, t.hour());
    out.push(':');
    push_two_digits(&mut out, t.minute());
    out
}

/// Up to two initials for an avatar.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

pub fn file_size(bytes: i32) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// A message body as HTML: everything escaped, line breaks kept by CSS, and only
/// `http(s)://` URLs turned into links (nothing else becomes markup).
pub fn body_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(start) = find_url(rest) {
        out.push_str(&escape(&rest[..start]));
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .unwrap_or(tail.len());
        // Punctuation that ends a sentence is not part of the link.
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        let url = if url.len() > "https://".len() {
            url
        } else {
            &tail[..0]
        };
        if url.is_empty() {
            out.push_str(&escape(&tail[..1]));
            rest = &tail[1..];
            continue;
        }
        let safe = escape(url);
        out.push_str(&format!(
            "<a href=\"{safe}\" rel=\"nofollow noopener noreferrer\">{safe}</a>"
        ));
        rest = &tail[url.len()..];
    }
    out.push_str(&escape(rest));
    out
}

fn find_url(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One line of the timeline, in words.
pub fn event_text(lang: Lang, e: &EventRow, names: &dyn Fn(i64) -> String) -> String {
    let d = &e.detail;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let label_status = |v: String| {
        Status::parse(&v)
            .map(|x| x.label().to_string())
            .unwrap_or(v)
    };
    let label_priority = |v: String| {
        Priority::parse(&v)
            .map(|x| x.label().to_string())
            .unwrap_or(v)
    };
    let label_category = |v: String| {
        Category::parse(&v)
            .map(|x| x.label().to_string())
            .unwrap_or(v)
    };
    let who = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_i64())
            .map(names)
            .unwrap_or_else(|| lang.t("nobody"))
    };
    let args: Vec<(&'static str, FluentArg)> = match e.kind.as_str() {
        "status_changed" => vec![
            ("from", label_status(s("from")).into()),
            ("to", label_status(s("to")).into()),
        ],
        "priority_changed" => vec![
            ("from", label_priority(s("from")).into()),
            ("to", label_priority(s("to")).into()),
        ],
        "category_changed" => vec![
            ("from", label_category(s("from")).into()),
            ("to", label_category(s("to")).into()),
        ],
        "assigned" => vec![("to", who("to").into())],
        "closed" | "auto_closed" => {
            let reason = CloseReason::parse(&s("reason"))
                .map(|r| lang.t(&format!("close-reason-{}", r.as_str())))
                .unwrap_or_default();
            vec![("reason", reason.into())]
        }
        "created" => vec![
            ("priority", label_priority(s("priority")).into()),
            ("category", label_category(s("category")).into()),
        ],
        _ => vec![],
    };
    lang.t_args(&format!("event-{}", e.kind.replace('_', "-")), &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_written_by_hand_match_chronos_format() {
        use chrono::TimeZone;
        for (y, mo, d, h, mi) in [
            (2026, 11, 28, 14, 5),
            (2026, 1, 1, 0, 0),
            (1999, 12, 31, 23, 59),
            (2024, 2, 29, 9, 7),
            (7, 6, 5, 4, 3),
            (12026, 5, 9, 1, 2),
        ] {
            let t = Utc.with_ymd_and_hms(y, mo, d, h, mi, 30).unwrap();
            assert_eq!(exact(&t), t.format("%d %b %Y, %H:%M UTC").to_string());
            assert_eq!(date(&t), t.format("%d %b %Y").to_string());
            assert_eq!(day(&t), t.format("%A, %d %B %Y").to_string());
            assert_eq!(clock(&t), t.format("%H:%M").to_string());
        }
        assert_eq!(
            exact(&Utc.with_ymd_and_hms(2026, 11, 28, 14, 5, 0).unwrap()),
            "28 Nov 2026, 14:05 UTC"
        );
    }

    #[test]
    fn bodies_are_escaped_and_only_http_links_are_made() {
        assert_eq!(
            body_html("<b>hi</b> & \"x\""),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(
            body_html("see https://example.com/a?b=1&c=2."),
            "see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\">https://example.com/a?b=1&amp;c=2</a>."
        );
        assert_eq!(body_html("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(
            body_html("http://\"onmouseover=alert(1)"),
            "http://&quot;onmouseover=alert(1)"
        );
        let html = body_html("x https://a.example/\"><script>alert(1)</script>");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("href=\"https://a.example/\""), "{html}");
        assert_eq!(
            body_html("data:text/html,<script>"),
            "data:text/html,&lt;script&gt;"
        );
        assert_eq!(body_html("line1\nline2"), "line1\nline2");
    }

    #[test]
    fn small_helpers() {
        assert_eq!(initials("Ana  Owner Smith"), "AO");
        assert_eq!(initials("مینا"), "م");
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(2048), "2 KB");
        assert_eq!(file_size(3 * 1024 * 1024), "3.0 MB");
    }
}
