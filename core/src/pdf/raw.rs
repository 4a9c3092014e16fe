//! Objects as their original bytes. lopdf reads real numbers as `f32`, so writing a parsed
//! dictionary back changes numbers such as a MediaBox of 595.303937007874 into 595.304 — a
//! change every earlier signature of the file would see. To add one entry to a dictionary
//! (a widget to a page's /Annots), the object's own text is patched instead, byte for byte
//! elsewhere.

use lopdf::xref::XrefEntry;
use lopdf::ObjectId;

/// The text of object `id` as it stands in `base`: after `N G obj` in the file, or its slice
/// of the object stream that holds it.
pub fn original_text(doc: &lopdf::Document, base: &[u8], id: ObjectId) -> Option<Vec<u8>> {
    match doc.reference_table.get(id.0)? {
        XrefEntry::Normal { offset, .. } => {
            // `N G obj` as tokens (comments and white space between them allowed), nothing else.
            let rest = base.get(*offset as usize..)?;
            let mut pos = 0;
            for want in [id.0.to_string(), id.1.to_string(), "obj".to_owned()] {
                pos = skip_space(rest, pos);
                let end = pos + rest.get(pos..)?.iter().position(|b| is_delimiter(*b)).unwrap_or(rest.len() - pos);
                if rest.get(pos..end)? != want.as_bytes() {
                    return None;
                }
                pos = end;
            }
            let start = skip_space(rest, pos);
            let end = skip_value(rest, start)?;
            Some(rest[start..end].to_vec())
        }
        XrefEntry::Compressed { container, index } => {
            let stream = doc.get_object((*container, 0)).ok()?.as_stream().ok()?;
            let first = usize::try_from(stream.dict.get(b"First").ok()?.as_i64().ok()?).ok()?;
            let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            // The header: pairs of object number and offset (from /First).
            let header = std::str::from_utf8(content.get(..first)?).ok()?;
            let nums: Vec<usize> = header.split_ascii_whitespace().filter_map(|n| n.parse().ok()).collect();
            let i = usize::from(*index);
            if nums.get(2 * i) != Some(&(id.0 as usize)) {
                return None;
            }
            let start = first + *nums.get(2 * i + 1)?;
            let end = skip_value(&content, skip_space(&content, start))?;
            Some(content.get(start..end)?.to_vec())
        }
        _ => None,
    }
}

