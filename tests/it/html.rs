//! Reading pages in tests: tags and attributes of the HTML the app renders.

/// The whole opening tag of the first element containing `marker`.
pub fn tag<'a>(body: &'a str, marker: &str) -> Option<&'a str> {
    let at = body.find(marker)?;
    let start = body[..=at].rfind('<')?;
    let end = at + body[at..].find('>')?;
    Some(&body[start..=end])
}

/// The value of attribute `name` in an opening tag.
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}