/// The dictionary `dict` with `item` appended to the array under `key` — an inline array is
/// extended in place, a missing key is added — or `None` when that cannot be done exactly: the
/// entry is something else (a reference to an array: change that array instead), or the
/// dictionary names keys in a way readers may disagree on (a key twice, `#` escapes).
pub fn append_to_array(dict: &[u8], key: &[u8], item: &[u8]) -> Option<Vec<u8>> {
    let open = skip_space(dict, 0);
    if dict.get(open..open + 2) != Some(b"<<") {
        return None;
    }
    let mut pos = open + 2;
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut found: Option<(usize, usize)> = None;
    loop {
        pos = skip_space(dict, pos);
        if dict.get(pos..pos + 2) == Some(b">>") {
            break;
        }
        let name_end = skip_value(dict, pos)?;
        let name = dict.get(pos..name_end)?;
        if name.first() != Some(&b'/') || name.contains(&b'#') || keys.contains(&name) {
            return None;
        }
        keys.push(name);
        let value = skip_space(dict, name_end);
        let value_end = skip_value(dict, value)?;
        if &name[1..] == key {
            found = Some((value, value_end));
        }
        pos = value_end;
    }
    match found {
        Some((value, value_end)) => {
            if dict.get(value) != Some(&b'[') {
                return None;
            }
            let mut out = dict[..value_end - 1].to_vec();
            out.push(b' ');
            out.extend_from_slice(item);
            out.extend_from_slice(&dict[value_end - 1..]);
            Some(out)
        }
        None => {
            // Not there: added first, right after `<<`.
            let mut out = dict[..open + 2].to_vec();
            out.push(b'/');
            out.extend_from_slice(key);
            out.extend_from_slice(b" [");
            out.extend_from_slice(item);
            out.extend_from_slice(b"] ");
            out.extend_from_slice(&dict[open + 2..]);
            Some(out)
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    is_space(b) || matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

/// Past white space and comments.
fn skip_space(s: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = s.get(pos) {
        if is_space(b) {
            pos += 1;
        } else if b == b'%' {
            while s.get(pos).is_some_and(|b| *b != b'\n' && *b != b'\r') {
                pos += 1;
            }
        } else {
            break;
        }
    }
    pos
}

/// Past one object starting at `pos` (a reference `n g R` counts as one).
fn skip_value(s: &[u8], pos: usize) -> Option<usize> {
    skip_value_at(s, pos, 0)
}

fn skip_value_at(s: &[u8], pos: usize, depth: usize) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    match *s.get(pos)? {
        b'<' if s.get(pos + 1) == Some(&b'<') => {
            let mut p = pos + 2;
            loop {
                p = skip_space(s, p);
                if s.get(p..p + 2) == Some(b">>") {
                    return Some(p + 2);
                }
                p = skip_value_at(s, p, depth + 1)?;
            }
        }
        b'<' => Some(pos + 1 + s.get(pos + 1..)?.iter().position(|b| *b == b'>')? + 1),
        b'[' => {
            let mut p = pos + 1;
            loop {
                p = skip_space(s, p);
                if s.get(p) == Some(&b']') {
                    return Some(p + 1);
                }
                p = skip_value_at(s, p, depth + 1)?;
            }
        }
        b'(' => {
            let (mut p, mut nest) = (pos + 1, 1usize);
            while nest > 0 {
                match *s.get(p)? {
                    b'\\' => p += 1,
                    b'(' => nest += 1,
                    b')' => nest -= 1,
                    _ => {}
                }
                p += 1;
            }
            Some(p)
        }
        b'/' => Some(pos + 1 + s.get(pos + 1..)?.iter().position(|b| is_delimiter(*b)).unwrap_or(s.len() - pos - 1)),
        b')' | b'>' | b']' | b'{' | b'}' => None,
        _ => {
            let end = pos + s[pos..].iter().position(|b| is_delimiter(*b)).unwrap_or(s.len() - pos);
            if end == pos {
                return None;
            }
            // `n g R`: two integers and R make one reference.
            let word = &s[pos..end];
            if word.iter().all(u8::is_ascii_digit) {
                let g = skip_space(s, end);
                let g_end = g + s[g..].iter().position(|b| is_delimiter(*b)).unwrap_or(s.len() - g);
                if g_end > g && s[g..g_end].iter().all(u8::is_ascii_digit) {
                    let r = skip_space(s, g_end);
                    if s.get(r) == Some(&b'R') && s.get(r + 1).is_none_or(|b| is_delimiter(*b)) {
                        return Some(r + 1);
                    }
                }
            }
            Some(end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_appended_and_everything_else_kept_byte_for_byte() {
        let page = b"<</Type/Page/MediaBox[0 0 595.303937007874 841.889763779528]/Contents 5 0 R/Annots[7 0 R (a]b)]/X<</Y(q\\))>>>>";
        let out = append_to_array(page, b"Annots", b"9 0 R").unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "<</Type/Page/MediaBox[0 0 595.303937007874 841.889763779528]/Contents 5 0 R/Annots[7 0 R (a]b) 9 0 R]/X<</Y(q\\))>>>>"
        );
        let none = b"<< /Type /Page /Parent 2 0 R % a comment >>\n/MediaBox [0 0 612 792] >>";
        let out = append_to_array(none, b"Annots", b"9 0 R").unwrap();
        assert!(out.starts_with(b"<</Annots [9 0 R] ") && out.ends_with(b"/MediaBox [0 0 612 792] >>"), "{}", String::from_utf8_lossy(&out));
        assert_eq!(append_to_array(b"<< /Annots 12 0 R >>", b"Annots", b"9 0 R"), None, "a referenced array is changed where it is");
        assert_eq!(skip_value(b"<< /A [1 2 (x) <41>] /B << /C 3 0 R >> >> rest", 0), Some(41));
        assert_eq!(skip_value(b"[ 1 0 R 2 ]", 0), Some(11));
        assert_eq!(skip_value(b"<< unterminated", 0), None);
        assert_eq!(append_to_array(b"<< /Annots [1 0 R] /Annots [2 0 R] >>", b"Annots", b"9 0 R"), None, "a key twice");
        assert_eq!(append_to_array(b"<< /Ann#6fts [1 0 R] >>", b"Annots", b"9 0 R"), None, "an escaped key");
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    /// An object whose header hides a fake dictionary in a comment: the patch must start from
    /// the real one (what every reader parses), never from text after a stray `obj`.
    #[test]
    fn the_object_header_is_read_as_tokens() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 %obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 1 1]/Contents 9 0 R>>\nobj <</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000059 00000 n \n0000000119 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%%EOF\n";
        let mut bytes = pdf.to_vec();
        // Point the xref at the real offsets.
        let offsets: Vec<usize> = ["1 0 obj", "2 0 obj", "3 0 %obj"].iter().map(|n| bytes.windows(n.len()).position(|w| w == n.as_bytes()).unwrap()).collect();
        let xref_at = bytes.windows(4).position(|w| w == b"xref").unwrap();
        let table = format!("xref\n0 4\n0000000000 65535 f \n{:010} 00000 n \n{:010} 00000 n \n{:010} 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n", offsets[0], offsets[1], offsets[2]);
        bytes.truncate(xref_at);
        bytes.extend_from_slice(table.as_bytes());
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let text = original_text(&doc, &bytes, (3, 0)).unwrap();
        assert_eq!(text, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>", "{}", String::from_utf8_lossy(&text));
    }
}
